/**
 * The Qlik Cloud endpoints the checker reads, typed and validated, over one tenant's {@link Transport}.
 *
 * Lists always follow `links.next.href` verbatim until it is absent (cursor `next` for users, groups and roles,
 * `startingAfter` for api-keys): the client never builds a cursor URL, and a next link seen before is a cursor loop.
 */
import * as z from 'zod';
import { describeErrorBody, QlikApiError, summarizeErrorBody } from './errors';
import {
  auditsPageSchema,
  deliveriesPageSchema,
  type QlikAuditEvent,
  type QlikDelivery,
  type QlikWebhook,
  type WebhookSpec,
  webhookEventTypesSchema,
  webhookSchema,
  webhooksPageSchema,
} from './event-schemas';
import {
  apiKeysConfigSchema,
  apiKeysPageSchema,
  groupSchema,
  groupSettingsSchema,
  groupsPageSchema,
  type QlikApiKey,
  type QlikApiKeysConfig,
  type QlikGroup,
  type QlikGroupSettings,
  type QlikRole,
  type QlikTenant,
  type QlikUser,
  roleSchema,
  rolesPageSchema,
  tenantSchema,
  userSchema,
  usersPageSchema,
} from './schemas';
import { type EndpointHints, Transport, type TransportOptions, type TransportStats } from './transport';

export interface QlikClientOptions extends TransportOptions {
  /** Items per page; clamped to 1..100, the documented maximum. @default 100 */
  readonly pageSize?: number;
}

export interface ListOptions {
  readonly filter?: string;
  /** Called after each page with the number of items read so far. */
  readonly onPage?: (done: number) => void;
}

export interface ListResult<Item> {
  readonly items: Item[];
  readonly pages: number;
}

export const MAX_PAGE_SIZE = 100;
/** A crawl this long is a server that never ends its list, not a tenant (10,000 groups is Qlik's maximum). */
const MAX_PAGES = 20_000;

const TENANT_ADMIN_NEEDED = 'the checker needs the TenantAdmin role (or an OAuth M2M client) to read';
const GROUPS_HINTS: EndpointHints = { forbidden: `${TENANT_ADMIN_NEEDED} groups` };
const WEBHOOK_HINTS: EndpointHints = { forbidden: `${TENANT_ADMIN_NEEDED} and change tenant-level webhooks` };

function webhookBody(spec: WebhookSpec) {
  return {
    name: spec.name,
    url: spec.url,
    eventTypes: [...spec.eventTypes],
    secret: spec.secret,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
  };
}

/** The body of a 207 from a role PATCH: Qlik's `Errors`, one per non-critical failure. */
const partialSuccessSchema = z.looseObject({ errors: z.array(z.unknown()).optional() });

const WRITE_HINTS: EndpointHints = {
  forbidden: 'writes need a TenantAdmin credential (a TenantAdmin user’s API key or an OAuth M2M client acting as one)',
};

/** A role in a PATCH of `/assignedRoles`: by id when known, else by its exact name. */
export interface RoleReference {
  readonly id?: string;
  readonly name: string;
}

export interface NewRole {
  readonly name: string;
  readonly description?: string;
  readonly assignedScopes?: readonly string[];
}

export interface WriteResult {
  /** 204, or 207 for a partial success. */
  readonly status: number;
  /** On 207: what the tenant said did not apply (sanitised, one line). */
  readonly partialFailure?: string;
}

type PageSchema = z.ZodType<{
  data?: unknown[] | undefined;
  links?: { next?: { href: string } | undefined; self?: { href: string } | undefined } | undefined;
  totalResults?: number | undefined;
}>;

export class QlikClient {
  readonly transport: Transport;
  readonly pageSize: number;

  constructor(options: QlikClientOptions) {
    this.transport = new Transport(options);
    this.pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(options.pageSize ?? MAX_PAGE_SIZE)));
  }

  get origin(): string {
    return this.transport.origin;
  }

  stats(): TransportStats {
    return this.transport.stats();
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  /** The caller's own user: `GET /api/v1/users/me` answers 301 to `/api/v1/users/{id}`. */
  me(): Promise<QlikUser> {
    return this.transport.getJson(this.transport.url('/api/v1/users/me'), userSchema);
  }

  /** The tenant: `GET /api/v1/tenants/me` answers 302 to `/api/v1/tenants/{id}`. */
  myTenant(): Promise<QlikTenant> {
    return this.transport.getJson(this.transport.url('/api/v1/tenants/me'), tenantSchema);
  }

  user(id: string): Promise<QlikUser> {
    return this.transport.getJson(this.transport.url(`/api/v1/users/${encodeURIComponent(id)}`), userSchema);
  }

  listUsers(options: ListOptions = {}): Promise<ListResult<QlikUser>> {
    return this.#list<QlikUser>('/api/v1/users', usersPageSchema, options);
  }

  listGroups(options: ListOptions = {}): Promise<ListResult<QlikGroup>> {
    return this.#list<QlikGroup>('/api/v1/groups', groupsPageSchema, options, GROUPS_HINTS);
  }

  /**
   * Lists groups page by page, so the caller can stop after any page (the collector weighs the pages left against
   * fetching the groups it needs one by one). `hasMore`: the page had a next link.
   */
  async *groupPages(
    options: { totalResults?: boolean } = {},
  ): AsyncGenerator<{ items: QlikGroup[]; totalResults?: number; hasMore: boolean }> {
    const start = this.transport.url('/api/v1/groups', {
      limit: this.pageSize,
      ...(options.totalResults ? { totalResults: true } : {}),
    });
    for await (const page of this.#pages(start, groupsPageSchema, GROUPS_HINTS)) {
      yield {
        items: page.items as QlikGroup[],
        hasMore: page.hasMore,
        ...(page.totalResults !== undefined ? { totalResults: page.totalResults } : {}),
      };
    }
  }

  group(id: string): Promise<QlikGroup> {
    return this.transport.getJson(
      this.transport.url(`/api/v1/groups/${encodeURIComponent(id)}`),
      groupSchema,
      GROUPS_HINTS,
    );
  }

  groupSettings(): Promise<QlikGroupSettings> {
    return this.transport.getJson(this.transport.url('/api/v1/groups/settings'), groupSettingsSchema, {
      forbidden: `${TENANT_ADMIN_NEEDED} the Everyone group's roles`,
    });
  }

  listRoles(options: ListOptions = {}): Promise<ListResult<QlikRole>> {
    return this.#list<QlikRole>('/api/v1/roles', rolesPageSchema, options, {
      forbidden: `${TENANT_ADMIN_NEEDED} roles (GET /roles is TenantAdmin-only since 2024-04-09)`,
    });
  }

  /** Every API key of every owner and status (a TenantAdmin sees all owners' keys; others only their own). */
  listApiKeys(options: Omit<ListOptions, 'filter'> = {}): Promise<ListResult<QlikApiKey>> {
    return this.#list<QlikApiKey>('/api/v1/api-keys', apiKeysPageSchema, options, {
      forbidden: `${TENANT_ADMIN_NEEDED} every owner's API keys`,
    });
  }

  apiKeysConfig(tenantId: string): Promise<QlikApiKeysConfig> {
    return this.transport.getJson(
      this.transport.url(`/api/v1/api-keys/configs/${encodeURIComponent(tenantId)}`),
      apiKeysConfigSchema,
      { forbidden: `${TENANT_ADMIN_NEEDED} the API-key configuration` },
    );
  }

  /** Every webhook the caller can see (a TenantAdmin: all of the tenant's). */
  listWebhooks(): Promise<ListResult<QlikWebhook>> {
    return this.#list<QlikWebhook>('/api/v1/webhooks', webhooksPageSchema, {}, WEBHOOK_HINTS);
  }

  /** The event types this tenant offers as webhook subscriptions. */
  async webhookEventTypes(): Promise<string[]> {
    const body = await this.transport.getJson(
      this.transport.url('/api/v1/webhooks/event-types'),
      webhookEventTypesSchema,
      WEBHOOK_HINTS,
    );
    return (body.data ?? []).flatMap((t) => (typeof t.name === 'string' ? [t.name] : []));
  }

  /** A tenant-level webhook (TenantAdmin); the secret travels only in this request's body. */
  async createWebhook(spec: WebhookSpec): Promise<QlikWebhook> {
    const created = await this.transport.sendJson(
      'POST',
      this.transport.url('/api/v1/webhooks'),
      { ...webhookBody(spec), level: 'tenant', enabled: true },
      webhookSchema,
      WEBHOOK_HINTS,
    );
    if (!created)
      throw new QlikApiError('bad-response', 'POST /api/v1/webhooks: empty reply', {
        endpoint: 'POST /api/v1/webhooks',
      });
    return created;
  }

  /** Replaces name, URL, event types and secret, and enables the webhook (JSON Patch `replace`). */
  async updateWebhook(id: string, spec: WebhookSpec): Promise<void> {
    const body = { ...webhookBody(spec), enabled: true };
    await this.transport.sendJson(
      'PATCH',
      this.transport.url(`/api/v1/webhooks/${encodeURIComponent(id)}`),
      Object.entries(body).map(([field, value]) => ({ op: 'replace', path: `/${field}`, value })),
      z.unknown(),
      WEBHOOK_HINTS,
    );
  }

  async deleteWebhook(id: string): Promise<void> {
    await this.transport.sendJson(
      'DELETE',
      this.transport.url(`/api/v1/webhooks/${encodeURIComponent(id)}`),
      undefined,
      z.unknown(),
      WEBHOOK_HINTS,
    );
  }

  /** The newest deliveries of a webhook (one page, newest first). */
  async recentDeliveries(id: string, limit = 10): Promise<QlikDelivery[]> {
    const page = await this.transport.getJson(
      this.transport.url(`/api/v1/webhooks/${encodeURIComponent(id)}/deliveries`, { limit }),
      deliveriesPageSchema,
      WEBHOOK_HINTS,
    );
    return page.data ?? [];
  }

  /**
   * Audit events of `eventTypes` in [since, until), newest first, at most `maxEvents` (one request when they fit in a
   * page). The event types go as one comma list (a single `eventType` per request is what Qlik documents).
   */
  async auditEvents(query: {
    readonly eventTypes: readonly string[];
    readonly since: Date;
    readonly until: Date;
    readonly maxEvents: number;
  }): Promise<{ events: QlikAuditEvent[]; truncated: boolean }> {
    const start = this.transport.url('/api/v1/audits', {
      eventType: query.eventTypes.join(','),
      eventTime: `${query.since.toISOString()}/${query.until.toISOString()}`,
      sort: '-eventTime',
      limit: Math.min(this.pageSize, query.maxEvents),
    });
    const events: QlikAuditEvent[] = [];
    for await (const page of this.#pages(start, auditsPageSchema, {
      forbidden: `${TENANT_ADMIN_NEEDED} the audit events`,
    })) {
      events.push(...(page.items as QlikAuditEvent[]));
      if (events.length >= query.maxEvents)
        return { events: events.slice(0, query.maxEvents), truncated: page.hasMore };
    }
    return { events, truncated: false };
  }

  /** `POST /api/v1/roles` → 201 with the role (TenantAdmin only). */
  async createRole(role: NewRole): Promise<QlikRole> {
    const created = await this.transport.sendJson(
      'POST',
      this.transport.url('/api/v1/roles'),
      role,
      roleSchema,
      WRITE_HINTS,
    );
    if (!created)
      throw new QlikApiError('bad-response', 'POST /api/v1/roles: empty reply, expected the created role', {
        endpoint: 'POST /api/v1/roles',
      });
    return created;
  }

  /**
   * Replaces a user's direct roles (`PATCH /api/v1/users/{id}`, `replace` on `/assignedRoles`): the Users API takes
   * only the full list, so `roles` must hold every role the user keeps. 204, or 207 with the non-critical failures.
   */
  patchUserRoles(userId: string, roles: readonly RoleReference[]): Promise<WriteResult> {
    return this.#replaceRoles(`/api/v1/users/${encodeURIComponent(userId)}`, roles);
  }

  /** Replaces a group's roles (`PATCH /api/v1/groups/{id}`, `replace` only, the full list, at most 100). */
  patchGroupRoles(groupId: string, roles: readonly RoleReference[]): Promise<WriteResult> {
    return this.#replaceRoles(`/api/v1/groups/${encodeURIComponent(groupId)}`, roles);
  }

  async #replaceRoles(path: string, roles: readonly RoleReference[]): Promise<WriteResult> {
    const value = roles.map((role) => (role.id !== undefined ? { id: role.id } : { name: role.name }));
    const body = [{ op: 'replace', path: '/assignedRoles', value }];
    const reply = await this.transport.sendJson(
      'PATCH',
      this.transport.url(path),
      body,
      partialSuccessSchema,
      WRITE_HINTS,
    );
    // 204 has no body; 207 (partial success) carries an Errors body.
    if (!reply?.errors?.length) return { status: 204 };
    const summary = summarizeErrorBody(JSON.stringify(reply), []);
    return { status: 207, partialFailure: this.transport.redact(describeErrorBody(summary)).slice(0, 300) };
  }

  async #list<Item>(
    path: string,
    schema: PageSchema,
    options: ListOptions,
    hints: EndpointHints = {},
  ): Promise<ListResult<Item>> {
    const items: Item[] = [];
    let pages = 0;
    const start = this.transport.url(path, { limit: this.pageSize, filter: options.filter || undefined });
    for await (const page of this.#pages(start, schema, hints)) {
      pages += 1;
      // One by one: spreading a hostile page into push() overflows the call stack.
      for (const item of page.items as Item[]) items.push(item);
      options.onPage?.(items.length);
    }
    return { items, pages };
  }

  async *#pages(
    start: URL,
    schema: PageSchema,
    hints: EndpointHints,
  ): AsyncGenerator<{ items: unknown[]; totalResults?: number; hasMore: boolean }> {
    const endpoint = `GET ${start.pathname}`;
    const seen = new Set<string>();
    let url: URL | undefined = start;
    while (url) {
      seen.add(url.href);
      if (seen.size > MAX_PAGES) {
        throw new QlikApiError('bad-response', `${endpoint}: more than ${MAX_PAGES} pages; the list never ends`, {
          endpoint,
        });
      }
      const page = await this.transport.getJson(url, schema, hints);
      const self = page.links?.self?.href;
      if (self) seen.add(normalizedHref(self, this.origin));
      const next = page.links?.next?.href;
      const hasMore = next !== undefined && next !== '';
      yield {
        items: page.data ?? [],
        hasMore,
        ...(page.totalResults !== undefined ? { totalResults: page.totalResults } : {}),
      };
      if (!hasMore) return;
      const nextUrl = this.transport.nextPage(next, endpoint);
      if (seen.has(nextUrl.href)) {
        throw new QlikApiError(
          'bad-response',
          `${endpoint}: cursor loop: links.next.href repeats a page already read (page ${seen.size}); not followed`,
          { endpoint },
        );
      }
      url = nextUrl;
    }
  }
}

function normalizedHref(href: string, origin: string): string {
  try {
    return new URL(href, origin).href;
  } catch {
    return href;
  }
}
