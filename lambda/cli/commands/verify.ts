/**
 * `qlik-access-guard verify`: checks the tamper-evident archive of a reports folder or an S3 bucket — every file a
 * manifest lists is there with its recorded SHA-256, and the manifests form one unbroken chain per tenant.
 */
import { InputError } from '../../errors';
import { escapeUnsafe, safeJson } from '../../util/tenant-text';
import { type CliOptions, defineCommand, EXIT_ERROR, EXIT_FAILING, EXIT_OK } from '../command';
import { ARCHIVE_OPTIONS, JSON_OPTION, openArchive } from '../options';

const VERIFY_OPTIONS = {
  ...ARCHIVE_OPTIONS,
  'tenant-id': {
    type: 'string',
    multiple: true,
    value: 'id',
    help: 'verify only this tenant (repeatable; default every tenant in the archive)',
  },
  ...JSON_OPTION,
} as const satisfies CliOptions;

export const verifyCommand = defineCommand({
  name: 'verify',
  summary: 'verify the tamper-evident report archive (a folder or an S3 bucket)',
  usage: 'verify [--out <dir> | --bucket <name>] [--tenant-id <id> …] [--json]',
  details:
    'Exit codes: 0 every chain is intact; 1 an object is missing, altered, replaced (a new S3 version) or out of order; 2 bad input.',
  options: VERIFY_OPTIONS,
  async run({ values }, io) {
    if (values.out && values.bucket)
      throw new InputError('command line', '--bucket', 'either --out or --bucket, not both');
    const { listTenants, verifyChain } = await import('../../verify');
    const store = await openArchive(values, io);
    const tenantIds = values['tenant-id'] ?? (await listTenants(store));
    if (tenantIds.length === 0) {
      io.stderr('error: no archived runs found\n');
      return EXIT_ERROR;
    }
    let ok = true;
    const results = [];
    for (const tenantId of tenantIds) {
      const result = await verifyChain(store, tenantId);
      results.push({ tenantId, ...result });
      ok &&= result.ok;
      if (!values.json) {
        io.stdout(
          `${result.ok ? '✔' : '✖'} tenant ${escapeUnsafe(tenantId)}: ${result.runs} runs, ${result.problems.length} problems\n`,
        );
        // Keys and run ids are whatever was put into the bucket: shown inert, exact in --json.
        for (const p of result.problems)
          io.stdout(`    ${p.kind}: ${escapeUnsafe(p.key)} — ${escapeUnsafe(p.detail)}\n`);
      }
    }
    // Exact values, but no raw control, bidi or separator character in the bytes (docs/tenant-text.md).
    if (values.json) io.stdout(`${safeJson(results, undefined, 2)}\n`);
    return ok ? EXIT_OK : EXIT_FAILING;
  },
});
