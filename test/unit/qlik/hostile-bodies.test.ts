/**
 * Bounded work on hostile response bodies: error bodies are read only to their cap and summarised in linear time,
 * success bodies stop at the per-response cap, every tenant string is capped at parse time, and a page that ignores
 * `limit` is a bad response. The endless bodies are served by a real HTTP server on 127.0.0.1, so "the rest is not
 * downloaded" is measured on the wire.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { QlikClient } from '../../../lambda/qlik/client';
import { ERROR_BODY_MAX_BYTES, summarizeErrorBody } from '../../../lambda/qlik/errors';
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_ID_LENGTH,
  MAX_ITEMS_PER_PAGE,
  MAX_NAME_LENGTH,
  TRUNCATION_NOTE,
  truncated,
} from '../../../lambda/qlik/schemas';
import { DEFAULT_MAX_BODY_BYTES } from '../../../lambda/qlik/transport';
import { clientFor, failure } from './support/client';
import { FakeTenant, type TenantData, wireKey, wireRole, wireUser } from './support/fake-tenant';

const MiB = 1024 * 1024;

/** A server whose every answer is `status` with a body streamed in 64 KiB chunks, up to `bytes` (or forever). */
class StreamingServer {
  written = 0;
  readonly #server: Server;

  constructor(
    readonly status: number,
    readonly bytes: number,
    readonly chunk: Buffer = Buffer.alloc(64 * 1024, '<'),
  ) {
    this.#server = createServer((_, response) => this.#stream(response));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #stream(response: ServerResponse): void {
    response.writeHead(this.status, { 'content-type': 'text/html' });
    const next = (): void => {
      while (this.written < this.bytes && !response.destroyed) {
        this.written += this.chunk.length;
        if (!response.write(this.chunk)) {
          response.once('drain', next);
          return;
        }
      }
      if (!response.destroyed) response.end();
    };
    response.on('close', () => response.removeAllListeners('drain'));
    next();
  }
}

let server: StreamingServer | undefined;
let tenant: FakeTenant | undefined;
afterEach(async () => {
  await server?.close();
  await tenant?.close();
  server = undefined;
  tenant = undefined;
});

function clientOf(origin: string): QlikClient {
  return new QlikClient({
    tenantUrl: origin,
    credentials: { kind: 'api-key', apiKey: 'qag-test-api-key-5f2c9e1b7d' },
    allowHttpLoopback: true,
    retry: { maxRetries: 0 },
  });
}

describe('error bodies', () => {
  it('reads an endless error body only to its cap and reports the status, not the body size', async () => {
    server = new StreamingServer(500, Number.POSITIVE_INFINITY);
    const client = clientOf(await server.start());

    const error = await failure(client.me());
    await client.close();

    expect(error).toMatchObject({ code: 'bad-response', endpoint: 'GET /api/v1/users/me', httpStatus: 500 });
    expect(error.message).toMatch(/^GET \/api\/v1\/users\/me: 500.*: server error, still failing after retries$/);
    // What the server managed to write before the client closed the connection: socket buffers, not the body.
    expect(server.written).toBeLessThan(8 * MiB);
  });

  it.each([
    ['unclosed tags', '<'],
    ['unclosed scripts', '<script '],
    ['dash-separated JWT starts', 'eyJ-'],
  ])('summarises a 2 MB body of %s (quadratic for a backtracking pattern)', (_, unit) => {
    const body = unit.repeat(Math.ceil((2 * MiB) / unit.length));
    const summary = summarizeErrorBody(body, []);
    expect(summary.excerpt?.length ?? 0).toBeLessThanOrEqual(160);
  });

  it('looks at the first 16 KiB of a body only', () => {
    const body = `${' '.repeat(ERROR_BODY_MAX_BYTES)}visible only past the cap`;
    expect(summarizeErrorBody(body, [])).toEqual({});
    expect(summarizeErrorBody('<p>Bad <b>gateway</b></p><script>x()', []).excerpt).toBe('Bad gateway');
    expect(summarizeErrorBody('a <style type="x">p{}</style>b <scripts>c', []).excerpt).toBe('a b c');
  });
});

describe('success bodies', () => {
  it('stops reading a body over the per-response cap: a bad response naming the endpoint and the cap', async () => {
    server = new StreamingServer(200, Number.POSITIVE_INFINITY, Buffer.alloc(64 * 1024, ' '));
    const client = clientOf(await server.start());

    const error = await failure(client.me());
    await client.close();

    expect(DEFAULT_MAX_BODY_BYTES).toBe(4 * MiB);
    expect(error).toMatchObject({ code: 'bad-response', endpoint: 'GET /api/v1/users/me' });
    expect(error.message).toBe(
      'GET /api/v1/users/me: response body larger than 4 MiB, the most read per response; not read further',
    );
    expect(server.written).toBeLessThan(DEFAULT_MAX_BODY_BYTES + 8 * MiB);
  });
});

describe('string caps at parse time', () => {
  const me = wireUser('Checker Bot');

  function data(extra: Partial<TenantData> = {}): TenantData {
    return { users: [me], groups: [], roles: [], apiKeys: [], everyoneRoles: [], meId: me.id, ...extra };
  }

  it('truncates names, emails and descriptions with a note of the original length', async () => {
    const longName = `Mallory\n2. URGENT ${'x'.repeat(3 * MiB)}`;
    const mallory = wireUser('mallory', { fields: { name: longName, email: `${'m'.repeat(5000)}@example.com` } });
    const role = wireRole('Big', { description: 'd'.repeat(MAX_DESCRIPTION_LENGTH + 1) });
    tenant = new FakeTenant(data({ users: [me, mallory], roles: [role], apiKeys: [wireKey(mallory)] }));
    const { client } = clientFor(tenant);

    const users = (await client.listUsers({ filter: 'status eq "active"' })).items;
    const roles = (await client.listRoles()).items;

    const read = users.find((user) => user.id === mallory.id);
    expect(read?.name).toBe(truncated(longName, MAX_NAME_LENGTH));
    expect(read?.name?.length).toBeLessThan(MAX_NAME_LENGTH + 80);
    expect(read?.name).toContain(`${TRUNCATION_NOTE}: ${longName.length} characters]`);
    expect(read?.email).toContain(TRUNCATION_NOTE);
    expect(roles[0]?.description).toContain(`${TRUNCATION_NOTE}: ${MAX_DESCRIPTION_LENGTH + 1} characters]`);
    expect(users.find((user) => user.id === me.id)?.name).toBe('Checker Bot');
  });

  it('never cuts a surrogate pair in half', () => {
    const value = `${'a'.repeat(9)}😀tail`;
    expect(truncated(value, 10).startsWith(`${'a'.repeat(9)}${TRUNCATION_NOTE}`)).toBe(true);
  });

  it('fails on an over-long id instead of cutting it', async () => {
    const key = wireKey(me, { id: 'k'.repeat(MAX_ID_LENGTH + 1) });
    tenant = new FakeTenant(data({ apiKeys: [key] }));
    const { client } = clientFor(tenant);

    const error = await failure(client.listApiKeys());

    expect(error).toMatchObject({ code: 'bad-response', endpoint: 'GET /api/v1/api-keys' });
    expect(error.message).toContain(
      `data[0].id: an id of at most ${MAX_ID_LENGTH} characters, got ${MAX_ID_LENGTH + 1}`,
    );
  });

  it('refuses a page far longer than asked for (one page could otherwise overflow the stack of a spread)', async () => {
    const roles = Array.from({ length: MAX_ITEMS_PER_PAGE + 1 }, (_, index) => wireRole(`r${index}`));
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', () => ({ status: 200, json: { data: roles, links: {} } }));
    const { client } = clientFor(tenant);

    const error = await failure(client.listRoles());

    expect(error).toMatchObject({ code: 'bad-response', endpoint: 'GET /api/v1/roles' });
    expect(error.message).toContain(`data: at most ${MAX_ITEMS_PER_PAGE} items per page`);
  });
});
