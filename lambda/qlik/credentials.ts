/**
 * Credentials for one tenant. Never logged, stored or put in an error message: only the transport reads them, and
 * only to build the Authorization header for an allowed host.
 */
export type QlikCredentials =
  | { readonly kind: 'api-key'; readonly apiKey: string }
  | {
      readonly kind: 'oauth-client';
      readonly clientId: string;
      readonly clientSecret: string;
      /** Space-delimited OAuth scopes; omitted = the client's own scopes. */
      readonly scope?: string;
    };
