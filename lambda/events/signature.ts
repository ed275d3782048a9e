/**
 * Qlik's delivery signature (qlik-cloud-api.md §14): `Qlik-Signature` is the HMAC-SHA256 of the raw body keyed with
 * the webhook's secret. Whether the digest is hex or base64 is not documented, so both are accepted; the comparison is
 * constant-time over equal-length digests.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'qlik-signature';
/** A digest header longer than this is not a SHA-256 digest in any encoding. */
const MAX_SIGNATURE_LENGTH = 128;

export function signBody(secret: string, body: Uint8Array | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export function signatureMatches(secret: string, body: Uint8Array | string, header: string | undefined): boolean {
  if (header === undefined || secret === '') return false;
  const text = header.trim();
  if (text === '' || text.length > MAX_SIGNATURE_LENGTH) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = decodeDigest(text.replace(/^sha256=/i, ''));
  if (!given || given.length !== expected.length) return false;
  return timingSafeEqual(given, expected);
}

function decodeDigest(text: string): Buffer | undefined {
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return undefined;
}
