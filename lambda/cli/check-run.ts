/**
 * What `check` does (the command's options and help are in ./commands/check.ts): read and check the options, run,
 * write the human run folder, print the summary or the report.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError } from '../errors';
import { parseRecordedSchedule } from '../evidence/coverage';
import { defaultPolicy, type LoadedPolicy } from '../policy/load';
import { loadPolicyFile } from '../policy/load-file';
import { renderJson } from '../report/json';
import type { CheckTrigger, Severity } from '../report/model';
import { renderRunFiles } from '../report/run-files';
import { type RunDeps, type RunLog, run, type TenantTarget } from '../run/run';
import { FsObjectStore } from '../store/fs-object-store';
import { keySegment } from '../store/layout';
import { createRunArchive, createStateStore, type RunSchedule } from '../store/store';
import { escapeUnsafe as terminalLine } from '../util/tenant-text';
import { type CliIo, EXIT_ERROR, type OptionValues } from './command';
import type { CHECK_OPTIONS } from './commands/check';
import { exists, failOnOf, makeFolder, outDirOf, positiveInt, stateDirOf, tenantTargets } from './options';
import { PreviewPublisher } from './preview-publisher';
import { formatSummary } from './summary';

export type CheckValues = OptionValues<typeof CHECK_OPTIONS>;

/** A check's settings, read and checked before anything is checked. */
export interface CheckSettings {
  readonly runId: string;
  readonly now: () => Date;
  readonly targets: readonly TenantTarget[];
  readonly policy: LoadedPolicy;
  readonly failOn: Severity;
  readonly concurrency: number;
  readonly deadlineSeconds: number;
  readonly allowHttpLoopback: boolean;
  readonly outDir: string;
  readonly stateDir: string;
  /** This run's human folder under `outDir`, created and empty. */
  readonly runFolder: string;
  /** `--schedule`, recorded in every archived entry. */
  readonly schedule?: RunSchedule;
}

/**
 * Reads and checks every option of `check`, and makes the run folder and the state folder: a bad --out or --state is
 * the user's mistake and must not cost a run (nor move the state).
 */
export async function readCheckSettings(values: CheckValues, io: CliIo): Promise<CheckSettings> {
  const failOn = failOnOf(values);
  const concurrency = positiveInt(values.concurrency, '--concurrency');
  const deadlineSeconds = positiveInt(values.deadline, '--deadline');
  const schedule = scheduleOf(values.schedule);
  const targets = await tenantTargets(values, io);
  const policy = values.policy ? await loadPolicyFile(resolve(io.cwd, values.policy)) : defaultPolicy();
  const now = io.now ?? (() => new Date());
  const runId = values['run-id'] ?? now().toISOString();
  const outDir = outDirOf(values, io);
  const stateDir = stateDirOf(values, io);

  const runFolder = join(outDir, 'runs', runFolderName(runId));
  if (await exists(runFolder)) {
    throw new InputError('--run-id', '', `a run id not used before in ${outDir} (run "${runId}" exists already)`);
  }
  await makeFolder(runFolder, '--out');
  await makeFolder(stateDir, '--state');
  return {
    runId,
    now,
    targets,
    policy,
    failOn,
    concurrency,
    deadlineSeconds,
    allowHttpLoopback: values['allow-http-loopback'],
    outDir,
    stateDir,
    runFolder,
    ...(schedule ? { schedule } : {}),
  };
}

/** `--schedule`: a rate or (UTC) cron expression, the kinds `evidence` takes expected runs from. */
function scheduleOf(expression: string | undefined): RunSchedule | undefined {
  if (expression === undefined) return undefined;
  const parsed = parseRecordedSchedule(expression);
  if (!parsed) {
    throw new InputError(
      'command line',
      '--schedule',
      'a rate expression such as "rate(1 day)" or a cron expression such as "cron(0 6 * * ? *)" (in UTC)',
    );
  }
  return { expression: parsed.expression, timeZone: 'UTC' };
}

/** What a command that runs a check first (`fix`) adds to it. */
export interface CheckHooks {
  /** Sees each checked tenant's snapshot and findings (`fix` plans from them). */
  readonly onAssessed?: RunDeps['onAssessed'];
  /** Why the tenants are checked (`fix --apply` re-checks after a plan). @default the schedule */
  readonly trigger?: CheckTrigger;
  /** stdout is the caller's: the check prints neither its summary nor its report there. */
  readonly keepStdout?: boolean;
}

export async function runCheck(values: CheckValues, io: CliIo, hooks: CheckHooks = {}): Promise<number> {
  const settings = await readCheckSettings(values, io);
  // Progress, log and notification lines carry tenant names and error text: one inert line each on the terminal.
  const progress = values.quiet ? () => {} : (line: string) => io.stderr(`${terminalLine(line)}\n`);
  const publisher = new PreviewPublisher(progress);
  const outcome = await run(
    {
      now: settings.now,
      archive: createRunArchive(new FsObjectStore(settings.outDir)),
      state: createStateStore(new FsObjectStore(settings.stateDir)),
      publisher,
      log: stderrLog(progress),
      onProgress: throttledProgress(progress),
      ...(hooks.onAssessed && { onAssessed: hooks.onAssessed }),
    },
    {
      ...(hooks.trigger && { trigger: hooks.trigger }),
      runId: settings.runId,
      tenants: settings.targets,
      policy: settings.policy,
      tenantConcurrency: settings.concurrency,
      tenantDeadlineMs: settings.deadlineSeconds * 1000,
      allowHttpLoopback: settings.allowHttpLoopback,
      failOn: settings.failOn,
      ...(settings.schedule && { schedule: settings.schedule }),
    },
  );

  const duplicates = outcome.report.tenants.filter((t) => t.summary.duplicate === true);
  if (duplicates.length > 0) {
    // Reusing a run id would read as a clean pass: the archive already holds that run and nothing was re-checked.
    io.stderr(
      `error: run "${settings.runId}" was already archived for ${duplicates.map((t) => t.name ?? t.tenantId).join(', ')}; ` +
        'nothing was checked again — use a new --run-id\n',
    );
    return EXIT_ERROR;
  }

  // The human run folder: every format of this run, all tenants together, plus the alert previews.
  for (const file of renderRunFiles(outcome.report, outcome.trends)) {
    await writeFile(join(settings.runFolder, file.name), file.body);
  }
  await writeFile(join(settings.runFolder, 'email.txt'), publisher.emailPreview());
  await writeFile(join(settings.runFolder, 'chat.json'), publisher.chatPreview());

  if (hooks.keepStdout) {
    // The caller prints its own result.
  } else if (values.json) {
    // The same bytes as the run folder's report.json.
    io.stdout(renderJson(outcome.report));
  } else {
    io.stdout(formatSummary(outcome.report, { runFolder: settings.runFolder }));
  }
  for (const f of outcome.archiveFailures) io.stderr(`warning: ${f.tenantId}: ${f.message}\n`);
  return outcome.exitCode;
}

/** Named like the run's archive folders, so a person finds one from the other. */
function runFolderName(runId: string): string {
  try {
    return keySegment(runId);
  } catch {
    throw new InputError('--run-id', '', 'a run id with at least one letter or digit');
  }
}

/** Long crawls only (thousands of users), at most every two seconds per tenant: a small tenant prints nothing. */
function throttledProgress(write: (line: string) => void) {
  const last = new Map<string, number>();
  return (tenant: string, phase: string, done: number): void => {
    const now = Date.now();
    if (done < 1000 || now - (last.get(tenant) ?? 0) < 2000) return;
    last.set(tenant, now);
    write(`${tenant}: ${phase}: ${done} read so far`);
  };
}

function stderrLog(write: (line: string) => void): RunLog {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    const tenant = fields?.tenant ? `${String(fields.tenant)}: ` : '';
    const counts = ['failing', 'new', 'resolved', 'notifications']
      .filter((key) => typeof fields?.[key] === 'number')
      .map((key) => `${String(fields?.[key])} ${key}`);
    const detail = fields?.error ? ` (${String(fields.error)})` : counts.length > 0 ? ` (${counts.join(', ')})` : '';
    write(`${level === 'info' ? '' : `${level}: `}${tenant}${message}${detail}`);
  };
  return { info: line('info'), warn: line('warning'), error: line('error') };
}
