/**
 * Wording for a tenant that could not be checked, shared by the renderers so the CSV, the HTML and anyone else say the
 * same thing: this tenant's compliance is unknown, and what to look at first.
 */
import type { CheckErrorCode } from '../errors';

export const ERROR_CODE_TITLES: Record<CheckErrorCode, string> = {
  unauthorized: 'Unauthorized (401)',
  forbidden: 'Forbidden (403)',
  'rate-limited': 'Rate limited (429)',
  unreachable: 'Unreachable',
  timeout: 'Timed out',
  'bad-response': 'Unexpected response',
  'bad-input': 'Bad input',
};

export const ERROR_CODE_HINTS: Record<CheckErrorCode, string> = {
  unauthorized:
    "The tenant rejected the checker's own credential. If it is an API key, its owner may have lost Manage API keys " +
    '(the very failure this tool watches for); an OAuth client is not subject to that. Fix or rotate the secret.',
  forbidden: "The checker's identity is not allowed to read users, groups, roles or API keys: it needs TenantAdmin.",
  'rate-limited': 'Qlik kept answering 429 Too Many Requests. Lower the tenant concurrency or request budget.',
  unreachable: 'Check the tenant URL, DNS, and that the host is in the allowed hosts list.',
  timeout: 'The tenant did not finish within the per-tenant deadline. Raise the deadline for large tenants.',
  'bad-response': 'Qlik answered with a body the checker did not expect; the message says which call.',
  'bad-input':
    'A file or setting given to the checker is invalid; the message names the file, the path and what was expected.',
};

/** Said wherever an error tenant is shown, so nobody reads an empty findings list as compliant. */
export const NOT_CHECKED_STATEMENT =
  'This tenant could not be checked. Its compliance is unknown: no findings does not mean compliant.';
