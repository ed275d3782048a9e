/**
 * Scenario files: test/sim/scenarios/<name>.yaml. Authors refer to roles, groups and users by name (or id); the loader
 * adds Qlik's built-in roles, UserDefault and (on legacy tenants) Developer, resolves every reference to an id, and
 * rejects a bad file with an error naming the file, the path inside it and what was expected.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { InputError } from '../../lambda/errors';
import { SUBJECT_TYPES } from '../../lambda/report/model';
import { builtinRoles } from './builtin-roles';
import type { ExpectedFinding, Scenario, SimApiKey, SimGroup, SimRole, SimUser } from './scenario';
import { TENANT_ADMIN_NAME } from './scenario';
import type { SimSettings } from './settings';
import { DEFAULT_SIM_SETTINGS } from './settings';
import { isTimeRef } from './time';

const SCENARIO_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url));

const objectId = z.string().regex(/^[0-9a-f]{24}$/, 'a 24-character lower-case hex id');
const timeRef = z
  .string()
  .refine(isTimeRef, 'an ISO date-time, or a duration relative to the sim clock such as P10D or -P1D');
const duration = z
  .string()
  .regex(
    /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/,
    'an ISO-8601 duration such as P365D or PT24H',
  );
const ref = z.string().min(1);

const RoleDoc = z
  .object({
    id: objectId.optional(),
    name: z.string().min(1).max(256),
    description: z.string().default(''),
    level: z.enum(['admin', 'user']).default('user'),
    assignedScopes: z.array(z.string().min(1)).default([]),
    createdAt: timeRef.default('-P60D'),
    lastUpdatedAt: timeRef.optional(),
    createdBy: ref.optional(),
  })
  .strict();

const GroupDoc = z
  .object({
    id: objectId.optional(),
    name: z.string().min(1).max(256),
    status: z.enum(['active', 'disabled']).default('active'),
    providerType: z.enum(['idp', 'custom']).optional(),
    description: z.string().optional(),
    idpId: z.string().optional(),
    roles: z.array(ref).default([]),
    createdAt: timeRef.default('-P400D'),
    lastUpdatedAt: timeRef.optional(),
  })
  .strict();

const UserDoc = z
  .object({
    id: objectId,
    name: z.string().min(1),
    subject: z.string().min(1).optional(),
    email: z.string().optional(),
    status: z.enum(['active', 'invited', 'disabled', 'deleted', 'provisioned']).optional(),
    clientId: z.string().optional(),
    roles: z.array(ref).default([]),
    groups: z.array(ref).default([]),
    embedGroupRoles: z.boolean().optional(),
    createdAt: timeRef.default('-P500D'),
    lastUpdatedAt: timeRef.optional(),
    inviteExpiry: timeRef.optional(),
    preferredLocale: z.string().optional(),
    preferredZoneinfo: z.string().optional(),
    locale: z.string().optional(),
    zoneinfo: z.string().optional(),
    picture: z.string().optional(),
    /** Characters appended to the name when the scenario loads: multi-megabyte names without a multi-megabyte file. */
    namePadding: z.number().int().min(1).max(64_000_000).optional(),
  })
  .strict();

const ApiKeyDoc = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8 to 64 letters, digits, - or _'),
    description: z.string(),
    sub: z.string().min(1),
    subType: z.enum(['user', 'externalClient']).default('user'),
    status: z.enum(['active', 'expired', 'revoked']).default('active'),
    expiresIn: timeRef.optional(),
    expiry: timeRef.optional(),
    created: timeRef.default('-P90D'),
    lastUpdated: timeRef.optional(),
    createdByUser: ref.optional(),
  })
  .strict()
  .refine((k) => (k.expiresIn === undefined) !== (k.expiry === undefined), {
    message: 'exactly one of expiresIn or expiry',
  });

const FindingDoc = z
  .object({
    ruleId: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'a kebab-case rule id'),
    subjectType: z.enum(SUBJECT_TYPES),
    subjectId: z.string().min(1).optional(),
    /** Resolved to the id of the user, group or role of that name (easier to review than hex ids). */
    subjectName: z.string().min(1).optional(),
    severity: z.enum(['critical', 'high', 'medium', 'low', 'informational']),
  })
  .strict();

const settingKeys = Object.keys(DEFAULT_SIM_SETTINGS) as [keyof SimSettings, ...(keyof SimSettings)[]];

const ScenarioDoc = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, 'a kebab-case scenario name'),
    description: z.string().min(1),
    mode: z.enum(['current', 'legacy']).default('current'),
    tenant: z
      .object({
        id: z.string().regex(/^[A-Za-z0-9_-]{32}$/, 'a 32-character URL-safe tenant id'),
        name: z.string().min(1),
        hostnames: z.array(z.string().min(1)).optional(),
        region: z.string().optional(),
        datacenter: z.string().optional(),
        created: timeRef.default('-P1500D'),
      })
      .strict(),
    caller: z
      .object({
        user: ref,
        apiKeyId: z
          .string()
          .regex(/^[A-Za-z0-9_-]{8,64}$/)
          .optional(),
        apiKeyExpiresIn: timeRef.default('P90D'),
      })
      .strict(),
    oauthClient: z
      .object({
        clientId: z.string().min(8).optional(),
        clientSecret: z.string().min(16).optional(),
        user: ref.optional(),
      })
      .strict()
      .default({}),
    userDefault: z
      .object({ assignedScopes: z.array(z.string().min(1)).default([]) })
      .strict()
      .default({ assignedScopes: [] }),
    everyone: z
      .object({ roles: z.array(ref).default([]) })
      .strict()
      .default({ roles: [] }),
    roles: z.array(RoleDoc).default([]),
    groups: z.array(GroupDoc).default([]),
    users: z.array(UserDoc).min(1),
    apiKeys: z.array(ApiKeyDoc).default([]),
    config: z
      .object({
        max_api_key_expiry: duration.optional(),
        max_keys_per_user: z.number().int().min(0).max(1000).optional(),
        scim_externalClient_expiry: duration.optional(),
        api_keys_enabled: z.boolean().optional(),
      })
      .strict()
      .default({}),
    settings: z.record(z.enum(settingKeys), z.unknown()).optional(),
    expect: z
      .object({
        exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
        tenantStatus: z.enum(['ok', 'error']).default('ok'),
        errorCode: z.string().optional(),
        apiKeyCredential: z.enum(['accepted', 'rejected']).default('accepted'),
        findings: z.array(FindingDoc).default([]),
        notes: z.array(z.string()).optional(),
      })
      .strict(),
  })
  .strict();

export type ScenarioDocument = z.input<typeof ScenarioDoc>;

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** A stable id for things a file leaves unnamed (custom role or group without `id`). */
function derivedHex(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 24);
}

/**
 * Builds a scenario from a parsed document (YAML or an object literal in a test). `source` names it in errors.
 */
export function scenarioFromDocument(document: unknown, source: string): Scenario {
  const parsed = ScenarioDoc.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(source, issuePath(issue.path), issue.message);
  }
  const doc = parsed.data;
  const fail = (path: string, expected: string): never => {
    throw new InputError(source, path, expected);
  };
  const settings = { ...DEFAULT_SIM_SETTINGS, ...(doc.settings as Partial<SimSettings> | undefined) };

  const roles: SimRole[] = builtinRoles(doc.mode, settings, doc.userDefault.assignedScopes);
  doc.roles.forEach((r, i) => {
    const role: SimRole = {
      id: r.id ?? derivedHex(`${doc.tenant.id}/role/${r.name}`),
      name: r.name,
      description: r.description,
      type: 'custom',
      level: r.level,
      assignedScopes: r.assignedScopes,
      permissions: [],
      canEdit: true,
      canDelete: true,
      fullUser: false,
      userEntitlementType: '',
      createdAt: r.createdAt,
      lastUpdatedAt: r.lastUpdatedAt ?? r.createdAt,
    };
    if (r.createdBy !== undefined) role.createdBy = role.updatedBy = r.createdBy;
    if (roles.some((x) => x.name === role.name))
      fail(
        `roles[${i}].name`,
        `a unique role name; ${JSON.stringify(role.name)} exists (names are unique across default and custom roles)`,
      );
    if (roles.some((x) => x.id === role.id)) fail(`roles[${i}].id`, `a unique role id; ${role.id} exists`);
    roles.push(role);
  });
  const roleRef = (value: string, path: string): string =>
    (roles.find((r) => r.id === value) ?? roles.find((r) => r.name === value))?.id ??
    fail(path, `a role name or id; no role ${JSON.stringify(value)}`);

  const groups: SimGroup[] = doc.groups.map((g, i) => {
    const group: SimGroup = {
      id: g.id ?? derivedHex(`${doc.tenant.id}/group/${g.name}`),
      name: g.name,
      status: g.status,
      assignedRoles: g.roles.map((r, j) => roleRef(r, `groups[${i}].roles[${j}]`)),
      createdAt: g.createdAt,
      lastUpdatedAt: g.lastUpdatedAt ?? g.createdAt,
    };
    if (g.providerType !== undefined) group.providerType = g.providerType;
    if (g.description !== undefined) group.description = g.description;
    if (g.idpId !== undefined) group.idpId = g.idpId;
    return group;
  });
  groups.forEach((g, i) => {
    if (groups.findIndex((x) => x.name === g.name) !== i)
      fail(`groups[${i}].name`, `a unique group name; ${JSON.stringify(g.name)} is used twice`);
  });
  const groupRef = (value: string, path: string): string =>
    (groups.find((g) => g.id === value) ?? groups.find((g) => g.name === value))?.id ??
    fail(path, `a group name or id; no group ${JSON.stringify(value)}`);

  const users: SimUser[] = doc.users.map((u, i) => {
    const user: SimUser = {
      id: u.id,
      name: u.namePadding === undefined ? u.name : `${u.name}${'x'.repeat(u.namePadding)}`,
      subject: u.subject ?? `auth0|${u.id}`,
      assignedRoles: u.roles.map((r, j) => roleRef(r, `users[${i}].roles[${j}]`)),
      assignedGroups: u.groups.map((g, j) => groupRef(g, `users[${i}].groups[${j}]`)),
      createdAt: u.createdAt,
      lastUpdatedAt: u.lastUpdatedAt ?? u.createdAt,
    };
    for (const key of [
      'email',
      'status',
      'clientId',
      'embedGroupRoles',
      'inviteExpiry',
      'preferredLocale',
      'preferredZoneinfo',
      'locale',
      'zoneinfo',
      'picture',
    ] as const) {
      if (u[key] !== undefined) Object.assign(user, { [key]: u[key] });
    }
    return user;
  });
  users.forEach((u, i) => {
    if (users.findIndex((x) => x.id === u.id) !== i) fail(`users[${i}].id`, `a unique user id; ${u.id} is used twice`);
  });
  const userRef = (value: string, path: string): string => {
    const byId = users.find((u) => u.id === value);
    if (byId) return byId.id;
    const byName = users.filter((u) => u.name === value);
    if (byName.length === 1) return byName[0]!.id;
    return fail(
      path,
      byName.length > 1
        ? `a unique user name; several users are named ${JSON.stringify(value)}, use the id`
        : `a user name or id; no user ${JSON.stringify(value)}`,
    );
  };

  const callerId = userRef(doc.caller.user, 'caller.user');
  const oauthClientId =
    doc.oauthClient.clientId ?? `${derivedHex(`${doc.tenant.id}/oauth-client`).slice(0, 24)}qag00000`;
  let botId: string;
  if (doc.oauthClient.user !== undefined) {
    botId = userRef(doc.oauthClient.user, 'oauthClient.user');
    const bot = users.find((u) => u.id === botId)!;
    bot.clientId ??= oauthClientId;
  } else {
    botId = derivedHex(`${doc.tenant.id}/oauth-bot`);
    const adminRole = roles.find((r) => r.name === TENANT_ADMIN_NAME)!;
    users.push({
      id: botId,
      name: 'qlik-access-guard (OAuth client)',
      subject: `qlik-bot|${oauthClientId}`,
      status: 'active',
      clientId: oauthClientId,
      assignedRoles: [adminRole.id],
      assignedGroups: [],
      createdAt: '-P30D',
      lastUpdatedAt: '-P30D',
    });
  }

  const apiKeys: SimApiKey[] = doc.apiKeys.map((k, i) => {
    const key: SimApiKey = {
      id: k.id,
      description: k.description,
      sub: k.subType === 'user' ? userRefOrUnknown(k.sub) : k.sub,
      subType: k.subType,
      status: k.status,
      expiry: (k.expiresIn ?? k.expiry)!,
      created: k.created,
      lastUpdated: k.lastUpdated ?? k.created,
      createdByUser:
        k.createdByUser !== undefined
          ? userRef(k.createdByUser, `apiKeys[${i}].createdByUser`)
          : k.subType === 'user'
            ? userRefOrUnknown(k.sub)
            : callerId,
    };
    if (k.subType === 'externalClient' && !key.sub.startsWith('SCIM\\'))
      fail(`apiKeys[${i}].sub`, 'a SCIM key subject of the form SCIM\\<idpId>');
    return key;
  });
  apiKeys.forEach((k, i) => {
    if (apiKeys.findIndex((x) => x.id === k.id) !== i)
      fail(`apiKeys[${i}].id`, `a unique key id; ${k.id} is used twice`);
  });
  // A user key may name an owner the tenant does not know (a finding of its own): keep ids as given, names resolved.
  function userRefOrUnknown(value: string): string {
    return users.find((u) => u.id === value)?.id ?? users.find((u) => u.name === value)?.id ?? value;
  }

  const scenario: Scenario = {
    name: doc.name,
    description: doc.description.trim(),
    mode: doc.mode,
    tenant: { id: doc.tenant.id, name: doc.tenant.name, created: doc.tenant.created, createdByUser: callerId },
    caller: {
      userId: callerId,
      apiKeyId: doc.caller.apiKeyId ?? derivedKeyId(`${doc.tenant.id}/caller-key`),
      apiKeyExpiry: doc.caller.apiKeyExpiresIn,
    },
    oauthClient: {
      clientId: oauthClientId,
      clientSecret:
        doc.oauthClient.clientSecret ??
        derivedKeyId(`${doc.tenant.id}/oauth-secret`) + derivedKeyId(`${doc.tenant.id}/oauth-secret-2`),
      userId: botId,
    },
    everyone: {
      assignedRoles: doc.everyone.roles.map((r, j) => roleRef(r, `everyone.roles[${j}]`)),
      createdAt: '-P1500D',
      lastUpdatedAt: '-P20D',
    },
    roles,
    groups,
    users,
    apiKeys,
    apiKeysConfig: { ...doc.config },
    expect: {
      exitCode: doc.expect.exitCode,
      tenantStatus: doc.expect.tenantStatus,
      apiKeyCredential: doc.expect.apiKeyCredential,
      findings: doc.expect.findings.map(
        (f, i): ExpectedFinding => ({
          ruleId: f.ruleId,
          subjectType: f.subjectType,
          subjectId: resolveSubject(f, `expect.findings[${i}]`),
          severity: f.severity,
        }),
      ),
    },
  };
  if (doc.tenant.hostnames) scenario.tenant.hostnames = doc.tenant.hostnames;
  if (doc.tenant.region) scenario.tenant.region = doc.tenant.region;
  if (doc.tenant.datacenter) scenario.tenant.datacenter = doc.tenant.datacenter;
  if (doc.expect.errorCode !== undefined) scenario.expect!.errorCode = doc.expect.errorCode;
  if (doc.expect.notes) scenario.expect!.notes = doc.expect.notes;
  if (doc.settings) scenario.settings = doc.settings as Partial<SimSettings>;
  if (doc.caller.apiKeyId !== undefined && !apiKeys.some((k) => k.id === doc.caller.apiKeyId)) {
    fail('caller.apiKeyId', `the id of one of apiKeys (the caller's own key); no key ${doc.caller.apiKeyId}`);
  }
  return scenario;

  function resolveSubject(f: z.infer<typeof FindingDoc>, path: string): string {
    if (f.subjectId !== undefined && f.subjectName !== undefined) fail(path, 'subjectId or subjectName, not both');
    if (f.subjectType === 'tenant') return f.subjectId ?? doc.tenant.id;
    if (f.subjectId !== undefined) return f.subjectId;
    if (f.subjectName === undefined) return fail(path, 'subjectId or subjectName');
    const name = f.subjectName;
    switch (f.subjectType) {
      case 'user':
        return userRef(name, `${path}.subjectName`);
      case 'group':
        return name === 'com.qlik.Everyone' ? '000000000000000000000001' : groupRef(name, `${path}.subjectName`);
      case 'role':
        return roleRef(name, `${path}.subjectName`);
      case 'apiKey':
        return (
          apiKeys.find((k) => k.description === name)?.id ??
          fail(`${path}.subjectName`, `the description of one of apiKeys; no key ${JSON.stringify(name)}`)
        );
    }
  }
}

function derivedKeyId(seed: string): string {
  return createHash('sha256').update(seed).digest('base64url').replace(/[-_]/g, 'x').slice(0, 32);
}

export function scenarioPath(name: string): string {
  return `${SCENARIO_DIR}${name}.yaml`;
}

export function loadScenario(name: string): Scenario {
  if (!/^[a-z0-9-]+$/.test(name))
    throw new InputError(
      'scenario name',
      '',
      `a kebab-case scenario name, got ${JSON.stringify(name)}; known: ${listScenarios().join(', ')}`,
    );
  const file = scenarioPath(name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new InputError(file, '', `an existing scenario file; known scenarios: ${listScenarios().join(', ')}`, {
      cause,
    });
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (cause) {
    throw new InputError(file, '', `valid YAML (${(cause as Error).message})`, { cause });
  }
  const scenario = scenarioFromDocument(document, file);
  if (scenario.name !== name)
    throw new InputError(
      file,
      'name',
      `the file's own name ${JSON.stringify(name)}, got ${JSON.stringify(scenario.name)}`,
    );
  return scenario;
}

export function listScenarios(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}
