/**
 * `qlik-access-guard evidence (--out <dir> | --bucket <name>) --from <date> --to <date> [--tenant-id <id>]
 * [--schedule <rate(…)|cron(…)>] [--output <file.html>] [--json]`: evidence for an audit period from the report archive
 * (read only). Exit 0: produced, chain verifies, every expected run checked the tenant; 1: produced, with chain
 * problems, gaps or runs that could not check a tenant; 2: bad input or an unreadable archive.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../../errors';
import type { EvidenceDocument, TenantEvidence } from '../../evidence/model';
import { safeJson, tenantText } from '../../util/tenant-text';
import { plural } from '../../util/text';
import { type CliOptions, defineCommand } from '../command';
import { ARCHIVE_OPTIONS, JSON_OPTION, openArchive } from '../options';

const EVIDENCE_OPTIONS = {
  ...ARCHIVE_OPTIONS,
  from: { type: 'string', value: 'date', help: 'first day of the audit period (YYYY-MM-DD)' },
  to: { type: 'string', value: 'date', help: 'last day of the audit period (YYYY-MM-DD)' },
  'tenant-id': {
    type: 'string',
    multiple: true,
    value: 'id',
    help: 'only this tenant (repeatable; default every tenant in the archive)',
  },
  schedule: {
    type: 'string',
    value: 'rate(…)|cron(…)',
    help: 'the expected run schedule, e.g. "rate(1 day)" or "cron(0 6 * * ? *)" (UTC) (default: the recorded one, else the runs\' cadence)',
  },
  output: { type: 'string', value: 'file.html', help: 'also write the evidence as an HTML report to this file' },
  ...JSON_OPTION,
} as const satisfies CliOptions;

export const evidenceCommand = defineCommand({
  name: 'evidence',
  summary: "an audit period's evidence from the report archive (coverage, gaps, chain, timelines)",
  usage: 'evidence (--out <dir> | --bucket <name>) --from <date> --to <date> [--tenant-id <id>] [options]',
  details:
    'Exit codes: 0 produced, the chain verifies and every expected run checked the tenant; 1 produced, with chain\n' +
    'problems, gaps or runs that could not check a tenant; 2 bad input or an unreadable archive.',
  options: EVIDENCE_OPTIONS,
  async run({ values }, io) {
    if (values.out && values.bucket) {
      throw new InputError('command line', '--bucket', 'either --out or --bucket, not both');
    }
    if (!values.out && !values.bucket) {
      throw new InputError('command line', '--out', 'the archive to read: --out <dir> or --bucket <name>');
    }
    const [
      { parseRecordedSchedule },
      { buildEvidence, evidenceExitCode },
      { renderEvidenceHtml },
      { isComplete },
      { parsePeriod },
    ] = await Promise.all([
      import('../../evidence/coverage'),
      import('../../evidence/evidence'),
      import('../../evidence/html'),
      import('../../evidence/model'),
      import('../../evidence/period'),
    ]);
    const period = parsePeriod(values.from, values.to);
    const schedule = values.schedule === undefined ? undefined : parseRecordedSchedule(values.schedule);
    if (values.schedule !== undefined && !schedule) {
      throw new InputError(
        'command line',
        '--schedule',
        'a rate expression such as "rate(1 day)" or a cron expression such as "cron(0 6 * * ? *)" (in UTC); omit it to ' +
          'take the expected runs from the schedule the runs recorded, else from the runs themselves',
      );
    }
    const store = await openArchive(values, io);
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
    // The exact values, with no raw control, line-separator or bidi character in the bytes (docs/tenant-text.md).
    if (values.json) io.stdout(`${safeJson(document, undefined, 2)}\n`);
    else {
      const htmlPath = values.output ? resolve(io.cwd, values.output) : undefined;
      io.stdout(formatEvidenceSummary(document, isComplete, htmlPath));
    }
    return evidenceExitCode(document);
  },
});

/**
 * One line per tenant for a person at a terminal; the JSON and HTML carry the detail. `isComplete` is passed in
 * because evidence/model.ts (zod schemas) is loaded only when the command runs.
 */
export function formatEvidenceSummary(
  document: EvidenceDocument,
  isComplete: (tenant: TenantEvidence) => boolean,
  htmlPath?: string,
): string {
  const lines = [`evidence ${document.period.from} – ${document.period.to} from ${tenantText(document.archive, 400)}`];
  for (const tenant of document.tenants) {
    const open = tenant.findings.filter((f) => f.status !== 'resolved').length;
    const resolved = tenant.findings.length - open;
    lines.push(
      `${isComplete(tenant) ? '✔' : '✖'} ${tenantText(tenant.tenantId)}: ${tenant.runs} of ${tenant.expectedRuns} expected runs` +
        `, ${plural(tenant.gaps.length, 'gap')}, ${plural(tenant.runsFailed, 'run')} could not check the tenant` +
        `, chain ${tenant.chain.ok ? 'verifies' : `has ${plural(tenant.chain.problems.length, 'problem')}`}` +
        `, ${open} findings open, ${resolved} resolved`,
    );
  }
  if (htmlPath) lines.push(`report: ${tenantText(htmlPath, 400)}`);
  return `${lines.join('\n')}\n`;
}
