/**
 * `qlik-access-guard webhooks install|list|remove`: one tenant-level webhook named `qlik-access-guard` per tenant,
 * pointing at `<receiver>/qlik/<tenant name>`, subscribed to the relevant event types the tenant offers, with a fresh
 * random secret kept in the state folder (mode 0600) or the tenant's Secrets Manager secret (`--secret-id`). Installing
 * again updates it in place. The work is in ../webhooks-run.ts.
 */
import { InputError } from '../../errors';
import { type CliOptions, defineCommand } from '../command';
import { OUTPUT_OPTIONS, stateDirOf, TENANT_OPTIONS, tenantTargets } from '../options';

const WEBHOOKS_OPTIONS = {
  ...TENANT_OPTIONS,
  state: OUTPUT_OPTIONS.state,
  receiver: {
    type: 'string',
    value: 'base url',
    help: 'install: the receiver base URL Qlik delivers to (https; http only for 127.0.0.1 with --allow-http-loopback)',
  },
  'secret-id': {
    type: 'string',
    value: 'id',
    help:
      'install: keep the webhook secret as {"secret": …} in this Secrets Manager secret (one tenant; created when ' +
      'missing; never the Qlik credential secret) instead of the state folder',
  },
} as const satisfies CliOptions;

const ACTIONS = ['install', 'list', 'remove'] as const;

export const webhooksCommand = defineCommand({
  name: 'webhooks',
  summary: 'install, list or remove the qlik-access-guard webhook of each tenant',
  usage:
    'webhooks install|list|remove --tenant <url> … [--tenants-file <file>] [--receiver <base url>] [--state <dir>] ' +
    '[--secret-id <id>]',
  positionals: 'install|list|remove',
  details: 'Needs a TenantAdmin credential (or an OAuth client) per tenant. Exit 2 when any tenant failed.',
  options: WEBHOOKS_OPTIONS,
  async run({ values, positionals }, io) {
    const action = positionals[0] as (typeof ACTIONS)[number] | undefined;
    if (positionals.length !== 1 || !action || !ACTIONS.includes(action))
      throw new InputError('command line', 'webhooks', `one of ${ACTIONS.join(', ')}`);
    const targets = await tenantTargets(values, io);
    const receiver = action === 'install' ? receiverBase(values.receiver, values['allow-http-loopback']) : undefined;
    if (values['secret-id'] && targets.length !== 1)
      throw new InputError('--secret-id', '', 'exactly one --tenant (each tenant has its own secret)');
    const { runWebhooks } = await import('../webhooks-run');
    return runWebhooks(
      {
        action,
        targets,
        stateDir: stateDirOf(values, io),
        allowHttpLoopback: values['allow-http-loopback'],
        ...(receiver ? { receiver } : {}),
        ...(values['secret-id'] ? { secretId: values['secret-id'] } : {}),
      },
      io,
    );
  },
});

function receiverBase(value: string | undefined, allowHttpLoopback: boolean): string {
  const expected = 'the receiver base URL, https://… (http://127.0.0.1:<port> only with --allow-http-loopback)';
  let url: URL;
  try {
    url = new URL(value ?? '');
  } catch {
    throw new InputError('--receiver', '', expected);
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && loopback && allowHttpLoopback);
  if (!ok || url.username || url.password || url.search || url.hash) throw new InputError('--receiver', '', expected);
  return url.href.replace(/\/+$/, '');
}
