import type { SnapshotApiKey } from '../../collect/snapshot';
import type { FindingDraft } from '../../report/model';
import { tenantText } from '../../util/tenant-text';
import { plural } from '../../util/text';
import { DAY_MS } from '../../util/time';
import { describeKey, describeUser, keyEvidence, keySubject, userEvidence } from '../evidence';
import { jsonBody, numberedSteps, pathId } from '../remediation';
import { ISO27001, type RuleDefinition, type RuleMetadata, SOC2 } from '../rule';
import { isLiveKey } from '../tenant-index';

const metadata: RuleMetadata = {
  id: 'api-key-expiring',
  title: 'No active API key expires within the warning window',
  defaultSeverity: 'low',
  subjectType: ['apiKey'],
  description:
    "An active API key (user or SCIM) whose expiry falls within the policy's window, rules.api-key-expiring.windowDays " +
    '(default 14 days). Keys already expired, revoked or without an expiry are not reported.',
  risk:
    'When a key expires, every integration using it gets 401 Authorization Required. Replacing a key takes a ' +
    "person with Manage API keys and a change to the integration's secret, which is easy to miss without warning.",
  remediation:
    'Create the successor before the old key expires: as the owner (who needs Manage API keys), POST /api/v1/api-keys ' +
    '{"description":"…","expiry":"P90D"}; store the new token where the integration reads it; then revoke the old ' +
    'key with DELETE /api/v1/api-keys/{keyId}. For a SCIM key, create a new externalClient key for the identity ' +
    'provider and update its provisioning secret.',
  references: [
    { title: 'Managing API keys', source: 'Qlik Help' },
    { title: 'Review API keys', source: 'Qlik Help (Admin Playbook)' },
    { title: 'API keys API reference', source: 'qlik.dev' },
  ],
  compliance: { [SOC2]: ['CC6.1'], [ISO27001]: ['A.5.17', 'A.5.15'] },
};

export const apiKeyExpiring: RuleDefinition = {
  metadata,

  evaluate({ snapshot, policy, now, tenant }) {
    const windowDays = policy.rules['api-key-expiring'].windowDays;
    const horizon = now.getTime() + windowDays * DAY_MS;
    const findings: FindingDraft[] = [];
    for (const key of snapshot.apiKeys) {
      if (!isLiveKey(key, now) || key.expiry === undefined) continue;
      const expiry = Date.parse(key.expiry);
      if (Number.isNaN(expiry) || expiry > horizon) continue;

      const daysLeft = Math.max(0, Math.ceil((expiry - now.getTime()) / DAY_MS));
      const owner = key.subType === 'user' ? tenant.usersById.get(key.sub) : undefined;
      const whose =
        key.subType === 'externalClient'
          ? 'SCIM provisioning key'
          : `owned by ${owner ? describeUser(owner) : `user ${tenantText(key.sub)}`}`;
      findings.push({
        ruleId: metadata.id,
        severity: metadata.defaultSeverity,
        subject: keySubject(key),
        message:
          `API key ${describeKey(key)} (${whose}) expires on ${new Date(expiry).toISOString()} ` +
          `(${daysLeft === 0 ? 'within a day' : `in ${plural(daysLeft, 'day')}`}, window ${windowDays} days); ` +
          (key.subType === 'externalClient'
            ? 'user provisioning from the identity provider stops after that.'
            : 'integrations using it get 401 Authorization Required after that.'),
        evidence: {
          key: keyEvidence(key),
          daysLeft,
          windowDays,
          ...(owner ? { owner: userEvidence(owner) } : key.subType === 'user' ? { owner: { id: key.sub } } : {}),
        },
        remediation: rotationSteps(key),
      });
    }
    return findings;
  },
};

function rotationSteps(key: SnapshotApiKey): string {
  if (key.subType === 'externalClient') {
    return numberedSteps(`Rotate SCIM key ${describeKey(key)} before it expires.`, [
      'Create a new provisioning key for the identity provider (Administration console, or POST /api/v1/api-keys ' +
        jsonBody({
          description: key.description || 'SCIM provisioning',
          sub: key.sub,
          subType: 'externalClient',
        }) +
        ').',
      "Update the identity provider's SCIM secret with the new token and test provisioning.",
      `Revoke the old key: DELETE /api/v1/api-keys/${pathId(key.id)}.`,
    ]);
  }
  return numberedSteps(`Rotate API key ${describeKey(key)} before it expires.`, [
    `As the owner (${tenantText(key.sub)}, who needs Manage API keys), create the successor: POST /api/v1/api-keys ` +
      jsonBody({ description: key.description || 'rotated key', expiry: 'P90D' }) +
      '.',
    'Store the new token where the integration reads it and check the integration works.',
    `Revoke the old key: DELETE /api/v1/api-keys/${pathId(key.id)}.`,
  ]);
}
