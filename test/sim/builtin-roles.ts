/**
 * Qlik's built-in (type `default`) roles as the simulator lists them. Ids seen in several independent examples are
 * used as-is (docs/qlik-cloud-api.md §5); the others are invented but fixed, so scenarios and tests can name them.
 */
import type { SimRole, TenantMode } from './scenario';
import { DEVELOPER_NAME, USER_DEFAULT_NAME } from './scenario';
import type { SimSettings } from './settings';

interface BuiltinRole {
  readonly id: string;
  readonly name: string;
  readonly level: 'admin' | 'user';
  readonly description: string;
  readonly permissions: readonly string[];
  readonly fullUser: boolean;
}

const BUILTIN_ROLES: readonly BuiltinRole[] = [
  {
    id: '605a17b32ab08cdbfad09250',
    name: 'TenantAdmin',
    level: 'admin',
    description: 'Manages the tenant',
    permissions: ['tenant:admin', 'users:manage', 'roles:manage'],
    fullUser: true,
  },
  {
    id: '605a18af2ab08cdbfad09259',
    name: 'AnalyticsAdmin',
    level: 'admin',
    description: '',
    permissions: ['automation:delete', 'automation:disable', 'automation:enable', 'automation:list'],
    fullUser: true,
  },
  {
    id: '608050f7634644db3678b1a2',
    name: 'AuditAdmin',
    level: 'admin',
    description: 'Reads audit events',
    permissions: ['audits:read'],
    fullUser: false,
  },
  {
    id: '605a18af2ab08cdbfad0925a',
    name: 'DataAdmin',
    level: 'admin',
    description: 'Manages data',
    permissions: ['data:manage'],
    fullUser: true,
  },
  {
    id: '6310a8a1f1f5ab5c0c1e9a01',
    name: 'AutomationCreator',
    level: 'user',
    description: '',
    permissions: ['automation:create'],
    fullUser: true,
  },
  {
    id: '6467dcd960754c03a3ed402c',
    name: 'AutomlDeploymentContributor',
    level: 'user',
    description: '',
    permissions: ['automl-deployments:create'],
    fullUser: true,
  },
  {
    id: '63580b8d5cf9728f19217be0',
    name: 'AutomlExperimentContributor',
    level: 'user',
    description: '',
    permissions: ['automl-experiments:create'],
    fullUser: true,
  },
  {
    id: '6310a8a1f1f5ab5c0c1e9a02',
    name: 'CollaborationPlatformUser',
    level: 'user',
    description: '',
    permissions: [],
    fullUser: false,
  },
  {
    id: '6310a8a1f1f5ab5c0c1e9a03',
    name: 'DataProductManager',
    level: 'user',
    description: '',
    permissions: ['data-products:manage'],
    fullUser: true,
  },
  {
    id: '6310a8a1f1f5ab5c0c1e9a04',
    name: 'DataServicesContributor',
    level: 'user',
    description: '',
    permissions: ['data-services:contribute'],
    fullUser: true,
  },
  {
    id: '605a1c2151382ffc836af863',
    name: 'DataSpaceCreator',
    level: 'user',
    description: '',
    permissions: ['spaces.data:create'],
    fullUser: true,
  },
  {
    id: '6310a8a1f1f5ab5c0c1e9a05',
    name: 'EmbeddedAnalyticsUser',
    level: 'user',
    description: 'Restrictive',
    permissions: [],
    fullUser: false,
  },
  {
    id: '605a1c2151382ffc836af864',
    name: 'ManagedSpaceCreator',
    level: 'user',
    description: '',
    permissions: ['spaces.managed:create'],
    fullUser: true,
  },
  {
    id: '6310a8a1f1f5ab5c0c1e9a06',
    name: 'PrivateAnalyticsContentCreator',
    level: 'user',
    description: '',
    permissions: ['apps:create'],
    fullUser: true,
  },
  {
    id: '605a1c2151382ffc836af862',
    name: 'SharedSpaceCreator',
    level: 'user',
    description: '',
    permissions: ['spaces.shared:create'],
    fullUser: true,
  },
  {
    id: '6310a8a1f1f5ab5c0c1e9a07',
    name: 'Steward',
    level: 'user',
    description: '',
    permissions: ['glossaries:manage'],
    fullUser: false,
  },
];

/** Legacy `User.roles` allowed only these names. */
export const LEGACY_ROLE_NAMES: ReadonlySet<string> = new Set([
  'TenantAdmin',
  'Developer',
  'AnalyticsAdmin',
  'DataAdmin',
  'DataSpaceCreator',
  'ManagedSpaceCreator',
  'SharedSpaceCreator',
]);

const BUILTIN_CREATED = '2021-03-23T16:34:55.401Z';
const BUILTIN_UPDATED = '2022-04-29T12:06:44.246Z';

export function builtinRoles(
  mode: TenantMode,
  settings: Pick<SimSettings, 'userDefaultRoleId' | 'developerRoleId'>,
  userDefaultScopes: readonly string[],
): SimRole[] {
  const roles: SimRole[] = BUILTIN_ROLES.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    type: 'default',
    level: r.level,
    assignedScopes: [],
    permissions: [...r.permissions],
    canEdit: false,
    canDelete: false,
    fullUser: r.fullUser,
    userEntitlementType: r.fullUser ? 'fullUser' : '',
    createdAt: BUILTIN_CREATED,
    lastUpdatedAt: BUILTIN_UPDATED,
  }));
  roles.push({
    id: settings.userDefaultRoleId,
    name: USER_DEFAULT_NAME,
    description: 'Default permissions for all users',
    type: 'default',
    level: 'user',
    assignedScopes: [...userDefaultScopes],
    permissions: [],
    canEdit: true,
    canDelete: false,
    createdAt: '2024-11-01T00:00:00.000Z',
    lastUpdatedAt: '-P30D',
  });
  if (mode === 'legacy') {
    roles.push({
      id: settings.developerRoleId,
      name: DEVELOPER_NAME,
      description: 'Grants permission to generate API keys',
      type: 'default',
      level: 'user',
      assignedScopes: [],
      permissions: ['api-keys:create', 'api-keys:delete'],
      canEdit: false,
      canDelete: false,
      fullUser: true,
      userEntitlementType: 'fullUser',
      createdAt: BUILTIN_CREATED,
      lastUpdatedAt: BUILTIN_UPDATED,
    });
  }
  return roles;
}
