import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type DeliveryRequest, judgeDelivery, MAX_DELIVERY_BYTES } from '../../../lambda/events/delivery';
import { signatureMatches } from '../../../lambda/events/signature';

const SECRET = 'a-webhook-secret';
const AT = new Date('2026-12-06T10:00:00Z');
const secretOf = (tenant: string) => (tenant === 'acme' ? SECRET : undefined);

function request(body: string, overrides: Partial<DeliveryRequest> = {}): DeliveryRequest {
  return {
    method: 'POST',
    path: '/qlik/acme',
    signature: createHmac('sha256', SECRET).update(body).digest('hex'),
    body: Buffer.from(body),
    bodyTooLarge: false,
    ...overrides,
  };
}

const hybrid = JSON.stringify({
  specversion: '1.0.2',
  type: 'com.qlik.core.user.updated',
  id: 'evt-1',
  eventType: 'com.qlik.core.user.updated',
  data: { id: 'u1' },
});

describe('signatureMatches', () => {
  const digest = createHmac('sha256', SECRET).update('body').digest();
  it('accepts the hex and the base64 digest of the raw body', () => {
    expect(signatureMatches(SECRET, 'body', digest.toString('hex'))).toBe(true);
    expect(signatureMatches(SECRET, 'body', digest.toString('hex').toUpperCase())).toBe(true);
    expect(signatureMatches(SECRET, 'body', digest.toString('base64'))).toBe(true);
  });
  it('rejects another body, another secret, a truncated or oversized digest, and no secret', () => {
    expect(signatureMatches(SECRET, 'body ', digest.toString('hex'))).toBe(false);
    expect(signatureMatches('other', 'body', digest.toString('hex'))).toBe(false);
    expect(signatureMatches(SECRET, 'body', digest.toString('hex').slice(0, 62))).toBe(false);
    expect(signatureMatches(SECRET, 'body', 'a'.repeat(4096))).toBe(false);
    expect(signatureMatches('', 'body', createHmac('sha256', '').update('body').digest('hex'))).toBe(false);
  });
});

describe('judgeDelivery', () => {
  it('accepts a signed delivery and keeps only tenant, type, id and time', () => {
    const verdict = judgeDelivery(request(hybrid), secretOf, AT);
    expect(verdict).toEqual({
      status: 204,
      relevant: true,
      event: {
        tenant: 'acme',
        eventType: 'com.qlik.core.user.updated',
        eventId: 'evt-1',
        receivedAt: AT.toISOString(),
      },
    });
  });

  it('reads the legacy fields when the CloudEvents ones are gone', () => {
    const legacy = JSON.stringify({ eventType: 'com.qlik.core.role.updated', eventId: 'e-2' });
    const verdict = judgeDelivery(request(legacy), secretOf, AT);
    expect(verdict.status === 204 && verdict.event).toMatchObject({
      eventType: 'com.qlik.core.role.updated',
      eventId: 'e-2',
    });
  });

  it('marks an irrelevant type as such, and counts a signed body it cannot read as an unknown change', () => {
    const app = judgeDelivery(request(JSON.stringify({ type: 'com.qlik.v1.app.created', id: 'x' })), secretOf, AT);
    expect(app).toMatchObject({ status: 204, relevant: false });
    const unreadable = judgeDelivery(request('not json'), secretOf, AT);
    expect(unreadable).toMatchObject({ status: 204, relevant: true, event: { eventType: 'unknown' } });
    // The same bytes get the same derived id, so a resend of an unreadable body still counts once.
    const again = judgeDelivery(request('not json'), secretOf, AT);
    expect(again.status === 204 && again.event.eventId).toBe(unreadable.status === 204 && unreadable.event.eventId);
  });

  it('never lets a hostile type or id through', () => {
    const body = JSON.stringify({ type: 'x\u001b[31m\nevil', id: '=HYPERLINK("http://x")' });
    const verdict = judgeDelivery(request(body), secretOf, AT);
    expect(verdict.status === 204 && verdict.event.eventType).toBe('unknown');
    expect(verdict.status === 204 && verdict.event.eventId).toMatch(/^sha256-[0-9a-f]{64}$/);
  });

  it('answers 405, 404, 413 and 401 in that order of checks', () => {
    expect(judgeDelivery(request(hybrid, { method: 'GET' }), secretOf, AT)).toEqual({ status: 405, reason: 'method' });
    expect(judgeDelivery(request(hybrid, { path: '/qlik/other' }), secretOf, AT).status).toBe(404);
    expect(judgeDelivery(request(hybrid, { path: '/elsewhere' }), secretOf, AT).status).toBe(404);
    expect(judgeDelivery(request(hybrid, { path: '/qlik/../acme' }), secretOf, AT).status).toBe(404);
    expect(judgeDelivery(request(hybrid, { bodyTooLarge: true }), secretOf, AT)).toMatchObject({ status: 413 });
    const big = 'x'.repeat(MAX_DELIVERY_BYTES + 1);
    expect(judgeDelivery(request(big), secretOf, AT)).toMatchObject({ status: 413 });
    expect(judgeDelivery(request(hybrid, { signature: undefined }), secretOf, AT)).toMatchObject({
      status: 401,
      reason: 'missing-signature',
    });
    const forged = createHmac('sha256', 'guessed').update(hybrid).digest('hex');
    expect(judgeDelivery(request(hybrid, { signature: forged }), secretOf, AT)).toMatchObject({
      status: 401,
      reason: 'bad-signature',
    });
  });
});
