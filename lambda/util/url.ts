/** Tenant URLs as reports, alerts and logs may show them. */

const UNPARSEABLE = '(an unparseable tenant URL)';

/**
 * The tenant URL as reports, alerts and logs may show it: scheme, host, port and path only. A user name or password
 * someone put into the URL never travels further than the client that refuses it.
 */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return UNPARSEABLE;
  }
}

/** The host (and port) of a tenant URL: names a tenant whose id is not known. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    // Not echoed: whatever was typed may hold a credential.
    return UNPARSEABLE;
  }
}
