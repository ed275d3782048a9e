/**
 * `qlik-access-guard verify`: checks the tamper-evident archive of a reports folder or an S3 bucket — every file a
 * manifest lists is there with its recorded SHA-256, and the manifests form one unbroken chain per tenant.
 */
import { CheckError, InputError, messageOf } from '../../errors';
import type { ChainHeadAnchor } from '../../store/anchor';
import { keySegment } from '../../store/layout';
import type { ObjectStore } from '../../store/object-store';
import { escapeUnsafe, safeJson } from '../../util/tenant-text';
import { type CliIo, type CliOptions, defineCommand, EXIT_ERROR, EXIT_FAILING, EXIT_OK } from '../command';
import { ARCHIVE_OPTIONS, JSON_OPTION, openArchive } from '../options';

const VERIFY_OPTIONS = {
  ...ARCHIVE_OPTIONS,
  'tenant-id': {
    type: 'string',
    multiple: true,
    value: 'id',
    help: 'verify only this tenant (repeatable; default every tenant in the archive)',
  },
  'anchor-log-group': {
    type: 'string',
    value: 'name',
    help: 'also compare each chain with the chain heads the function logged to this CloudWatch Logs group (with --bucket)',
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
    const logGroup = values['anchor-log-group'];
    if (logGroup !== undefined && !values.bucket) {
      throw new InputError('command line', '--anchor-log-group', 'the S3 archive it anchors as well (--bucket <name>)');
    }
    const { listTenants, verifyChain } = await import('../../verify');
    const store = await openArchive(values, io);
    const anchors = logGroup === undefined ? undefined : await loggedChainHeads(logGroup, io);
    const tenantIds = values['tenant-id'] ?? (await tenantsToVerify(store, anchors, listTenants));
    if (tenantIds.length === 0) {
      io.stderr('error: no archived runs found\n');
      return EXIT_ERROR;
    }
    let ok = true;
    const results = [];
    for (const tenantId of tenantIds) {
      const result = await verifyChain(store, tenantId, anchors ? { anchors } : {});
      results.push({ tenantId, ...result });
      ok &&= result.ok;
      if (!values.json) {
        io.stdout(
          `${result.ok ? '✔' : '✖'} tenant ${escapeUnsafe(tenantId)}: ${result.runs} runs, ${result.problems.length} problems${result.anchorsChecked === undefined ? '' : `, ${result.anchorsChecked} logged chain heads compared`}\n`,
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

/** The chain heads the function logged (lambda/store/anchor.ts), read with the CLI's AWS credentials. */
async function loggedChainHeads(logGroupName: string, io: CliIo): Promise<ChainHeadAnchor[]> {
  const [{ awsClients }, { readChainHeadAnchors }] = await Promise.all([
    import('../aws'),
    import('../../store/anchor-log'),
  ]);
  const clients = await awsClients(io);
  const logs =
    clients.logs ??
    new (await import('@aws-sdk/client-cloudwatch-logs')).CloudWatchLogsClient(
      io.env.AWS_ENDPOINT_URL ? { endpoint: io.env.AWS_ENDPOINT_URL } : {},
    );
  try {
    return await readChainHeadAnchors(logs, logGroupName);
  } catch (error) {
    throw new CheckError('unreachable', messageOf(error), { cause: error });
  }
}

/** Every tenant with reports or state, and every tenant the log anchors (even when none of its reports is left). */
async function tenantsToVerify(
  store: ObjectStore,
  anchors: readonly ChainHeadAnchor[] | undefined,
  listTenants: (store: ObjectStore) => Promise<string[]>,
): Promise<string[]> {
  const listed = await listTenants(store);
  const anchored = (anchors ?? []).map((anchor) => keySegment(anchor.tenantId));
  return [...new Set([...listed, ...anchored])].sort();
}
