/**
 * The one line that names an alert: email subject and chat title. Shared so both channels say the same thing.
 */

import { plural } from '../util/text';
import type { AlertContent } from './content';
import { field, oneLine, truncate } from './text';

/** SNS email subjects must be under 100 characters. */
export const SUBJECT_MAX = 99;
export const SUBJECT_PREFIX = '[qlik-access-guard] ';
/** A tenant name is never shortened below this, so the reader can still tell tenants apart. */
const TENANT_NAME_MIN = 12;

/** What happened, without the tenant: "3 new, 1 resolved — critical". */
export function headlineOf(content: AlertContent): string {
  switch (content.kind) {
    case 'drift': {
      const { counts } = content;
      const parts = [
        counts.new > 0 && `${counts.new} new`,
        counts.reopened > 0 && `${counts.reopened} reopened`,
        counts.exceptionExpired > 0 && `${plural(counts.exceptionExpired, 'exception')} expired`,
        counts.resolved > 0 && `${counts.resolved} resolved`,
      ].filter((part): part is string => typeof part === 'string');
      const worst = content.changed.length > 0 ? ` — ${content.severity}` : '';
      return `${parts.join(', ') || 'no changes'}${worst}`;
    }
    case 'reminder':
      return `${content.failing.length} still failing (reminder) — ${content.severity}`;
    case 'health': {
      const [first, ...others] = content.issues;
      const more = others.length > 0 ? ` (+${others.length} more)` : '';
      return `health — ${first?.headline ?? 'checker problem'}${more}`;
    }
  }
}

/**
 * `<prefix><tenant>: <headline>` within `max` characters. The tenant name gives way first (down to a readable
 * minimum), then the whole line is cut; cuts never split a character.
 */
export function fitTitle(prefix: string, tenantName: string, headline: string, max = SUBJECT_MAX): string {
  const tenant = field(tenantName, max) || 'tenant';
  const rest = `: ${oneLine(headline)}`;
  const room = max - prefix.length - rest.length;
  const shortened = tenant.length > room ? truncate(tenant, Math.max(room, TENANT_NAME_MIN)) : tenant;
  return truncate(`${prefix}${shortened}${rest}`, max);
}
