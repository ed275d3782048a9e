/**
 * What a policy needs from a tenant. The policy domain derives it (`policyNeeds` in lambda/policy); the collector
 * turns it into the fewest requests. Cost grows with what is checked, not with the tenant's size.
 */
export interface PolicyNeeds {
  /** Every user of the tenant (a full inventory), e.g. for a `require` rule selecting users by role. */
  readonly allUsers: boolean;
  /** Every group of the tenant. When false, only the groups of the users collected (plus Everyone). */
  readonly allGroups: boolean;
  /** Users that must be collected by id (besides API-key owners), e.g. former Developers listed in the policy. */
  readonly userIds: readonly string[];
  /** Users that must be collected by email or subject (matched case-insensitively). */
  readonly userEmails: readonly string[];
  /** Members of these groups (ids or names) must be collected. */
  readonly memberGroups: readonly string[];
  /** Holders (direct or via group) of these role names must be collected. */
  readonly roleHolders: readonly string[];
  /** The API-key configuration (`/api-keys/configs/{tenantId}`). */
  readonly apiKeysConfig: boolean;
}

export const FULL_INVENTORY: PolicyNeeds = {
  allUsers: true,
  allGroups: true,
  userIds: [],
  userEmails: [],
  memberGroups: [],
  roleHolders: [],
  apiKeysConfig: true,
};
