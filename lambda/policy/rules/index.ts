/**
 * The built-in rules, in the order findings are reported: the breakage first, then what causes it, then hygiene.
 */
import type { RuleDefinition } from '../rule';
import { apiKeyConfigOutOfPolicy } from './api-key-config-out-of-policy';
import { apiKeyExpiring } from './api-key-expiring';
import { apiKeyOwnerInactive } from './api-key-owner-inactive';
import { apiKeyOwnerLacksManagePermission } from './api-key-owner-lacks-manage-permission';
import { apiKeyScopeModelMismatch } from './api-key-scope-model-mismatch';
import { deprecatedDeveloperRoleAssigned } from './deprecated-developer-role-assigned';
import { formerDeveloperNotMigrated } from './former-developer-not-migrated';
import { manageApiKeysGrantedToEveryone } from './manage-api-keys-granted-to-everyone';
import { replacementRoleMissing } from './replacement-role-missing';

export const RULES: readonly RuleDefinition[] = [
  apiKeyOwnerLacksManagePermission,
  deprecatedDeveloperRoleAssigned,
  apiKeyOwnerInactive,
  apiKeyExpiring,
  manageApiKeysGrantedToEveryone,
  replacementRoleMissing,
  apiKeyConfigOutOfPolicy,
  formerDeveloperNotMigrated,
  apiKeyScopeModelMismatch,
];
