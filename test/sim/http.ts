/**
 * Replies and error bodies in Qlik's forms. Error `status` differs per service (docs/qlik-cloud-api.md §9): a number for
 * users, groups and api-keys, a string for tenants and 401s, absent for roles; api-keys bodies carry no `traceId`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { SimSettings } from './settings';
import type { WireErrorItem, WireErrors } from './wire';

export type Service =
  | 'users'
  | 'groups'
  | 'roles'
  | 'api-keys'
  | 'tenants'
  | 'oauth'
  | 'auth'
  | 'access-control'
  | 'webhooks'
  | 'audits';

export interface Reply {
  readonly status: number;
  /** Serialised as JSON. */
  readonly json?: unknown;
  /** Sent as-is with `contentType`. */
  readonly text?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const CODE_PREFIX: Record<Service, string> = {
  users: 'USERS',
  groups: 'GROUPS',
  roles: 'IDENTITIES',
  'api-keys': 'APIKEYS',
  tenants: 'TENANTS',
  oauth: 'OAUTH',
  auth: 'LOGIN',
  'access-control': 'ACCESSCONTROL',
  webhooks: 'WEBHOOKS',
  audits: 'AUDITS',
};

/** Invented but stable per-status codes; Qlik's own examples: USERS-7, GROUPS-7 and TENANTS-8 (404), IDENTITIES-10402. */
const CODE_SUFFIX: Record<number, string> = { 400: '1', 401: '8', 403: '3', 404: '7', 409: '9', 500: '500' };

function defaultCode(service: Service, status: number): string {
  if (status === 404 && service === 'roles') return 'IDENTITIES-10402';
  if (status === 404 && service === 'tenants') return 'TENANTS-8';
  return `${CODE_PREFIX[service]}-${CODE_SUFFIX[status] ?? String(status)}`;
}

export function traceId(): string {
  return randomBytes(16).toString('hex');
}

function statusField(service: Service, status: number, settings: SimSettings): number | string | undefined {
  switch (settings.errorStatusFormat) {
    case 'number':
      return status;
    case 'string':
      return String(status);
    case 'omit':
      return undefined;
    case 'per-service':
      if (service === 'roles') return undefined;
      if (service === 'tenants' || service === 'auth' || status === 401) return String(status);
      return status;
  }
}

export function errorReply(
  service: Service,
  status: number,
  title: string,
  settings: SimSettings,
  extra: { detail?: string; code?: string; parameter?: string; headers?: Record<string, string> } = {},
): Reply {
  const item: WireErrorItem = { code: extra.code ?? defaultCode(service, status), title };
  if (extra.detail !== undefined) item.detail = extra.detail;
  const s = statusField(service, status, settings);
  if (s !== undefined) item.status = s;
  if (extra.parameter !== undefined) item.source = { parameter: extra.parameter };
  const body: WireErrors = { errors: [item] };
  if (service !== 'api-keys') body.traceId = traceId();
  return { status, json: body, headers: extra.headers };
}

export function badRequest(service: Service, settings: SimSettings, detail: string, parameter?: string): Reply {
  return errorReply(service, 400, 'Bad Request', settings, { detail, parameter });
}

export function notFound(service: Service, settings: SimSettings, detail?: string): Reply {
  return errorReply(service, 404, service === 'roles' ? 'Not Found' : 'Not found', settings, { detail });
}

export function forbidden(service: Service, settings: SimSettings, detail: string): Reply {
  return errorReply(service, 403, 'Forbidden', settings, { detail });
}

/** The 401 a rejected credential gets: JSON errors, the edge's plain text, or an HTML page (a setting, §9). */
export function unauthorizedReply(settings: SimSettings, title: string): Reply {
  const headers = { 'www-authenticate': 'Bearer' };
  switch (settings.unauthorizedBody) {
    case 'text':
      return { status: 401, text: 'Authorization Required', contentType: 'text/plain; charset=utf-8', headers };
    case 'html':
      return {
        status: 401,
        text: htmlPage(401, 'Authorization Required'),
        contentType: 'text/html; charset=utf-8',
        headers,
      };
    case 'json':
      return errorReply('auth', 401, title, settings, { headers });
  }
}

/** The 429 body of docs/qlik-cloud-api.md §13.6: no status, no traceId. */
export function rateLimitedReply(retryAfterSeconds: number): Reply {
  return {
    status: 429,
    json: {
      errors: [
        {
          code: 'HTTP-429',
          title: 'API rate limit reached.',
          detail: `You need to wait ${retryAfterSeconds} seconds until limit is lifted.`,
        },
      ],
    } satisfies WireErrors,
    headers: { 'retry-after': String(retryAfterSeconds) },
  };
}

export function htmlPage(status: number, title: string): string {
  return `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>qlik-edge</center>\r\n</body>\r\n</html>\r\n`;
}

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

const MAX_BODY_BYTES = 1_000_000;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON request body; undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
