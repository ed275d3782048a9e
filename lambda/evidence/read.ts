/**
 * Reads one tenant's archived runs for a period from any object store (a local `--out` folder or the S3 archive) and
 * feeds them, oldest first, to the domain builder. Read only: nothing here writes, and the hash chain is checked by
 * `verifyChain`, the same code as `verify`.
 *
 * Memory: only the period's manifests (a few hundred bytes each) are held at once; reports are read a few at a time
 * ahead of the builder and dropped once added.
 */
import * as z from 'zod';
import { CheckError } from '../errors';
import { RunReportSchema } from '../report/json';
import type { TenantReport } from '../report/model';
import { MANIFEST_NAME, parseManifestKey, REPORT_FILE_NAME, tenantReportsPrefix } from '../store/layout';
import { decodeJson, entryKind, type RunManifest, RunManifestSchema } from '../store/manifest';
import type { ObjectStore } from '../store/object-store';
import { DAY_MS } from '../util/time';
import { verifyChain } from '../verify';
import { type ExpectedSchedule, parseRecordedSchedule } from './coverage';
import type { ChainProblemEvidence, RemediationEvidence, TenantEvidence } from './model';
import { RemediationEvidenceSchema } from './model';
import { TenantEvidenceBuilder, type TenantEvidenceOptions } from './tenant-evidence';

export const REPORT_FILE = REPORT_FILE_NAME;
export const REMEDIATION_FILE = 'remediation.json';

/** Reports read ahead of the builder: enough to hide S3 latency, few enough to keep memory flat. */
const READ_AHEAD = 16;

const RemediationFileSchema = RemediationEvidenceSchema.omit({ runId: true }).extend({
  kind: z.literal('remediation'),
  tenantId: z.string(),
});

interface PeriodRun {
  readonly folder: string;
  readonly manifestKey: string;
  readonly manifest: RunManifest;
  readonly atMs: number;
}

type RunContent =
  | { readonly kind: 'check'; readonly run: PeriodRun; readonly tenant: TenantReport }
  | { readonly kind: 'remediation'; readonly run: PeriodRun; readonly remediation: RemediationEvidence }
  | { readonly kind: 'unreadable'; readonly run: PeriodRun; readonly problem: ChainProblemEvidence };

export async function readTenantEvidence(
  store: ObjectStore,
  options: Omit<TenantEvidenceOptions, 'tenantId'> & {
    readonly tenantKey: string;
    /** Asked for by name: an archive without any run of it is a mistake in the input, not an empty period. */
    readonly mustExist?: boolean;
  },
): Promise<TenantEvidence> {
  const { tenantKey, mustExist, ...rest } = options;
  const problems: ChainProblemEvidence[] = [];
  const keys = await store.list(tenantReportsPrefix(tenantKey));
  if (mustExist && keys.length === 0) {
    throw new CheckError(
      'bad-input',
      `${store.location(tenantReportsPrefix(tenantKey))}: no archived runs of this tenant`,
    );
  }
  const runs = await periodRuns(store, keys, options.startMs, options.endMs);
  const schedule = rest.schedule ?? recordedSchedule(runs);
  const builder = new TenantEvidenceBuilder({
    ...rest,
    tenantId: runs[0]?.manifest.tenantId ?? tenantKey,
    ...(schedule ? { schedule } : {}),
  });

  for await (const contents of readAhead(runs, READ_AHEAD, (run) => readRun(store, run))) {
    for (const content of contents) {
      if (content.kind === 'check') {
        const { manifest } = content.run;
        builder.addRun({
          // An error entry is stored as `failed-<run id>`; the run it stands for is the one its manifest names.
          runId: manifest.failure?.runId ?? manifest.runId,
          startedAt: manifest.startedAt,
          tenant: content.tenant,
          couldNotCheck: entryKind(manifest) === 'error',
        });
      } else if (content.kind === 'remediation') {
        builder.addRemediation(content.remediation);
      } else {
        problems.push(content.problem);
      }
    }
  }

  const chain = await verifyChain(store, tenantKey);
  const allProblems = [...chain.problems.map(toProblem), ...problems];
  return builder.finish({ ok: chain.ok && problems.length === 0, problems: allProblems });
}

/**
 * The manifests of runs that started in the period, oldest first. Run folders are dated by the run id, so only the
 * date folders around the period are read.
 */
async function periodRuns(
  store: ObjectStore,
  tenantKeys: readonly string[],
  startMs: number,
  endMs: number,
): Promise<PeriodRun[]> {
  const firstDate = isoDate(startMs - DAY_MS);
  const lastDate = isoDate(endMs + DAY_MS);
  const keys = tenantKeys.filter((key) => {
    const parts = parseManifestKey(key);
    return parts !== undefined && parts.date >= firstDate && parts.date <= lastDate;
  });
  const runs: PeriodRun[] = [];
  for await (const found of readAhead(keys, READ_AHEAD, async (key) => {
    const bytes = await store.get(key);
    const manifest = bytes ? decodeJson(bytes, RunManifestSchema) : undefined;
    // An unreadable or vanished manifest is the chain's problem to report; it holds no run to show.
    if (!manifest) return undefined;
    const atMs = Date.parse(manifest.startedAt);
    if (Number.isNaN(atMs) || atMs < startMs || atMs >= endMs) return undefined;
    return { folder: key.slice(0, -MANIFEST_NAME.length), manifestKey: key, manifest, atMs };
  })) {
    if (found) runs.push(found);
  }
  return runs.sort((a, b) => a.atMs - b.atMs);
}

/**
 * The schedule the period's newest run recorded in its manifest (the deployed schedule, or `check --schedule`), when
 * it is a valid `rate(…)` or `cron(…)` expression (a cron schedule in its recorded time zone, UTC when none was
 * recorded); none, or one that does not parse, leaves the expected runs to the runs' own cadence.
 */
function recordedSchedule(runs: readonly PeriodRun[]): ExpectedSchedule | undefined {
  for (let i = runs.length - 1; i >= 0; i--) {
    const recorded = runs[i]?.manifest.schedule;
    if (recorded) return parseRecordedSchedule(recorded.expression, recorded.timeZone);
  }
  return undefined;
}

async function readRun(store: ObjectStore, run: PeriodRun): Promise<RunContent[]> {
  const contents: RunContent[] = [];
  const names = new Set(run.manifest.files.map((file) => file.name));
  if (names.has(REPORT_FILE)) {
    const key = `${run.folder}${REPORT_FILE}`;
    const bytes = await store.get(key);
    const report = bytes ? decodeJson(bytes, RunReportSchema) : undefined;
    const tenant = report?.tenants.find((t) => t.tenantId === run.manifest.tenantId) ?? report?.tenants[0];
    contents.push(
      tenant
        ? { kind: 'check', run, tenant: tenant as TenantReport }
        : {
            kind: 'unreadable',
            run,
            problem: unreadable(run, key, 'the run report is missing or is not a readable run report'),
          },
    );
  }
  if (names.has(REMEDIATION_FILE)) {
    const key = `${run.folder}${REMEDIATION_FILE}`;
    const bytes = await store.get(key);
    const remediation = bytes ? decodeJson(bytes, RemediationFileSchema) : undefined;
    contents.push(
      remediation
        ? {
            kind: 'remediation',
            run,
            remediation: {
              runId: run.manifest.runId,
              planId: remediation.planId,
              appliedAt: remediation.appliedAt,
              ...(remediation.credentialKind !== undefined ? { credentialKind: remediation.credentialKind } : {}),
              actions: remediation.actions,
            },
          }
        : { kind: 'unreadable', run, problem: unreadable(run, key, 'the remediation record is not readable') },
    );
  }
  return contents;
}

function unreadable(run: PeriodRun, key: string, detail: string): ChainProblemEvidence {
  return { kind: 'unreadable-file', key, runId: run.manifest.runId, detail };
}

function toProblem(problem: { kind: string; key: string; runId?: string; detail: string }): ChainProblemEvidence {
  return {
    kind: problem.kind,
    key: problem.key,
    ...(problem.runId !== undefined ? { runId: problem.runId } : {}),
    detail: problem.detail,
  };
}

/** `work` over `items` with up to `limit` in flight, results yielded in input order. */
async function* readAhead<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): AsyncGenerator<R> {
  const pending: Promise<R>[] = [];
  let next = 0;
  const fill = () => {
    while (next < items.length && pending.length < limit) {
      const promise = work(items[next++] as T);
      // Awaited below in order; this only keeps an early rejection from being reported as unhandled.
      promise.catch(() => {});
      pending.push(promise);
    }
  };
  fill();
  while (pending.length > 0) {
    const result = await (pending.shift() as Promise<R>);
    fill();
    yield result;
  }
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
