/**
 * The built-in default policy. default-policy.yaml is the same document for people to copy; a unit test keeps the
 * two identical. It lives in code so the Lambda bundle needs no file beside it.
 */
import type { PolicyDocument } from './schema';

export const DEFAULT_POLICY_DOCUMENT: PolicyDocument = {
  name: 'qlik-access-guard default',
  description:
    'API-key owners keep the Manage API keys permission after Qlik removed the Developer role; Manage API keys is ' +
    'granted on least privilege; API keys and their configuration stay within safe limits.',
  rules: {
    'api-key-owner-lacks-manage-permission': { enabled: true, severity: 'critical' },
    'deprecated-developer-role-assigned': { enabled: true, severity: 'high' },
    'api-key-owner-inactive': { enabled: true, severity: 'medium' },
    'api-key-expiring': { enabled: true, severity: 'low', windowDays: 14 },
    'manage-api-keys-granted-to-everyone': { enabled: true, severity: 'medium' },
    'replacement-role-missing': { enabled: true, severity: 'high' },
    'api-key-config-out-of-policy': { enabled: true, severity: 'low', maxKeyExpiry: 'P365D', maxKeysPerUser: 5 },
    'former-developer-not-migrated': { enabled: true, severity: 'high' },
    'api-key-scope-model-mismatch': { enabled: true, severity: 'high' },
  },
  grantingRoles: [],
  formerDevelopers: { users: [], groups: [] },
  require: [],
  exceptions: [],
  remediation: {
    scope: 'api-keys',
    createRole: { name: 'Manage API keys', description: 'Owners of API keys: the Manage API keys permission only' },
    removeDeveloperRole: false,
  },
  notifications: { reminderEveryDays: 7, credentialExpiryWarningDays: 14, maxItemsPerSection: 25 },
};

export const DEFAULT_POLICY_SOURCE = 'built-in default policy';
