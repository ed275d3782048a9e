import { quoted } from '../../util/tenant-text';
import { compareIsoDurations, durationInDays, parseIsoDuration } from '../duration';
import { tenantSubject } from '../evidence';
import { jsonBody, numberedSteps, pathId } from '../remediation';
import { ISO27001, type RuleDefinition, type RuleMetadata, SOC2 } from '../rule';

/** Qlik's documented defaults when the config omits a field (docs/qlik-cloud-api.md §6). */
const QLIK_DEFAULT_MAX_EXPIRY = 'PT24H';
const QLIK_DEFAULT_MAX_KEYS_PER_USER = 5;

const metadata: RuleMetadata = {
  id: 'api-key-config-out-of-policy',
  title: "The tenant's API-key configuration is within the policy's limits",
  defaultSeverity: 'low',
  subjectType: ['tenant'],
  description:
    'The API-key configuration (GET /api/v1/api-keys/configs/{tenantId}) must not allow keys living longer than ' +
    'rules.api-key-config-out-of-policy.maxKeyExpiry (default P365D) nor more keys per user than maxKeysPerUser ' +
    '(default 5). Durations are compared as ISO 8601 defines them, by adding both to the evaluation time; a field ' +
    "the tenant omits takes Qlik's default (PT24H, 5).",
  risk:
    'Long-lived and numerous API keys widen the window in which a leaked key works and make keys harder to ' +
    'inventory and rotate.',
  remediation:
    'Tighten the configuration as TenantAdmin: PATCH /api/v1/api-keys/configs/{tenantId} ' +
    '[{"op":"replace","path":"/max_api_key_expiry","value":"P365D"},{"op":"replace","path":"/max_keys_per_user",' +
    '"value":5}]. Existing keys keep their expiry.',
  references: [
    { title: 'Managing API keys', source: 'Qlik Help' },
    { title: 'Tenant configuration', source: 'qlik.dev guide' },
    { title: 'API keys API reference', source: 'qlik.dev' },
  ],
  compliance: { [SOC2]: ['CC6.1'], [ISO27001]: ['A.5.17', 'A.8.2'] },
};

interface Violation {
  readonly setting: 'max_api_key_expiry' | 'max_keys_per_user';
  readonly tenantValue: string | number;
  readonly policyLimit: string | number;
  readonly explanation: string;
  readonly fix: { op: 'replace'; path: string; value: string | number };
}

export const apiKeyConfigOutOfPolicy: RuleDefinition = {
  metadata,

  evaluate({ snapshot, policy, now }) {
    const config = snapshot.apiKeysConfig;
    // Not collected (or not readable): nothing to compare; collection errors are reported by the collector.
    if (!config) return [];
    const limits = policy.rules['api-key-config-out-of-policy'];
    const violations: Violation[] = [];

    const expiryText = config.maxApiKeyExpiry ?? QLIK_DEFAULT_MAX_EXPIRY;
    const tenantExpiry = parseIsoDuration(expiryText);
    const policyExpiry = parseIsoDuration(limits.maxKeyExpiry);
    const expiryFix = { op: 'replace' as const, path: '/max_api_key_expiry', value: limits.maxKeyExpiry };
    if (!policyExpiry)
      throw new Error(`policy maxKeyExpiry "${limits.maxKeyExpiry}" passed validation but does not parse`);
    if (!tenantExpiry) {
      violations.push({
        setting: 'max_api_key_expiry',
        tenantValue: expiryText,
        policyLimit: limits.maxKeyExpiry,
        explanation: `max_api_key_expiry ${quoted(expiryText)} is not an ISO-8601 duration, so it cannot be shown to be within ${limits.maxKeyExpiry}`,
        fix: expiryFix,
      });
    } else if (compareIsoDurations(tenantExpiry, policyExpiry, now) > 0) {
      violations.push({
        setting: 'max_api_key_expiry',
        tenantValue: expiryText,
        policyLimit: limits.maxKeyExpiry,
        explanation:
          `keys may live ${quoted(expiryText)} (${durationInDays(tenantExpiry, now)} days), longer than the policy's ` +
          `${limits.maxKeyExpiry} (${durationInDays(policyExpiry, now)} days)`,
        fix: expiryFix,
      });
    }

    const keysPerUser = config.maxKeysPerUser ?? QLIK_DEFAULT_MAX_KEYS_PER_USER;
    if (keysPerUser > limits.maxKeysPerUser) {
      violations.push({
        setting: 'max_keys_per_user',
        tenantValue: keysPerUser,
        policyLimit: limits.maxKeysPerUser,
        explanation: `each user may hold ${keysPerUser} keys, more than the policy's ${limits.maxKeysPerUser}`,
        fix: { op: 'replace', path: '/max_keys_per_user', value: limits.maxKeysPerUser },
      });
    }

    if (violations.length === 0) return [];
    return [
      {
        ruleId: metadata.id,
        severity: metadata.defaultSeverity,
        subject: tenantSubject(snapshot),
        message:
          `The tenant's API-key configuration exceeds the policy: ${violations.map((v) => v.explanation).join('; ')}. ` +
          'Long-lived or numerous keys widen the window in which a leaked key works.',
        evidence: {
          config: {
            max_api_key_expiry: config.maxApiKeyExpiry ?? null,
            max_keys_per_user: config.maxKeysPerUser ?? null,
            ...(config.scimExternalClientExpiry ? { scim_externalClient_expiry: config.scimExternalClientExpiry } : {}),
          },
          qlikDefaultsApplied: [
            ...(config.maxApiKeyExpiry === undefined ? [`max_api_key_expiry=${QLIK_DEFAULT_MAX_EXPIRY}`] : []),
            ...(config.maxKeysPerUser === undefined ? [`max_keys_per_user=${QLIK_DEFAULT_MAX_KEYS_PER_USER}`] : []),
          ],
          policy: { maxKeyExpiry: limits.maxKeyExpiry, maxKeysPerUser: limits.maxKeysPerUser },
          comparedAt: now.toISOString(),
          violations: violations.map(({ fix: _fix, ...violation }) => violation),
        },
        remediation: numberedSteps('Bring the API-key configuration within the policy.', [
          `As TenantAdmin: PATCH /api/v1/api-keys/configs/${pathId(snapshot.tenantId)} ${jsonBody(violations.map((v) => v.fix))}`,
          'Existing keys keep their expiry; rotate long-lived ones (see api-key-expiring) if they exceed the new limit.',
        ]),
      },
    ];
  },
};
