/**
 * Tenant lookup (302 from `/tenants/me`), the OAuth client-credentials token endpoint and its discovery document, and
 * the undocumented access-control evaluation (served only behind a setting).
 */

import type { Reply } from '../http';
import { badRequest, errorReply, notFound } from '../http';
import type { WireOAuthToken, WireTenant } from '../wire';
import { renderTenant } from '../wire';
import type { HandlerContext, Route } from './route';
import { requireIdentity, route } from './route';

function tenantsMe(ctx: HandlerContext): Reply {
  return { status: 302, headers: { location: `/api/v1/tenants/${ctx.state.tenantId}` } };
}

function getTenant(ctx: HandlerContext): Reply {
  if (ctx.params.id !== ctx.state.tenantId) return notFound('tenants', ctx.settings);
  const wire: WireTenant = renderTenant(ctx.render, ctx.host);
  return { status: 200, json: wire };
}

function tokenRequest(ctx: HandlerContext): Record<string, unknown> | undefined {
  const text = ctx.body.trim();
  if (ctx.contentType.includes('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(text));
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function token(ctx: HandlerContext): Reply {
  const { settings, state } = ctx;
  const request = tokenRequest(ctx);
  if (!request) return badRequest('oauth', settings, 'body must be JSON or form-encoded token request parameters');
  const grant = request.grant_type;
  const client = state.scenario.oauthClient;
  if (grant !== 'client_credentials' && grant !== 'urn:qlik:oauth:user-impersonation') {
    return errorReply('oauth', 400, 'unsupported_grant_type', settings, {
      detail: `grant_type ${JSON.stringify(grant)} is not supported`,
    });
  }
  if (request.client_id !== client.clientId || request.client_secret !== client.clientSecret) {
    return errorReply('oauth', 401, 'invalid_client', settings, { detail: 'client authentication failed' });
  }
  const scope = typeof request.scope === 'string' && request.scope.trim() !== '' ? request.scope.trim() : undefined;
  const unknownScopes = (scope ?? '').split(/\s+/).filter((s) => s !== '' && !settings.oauthAcceptedScopes.includes(s));
  if (unknownScopes.length > 0)
    return errorReply('oauth', 400, 'invalid_scope', settings, {
      detail: `scope not allowed for this client: ${unknownScopes.join(' ')}`,
    });
  let userId = client.userId;
  if (grant === 'urn:qlik:oauth:user-impersonation') {
    const lookup = request.user_lookup as { field?: unknown; value?: unknown } | undefined;
    const user =
      lookup?.field === 'userId' && typeof lookup.value === 'string'
        ? state.user(lookup.value)
        : lookup?.field === 'subject' && typeof lookup.value === 'string'
          ? state.usersWhere('subject', lookup.value.toLowerCase())?.[0]
          : undefined;
    if (!user) return badRequest('oauth', settings, 'user_lookup must name an existing user by subject or userId');
    userId = user.id;
  }
  const user = state.user(userId);
  if (!user || (user.status !== undefined && user.status !== 'active'))
    return errorReply('oauth', 403, 'access_denied', settings, { detail: 'the user is disabled' });
  const issued = ctx.services.issueAccessToken(userId, client.clientId, scope);
  const body: WireOAuthToken = {
    access_token: issued.token,
    token_type: 'bearer',
    expires_at: issued.expiresAt.toISOString(),
    expires_in: settings.oauthExpiresInSeconds,
  };
  if (scope !== undefined) body.scope = scope;
  return { status: 200, json: body, headers: { 'cache-control': 'no-store' } };
}

function discovery(ctx: HandlerContext): Reply {
  return {
    status: 200,
    json: {
      issuer: ctx.origin,
      token_endpoint: `${ctx.origin}/oauth/token`,
      grant_types_supported: ['client_credentials', 'urn:qlik:oauth:user-impersonation'],
      token_endpoint_auth_methods_supported: ['client_secret_post'],
      scopes_supported: [...ctx.settings.oauthAcceptedScopes],
    },
  };
}

/** `POST /api/v1/accesscontrol/evaluation` as Qlik's multi-tenant installer uses it (§11): `create` when allowed. */
function evaluate(ctx: HandlerContext): Reply {
  requireIdentity(ctx);
  const { state, settings } = ctx;
  if (!settings.accessControlEvaluation) return notFound('access-control', settings);
  let body: { resources?: { id?: string; type?: string; properties?: { sub?: string; subType?: string } }[] };
  try {
    body = JSON.parse(ctx.body) as typeof body;
  } catch {
    return badRequest('access-control', settings, 'body must be JSON');
  }
  if (!Array.isArray(body.resources)) return badRequest('access-control', settings, 'resources must be an array');
  const results = body.resources.map((r) => {
    const user = r.properties?.sub ? state.user(r.properties.sub) : undefined;
    const allowed = r.type === 'api-keys' && user !== undefined && state.mayUseApiKeys(user);
    return { id: r.id, type: r.type, actions: allowed ? ['create', 'read', 'delete'] : [] };
  });
  return { status: 200, json: { resources: results } };
}

export const tenantRoutes: readonly Route[] = [
  route('GET', '/api/v1/tenants/me', 'tier1', 'tenants', tenantsMe),
  route('GET', '/api/v1/tenants/{id}', 'tier1', 'tenants', getTenant),
  route('POST', '/oauth/token', 'tier2', 'oauth', token, false),
  route('GET', '/.well-known/oauth-authorization-server', 'none', 'oauth', discovery, false),
  route('POST', '/api/v1/accesscontrol/evaluation', 'tier1', 'access-control', evaluate),
];
