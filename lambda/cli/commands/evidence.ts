/**
 * `qlik-access-guard evidence (--out <dir> | --bucket <name>) --from <date> --to <date> [--tenant-id <id>]
 * [--schedule <rate(…)>] [--output <file.html>] [--json]`: evidence for an audit period from the report archive
 * (read only). Exit 0: produced, chain verifies, every expected run checked the tenant; 1: produced, with chain
 * problems, gaps or runs that could not check a tenant; 2: bad input or an unreadable archive.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../../errors';
import { parseRateSchedule } from '../../evidence/coverage';
import { buildEvidence, evidenceExitCode } from '../../evidence/evidence';
import { renderEvidenceHtml } from '../../evidence/html';
import { type EvidenceDocument, isComplete } from '../../evidence/model';
import { parsePeriod } from '../../evidence/period';
import type { ObjectStore } from '../../store/object-store';
import { plural } from '../../util/text';

export interface EvidenceCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly now?: () => Date;
}

/** Opens the archive named by `--out` or `--bucket` (the same as `verify` does). */
export type OpenArchive = (where: { readonly out?: string; readonly bucket?: string }) => Promise<ObjectStore>;

export async function evidenceCommand(
  argv: readonly string[],
  io: EvidenceCommandIo,
  openArchive: OpenArchive,
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      out: { type: 'string' },
      bucket: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'tenant-id': { type: 'string', multiple: true },
      schedule: { type: 'string' },
      output: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.out && values.bucket) {
    throw new InputError('command line', '--bucket', 'either --out or --bucket, not both');
  }
  if (!values.out && !values.bucket) {
    throw new InputError('command line', '--out', 'the archive to read: --out <dir> or --bucket <name>');
  }
  const period = parsePeriod(values.from, values.to);
  const schedule = values.schedule === undefined ? undefined : parseRateSchedule(values.schedule);
  if (values.schedule !== undefined && !schedule) {
    throw new InputError(
      'command line',
      '--schedule',
      'a rate expression such as "rate(1 day)" (omit it to take the expected runs from the runs themselves)',
    );
  }
  const store = await openArchive({
    ...(values.out ? { out: values.out } : {}),
    ...(values.bucket ? { bucket: values.bucket } : {}),
  });
  const document = await buildEvidence(store, {
    period,
    ...(values['tenant-id'] ? { tenantIds: values['tenant-id'] } : {}),
    ...(schedule ? { schedule } : {}),
    ...(io.now ? { now: io.now } : {}),
  });

  if (values.output) {
    const path = resolve(io.cwd, values.output);
    try {
      await writeFile(path, renderEvidenceHtml(document));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'cannot be written';
      throw new InputError('--output', '', `a file that can be written (${path}: ${reason})`, { cause: error });
    }
  }
  if (values.json) io.stdout(`${JSON.stringify(document, null, 2)}\n`);
  else io.stdout(formatEvidenceSummary(document, values.output ? resolve(io.cwd, values.output) : undefined));
  return evidenceExitCode(document);
}

/** One line per tenant for a person at a terminal; the JSON and HTML carry the detail. */
export function formatEvidenceSummary(document: EvidenceDocument, htmlPath?: string): string {
  const lines = [`evidence ${document.period.from} – ${document.period.to} from ${document.archive}`];
  for (const tenant of document.tenants) {
    const open = tenant.findings.filter((f) => f.status !== 'resolved').length;
    const resolved = tenant.findings.length - open;
    lines.push(
      `${isComplete(tenant) ? '✔' : '✖'} ${tenant.tenantId}: ${tenant.runs} of ${tenant.expectedRuns} expected runs` +
        `, ${plural(tenant.gaps.length, 'gap')}, ${plural(tenant.runsFailed, 'run')} could not check the tenant` +
        `, chain ${tenant.chain.ok ? 'verifies' : `has ${plural(tenant.chain.problems.length, 'problem')}`}` +
        `, ${open} findings open, ${resolved} resolved`,
    );
  }
  if (htmlPath) lines.push(`report: ${htmlPath}`);
  return `${lines.join('\n')}\n`;
}
