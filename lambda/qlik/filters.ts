/**
 * SCIM (RFC 7644) filter expressions for the Users API, built from values we do not control (ids from key
 * listings, emails from a policy), so every value is quoted and escaped.
 */
import { USER_STATUSES } from './schemas';

/** A SCIM string literal: double quotes, with `\` and `"` escaped. */
export function scimString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `field eq "a" or field eq "b"` for each field and value. */
export function anyEquals(fields: readonly string[], values: readonly string[]): string {
  return values.flatMap((value) => fields.map((field) => `${field} eq ${scimString(value)}`)).join(' or ');
}

/**
 * Qlik's listing may default to active users only, and `status` conditions must be grouped and apply to the whole
 * query: `(…) and (status eq "active" or status eq "disabled" …)` returns users of every status.
 */
export function inAnyStatus(expression: string): string {
  return `(${expression}) and (${anyEquals(['status'], USER_STATUSES)})`;
}

/** Every user of the tenant, whatever their status. */
export const ALL_STATUSES_FILTER = `(${anyEquals(['status'], USER_STATUSES)})`;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
