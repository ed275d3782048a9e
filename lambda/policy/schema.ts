/**
 * The policy file (YAML or JSON): which rules run and how strict they are, extra required permissions, former
 * Developers, exceptions and notification cadence. Strict: an unknown key is an error that names it, so a typo never
 * silently turns a check off. `z.toJSONSchema` of this schema is committed as policy.schema.json for editors.
 */
import * as z from 'zod';
import { DEFAULT_MANAGE_API_KEYS_SCOPE } from '../collect/snapshot';
import { NAME_MATCHED_SUBJECT_TYPES } from '../drift/exceptions';
import { SEVERITIES, SUBJECT_TYPES } from '../report/model';
import { ISO_DURATION_PATTERN } from './duration';
import type { RuleMetadata } from './rule';
import { RULES } from './rules/index';

const KEBAB_CASE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** Every built-in rule id, in registry order. */
export const BUILT_IN_RULE_IDS: readonly string[] = RULES.map((rule) => rule.metadata.id);

function builtInRule(ruleId: string): RuleMetadata {
  const rule = RULES.find((candidate) => candidate.metadata.id === ruleId);
  if (!rule) throw new Error(`policy schema names rule "${ruleId}", which is not in the rules registry`);
  return rule.metadata;
}

/**
 * A strict object whose unknown-key error lists the keys that are allowed, so the fix is obvious from the message.
 * The message is a marker the loader turns into "unknown key "x" (allowed: …)".
 */
function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `allowed keys: ${allowed}` : undefined),
  });
}

const severity = z.enum(SEVERITIES, { error: `one of ${SEVERITIES.join(', ')}` });

const nonEmptyString = (what: string) => z.string({ error: what }).trim().min(1, { error: what });

const wholeNumber = (what: string, min: number, max: number) =>
  z
    .int({ error: `${what}: a whole number from ${min} to ${max}` })
    .min(min, { error: `${what}: a whole number from ${min} to ${max}` })
    .max(max, { error: `${what}: a whole number from ${min} to ${max}` });

const isoDuration = z
  .string({ error: 'an ISO-8601 duration such as "P365D" or "PT24H"' })
  .regex(ISO_DURATION_PATTERN, { error: 'an ISO-8601 duration such as "P365D" or "PT24H"' });

function ruleSettings<Extra extends z.ZodRawShape>(ruleId: string, extra: Extra) {
  const rule = builtInRule(ruleId);
  const settings = strictObject({
    enabled: z.boolean({ error: 'true or false' }).default(true),
    severity: severity.default(rule.defaultSeverity),
    ...extra,
  });
  // Every field has a default, so an absent entry means "the defaults"; TypeScript cannot see that through `Extra`.
  return settings.prefault({} as z.input<typeof settings>).meta({ description: rule.title });
}

const RulesSchema = strictObject({
  'api-key-owner-lacks-manage-permission': ruleSettings('api-key-owner-lacks-manage-permission', {}),
  'deprecated-developer-role-assigned': ruleSettings('deprecated-developer-role-assigned', {}),
  'api-key-owner-inactive': ruleSettings('api-key-owner-inactive', {}),
  'api-key-expiring': ruleSettings('api-key-expiring', {
    windowDays: wholeNumber('days before expiry to warn', 1, 3650)
      .default(14)
      .meta({ description: 'Warn when an active key expires within this many days.' }),
  }),
  // Least privilege by default; a policy that deliberately grants api-keys to everyone sets enabled: false.
  'manage-api-keys-granted-to-everyone': ruleSettings('manage-api-keys-granted-to-everyone', {}),
  'replacement-role-missing': ruleSettings('replacement-role-missing', {}),
  'api-key-config-out-of-policy': ruleSettings('api-key-config-out-of-policy', {
    maxKeyExpiry: isoDuration
      .default('P365D')
      .meta({ description: 'Largest max_api_key_expiry the tenant may allow (ISO-8601 duration).' }),
    maxKeysPerUser: wholeNumber('keys per user', 0, 1000)
      .default(5)
      .meta({ description: 'Largest max_keys_per_user the tenant may allow.' }),
  }),
  'former-developer-not-migrated': ruleSettings('former-developer-not-migrated', {}),
  'api-key-scope-model-mismatch': ruleSettings('api-key-scope-model-mismatch', {}),
}).prefault({});

const RequireRuleSchema = strictObject({
  id: z
    .string({ error: 'a kebab-case rule id such as "bi-team-can-manage-api-keys"' })
    .regex(KEBAB_CASE, { error: 'a kebab-case rule id such as "bi-team-can-manage-api-keys"' })
    .refine((id) => !BUILT_IN_RULE_IDS.includes(id), {
      error: 'an id that is not a built-in rule id (pick another name for a custom rule)',
    }),
  title: nonEmptyString('a title stating the compliant state'),
  severity,
  description: z.string({ error: 'text' }).optional(),
  select: strictObject({
    users: z.array(nonEmptyString('a user id or email'), { error: 'a list of user ids or emails' }).optional(),
    groups: z.array(nonEmptyString('a group id or name'), { error: 'a list of group ids or names' }).optional(),
    roles: z.array(nonEmptyString('a role name'), { error: 'a list of role names' }).optional(),
  }).refine((select) => Boolean(select.users?.length || select.groups?.length || select.roles?.length), {
    error: 'at least one non-empty list among users, groups and roles',
  }),
  scopes: z
    .array(nonEmptyString('a scope such as "api-keys"'), { error: 'a list of scopes such as ["api-keys"]' })
    .min(1, { error: 'at least one scope, such as ["api-keys"]' }),
  remediation: z.string({ error: 'text' }).optional(),
});

const dateOrDateTime = (what: string) =>
  z
    .string({ error: `${what}: a date (YYYY-MM-DD) or an ISO-8601 date-time` })
    .refine((text) => (ISO_DATE.test(text) || ISO_DATE_TIME.test(text)) && !Number.isNaN(Date.parse(text)), {
      error: `${what}: a date (YYYY-MM-DD) or an ISO-8601 date-time`,
    });

/**
 * What to write instead of a name-only subject that could match names users choose themselves (an exception for
 * `svc-etl-*` would also hide a user who renames themselves `svc-etl-mallory`).
 */
function nameOnlySubjectProblem(type: string | undefined): string {
  const nameTypes = NAME_MATCHED_SUBJECT_TYPES.join(', ');
  if (type === 'user' || type === 'apiKey') {
    return (
      `an id for ${type === 'user' ? 'a user' : 'an API-key'} subject (e.g. id: "64a1…"): ${type === 'user' ? 'users choose their own names' : 'key owners write their own descriptions'}, ` +
      'so a name never matches alone; keep the name beside the id for people to read'
    );
  }
  return `an id, or a name pattern with a type whose names only administrators set (type: ${nameTypes})`;
}

const ExceptionSchema = strictObject({
  rule: z.string({ error: 'a rule id' }).regex(KEBAB_CASE, { error: 'a kebab-case rule id' }),
  subject: strictObject({
    type: z.enum(SUBJECT_TYPES, { error: `one of ${SUBJECT_TYPES.join(', ')}` }).optional(),
    id: nonEmptyString('a subject id').optional().meta({ description: 'Matches the subject with exactly this id.' }),
    name: nonEmptyString('a subject name (may use * as a wildcard)')
      .optional()
      .meta({
        description:
          `With an id: for people to read, never matched. Without one: a name pattern (* matches any run of ` +
          `characters, case-insensitive) for subjects of type ${NAME_MATCHED_SUBJECT_TYPES.join(', ')}, whose ` +
          'names only administrators set. Users and API keys choose their own names, so they are matched by id only.',
      }),
  })
    .refine((subject) => subject.id !== undefined || subject.name !== undefined, {
      error: 'an id or a name of the subject',
    })
    .refine(
      (subject) =>
        subject.id !== undefined || (subject.type !== undefined && NAME_MATCHED_SUBJECT_TYPES.includes(subject.type)),
      {
        error: (issue) => nameOnlySubjectProblem((issue.input as { type?: string }).type),
      },
    ),
  reason: nonEmptyString('why the risk is accepted'),
  owner: nonEmptyString('who owns the accepted risk'),
  ticket: z.string({ error: 'a ticket reference' }).optional(),
  expires: dateOrDateTime('when the exception ends').optional(),
  created: z
    .string({ error: 'a date (YYYY-MM-DD)' })
    .refine((text) => ISO_DATE.test(text) && !Number.isNaN(Date.parse(text)), { error: 'a date (YYYY-MM-DD)' })
    .optional(),
});

export const DEFAULT_CREATED_ROLE_NAME = 'Manage API keys';

const RemediationSchema = strictObject({
  scope: nonEmptyString('a scope string such as "api-keys"').default(DEFAULT_MANAGE_API_KEYS_SCOPE).meta({
    description:
      'The scope that grants Manage API keys. `fix` hands out a role carrying it; the check compares it with the roles the tenant has.',
  }),
  role: nonEmptyString('the name of a role in the tenant that carries the scope').optional().meta({
    description: 'The role `fix` assigns to key owners lacking the scope (it must exist and carry the scope).',
  }),
  createRole: strictObject({
    name: nonEmptyString('a role name').default(DEFAULT_CREATED_ROLE_NAME),
    description: z.string({ error: 'text' }).default('Owners of API keys: the Manage API keys permission only'),
  })
    .prefault({})
    .meta({ description: 'The role `fix` creates (with only the scope) when the tenant has no role carrying it.' }),
  removeDeveloperRole: z.boolean({ error: 'true or false' }).default(false).meta({
    description:
      'Also remove stale Developer assignments from principals `fix` gives the role (always after the new role is in place).',
  }),
}).prefault({});

export const PolicySchema = strictObject({
  $schema: z.string().optional().meta({ description: 'Editor hint; ignored.' }),
  name: nonEmptyString('a policy name'),
  description: z.string({ error: 'text' }).optional(),
  rules: RulesSchema,
  grantingRoles: z
    .array(
      nonEmptyString('a role name').refine((name) => name !== 'Developer', {
        error: 'a role name other than Developer: the removed Developer role never grants api-keys',
      }),
      { error: 'a list of role names' },
    )
    .default([])
    .meta({ description: 'Extra role names that count as granting api-keys (e.g. when TenantAdmin implies it).' }),
  formerDevelopers: strictObject({
    users: z.array(nonEmptyString('a user id or email'), { error: 'a list of user ids or emails' }).default([]),
    groups: z.array(nonEmptyString('a group id or name'), { error: 'a list of group ids or names' }).default([]),
  })
    .prefault({})
    .meta({ description: 'Principals known to have held the removed Developer role.' }),
  require: z.array(RequireRuleSchema, { error: 'a list of required-permission rules' }).default([]),
  exceptions: z.array(ExceptionSchema, { error: 'a list of exceptions' }).default([]),
  remediation: RemediationSchema.meta({ description: 'What `qlik-access-guard fix` plans and applies.' }),
  notifications: strictObject({
    reminderEveryDays: wholeNumber('days between reminders', 1, 365).default(7),
    credentialExpiryWarningDays: wholeNumber('days before the checker credential expires', 0, 365).default(14),
    maxItemsPerSection: wholeNumber('items per message section', 1, 1000).default(25),
  }).prefault({}),
})
  .superRefine((policy, ctx) => {
    const seen = new Set<string>();
    policy.require.forEach((rule, index) => {
      if (seen.has(rule.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['require', index, 'id'],
          message: `a unique id ("${rule.id}" is used twice)`,
        });
      }
      seen.add(rule.id);
    });
    const known = [...BUILT_IN_RULE_IDS, ...seen];
    policy.exceptions.forEach((exception, index) => {
      if (!known.includes(exception.rule)) {
        ctx.addIssue({
          code: 'custom',
          path: ['exceptions', index, 'rule'],
          message: `a rule id of this policy (one of ${known.join(', ')}), not "${exception.rule}"`,
        });
      }
    });
  })
  .meta({ title: 'qlik-access-guard policy', description: 'Required-permission policy for Qlik Cloud tenants.' });

/** A validated policy with defaults applied; the `$schema` editor hint is dropped by the loader. */
export type Policy = Omit<z.output<typeof PolicySchema>, '$schema'>;
/** What a policy file may contain (defaults not yet applied). */
export type PolicyDocument = z.input<typeof PolicySchema>;
export type RequireRule = Policy['require'][number];
export type PolicyException = Policy['exceptions'][number];
export type RemediationSettings = Policy['remediation'];
