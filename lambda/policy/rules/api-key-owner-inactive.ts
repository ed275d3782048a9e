import type { FindingDraft } from '../../report/model';
import { tenantText } from '../../util/tenant-text';
import { describeKey, describeUser, keyEvidence, keySubject, userEvidence } from '../evidence';
import { jsonBody, numberedSteps, pathId } from '../remediation';
import { ISO27001, type RuleDefinition, type RuleMetadata, SOC2 } from '../rule';

const metadata: RuleMetadata = {
  id: 'api-key-owner-inactive',
  title: 'Every active API key belongs to an active user',
  defaultSeverity: 'medium',
  subjectType: ['apiKey'],
  description:
    'An active, unexpired user API key whose owner is disabled, deleted, or unknown to the tenant. "Unknown" means ' +
    'the owner was looked up (or the full user inventory was read) and not found; an owner simply not collected is ' +
    'never reported. SCIM (externalClient) keys have no user owner and are not checked.',
  risk:
    "An API key acts with all of its owner's permissions. A key left behind by someone who left is an orphaned " +
    'credential: it comes back to life if the account is re-enabled, and any integration still using it is tied to a ' +
    'person who is gone.',
  remediation:
    'If an integration still needs access, create a new key owned by an active service account that holds Manage ' +
    'API keys (POST /api/v1/api-keys as that user), switch the integration to it, then revoke the old key as ' +
    'TenantAdmin: DELETE /api/v1/api-keys/{keyId} (status becomes "revoked"; irreversible).',
  references: [
    { title: 'Managing API keys', source: 'Qlik Help' },
    { title: 'Review API keys', source: 'Qlik Help (Admin Playbook)' },
    { title: 'API keys API reference', source: 'qlik.dev' },
  ],
  compliance: { [SOC2]: ['CC6.2', 'CC6.3'], [ISO27001]: ['A.5.18', 'A.5.15'] },
};

export const apiKeyOwnerInactive: RuleDefinition = {
  metadata,

  evaluate({ tenant, snapshot }) {
    const findings: FindingDraft[] = [];
    for (const [ownerId, keys] of tenant.liveUserKeysByOwner) {
      const owner = tenant.usersById.get(ownerId);
      let state: 'disabled' | 'deleted' | 'unknown';
      if (owner) {
        if (owner.status !== 'disabled' && owner.status !== 'deleted') continue;
        state = owner.status;
      } else if (tenant.isKnownMissingUser(ownerId)) {
        state = 'unknown';
      } else {
        continue;
      }
      const ownerText =
        owner !== undefined
          ? `its owner ${describeUser(owner)} is ${state}`
          : `its owner ${tenantText(ownerId)} does not exist in the tenant`;
      for (const key of keys) {
        findings.push({
          ruleId: metadata.id,
          severity: metadata.defaultSeverity,
          subject: keySubject(key),
          message:
            `API key ${describeKey(key)} is active but ${ownerText}: it is an orphaned credential that acts with ` +
            "all of the owner's permissions if the account comes back, and integrations using it depend on a person " +
            'who no longer has access.',
          evidence: {
            key: keyEvidence(key),
            owner: owner
              ? userEvidence(owner)
              : {
                  id: ownerId,
                  status: 'unknown',
                  lookedUp: snapshot.usersScope === 'all' ? 'full user inventory' : 'looked up by id, not found',
                },
            ownerLiveKeys: keys.length,
          },
          remediation: numberedSteps(`Retire API key ${describeKey(key)}.`, [
            'If an integration still uses it, create a replacement owned by an active service account that holds ' +
              'Manage API keys: as that user, POST /api/v1/api-keys ' +
              jsonBody({ description: key.description || 'replacement key', expiry: 'P90D' }) +
              ', and switch the integration to the new token.',
            `Revoke the old key as TenantAdmin: DELETE /api/v1/api-keys/${pathId(key.id)} (status becomes "revoked"; irreversible).`,
          ]),
        });
      }
    }
    return findings;
  },
};
