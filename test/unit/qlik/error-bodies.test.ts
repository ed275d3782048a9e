import { describe, expect, it } from 'vitest';
import { describeErrorBody, redact, summarizeErrorBody } from '../../../lambda/qlik/errors';

describe('summarizeErrorBody', () => {
  it('reads Qlik errors with a numeric, string or missing status', () => {
    expect(
      summarizeErrorBody('{"errors":[{"code":"USERS-7","status":404,"title":"Not found"}],"traceId":"79cf"}', []),
    ).toEqual({
      qlikCode: 'USERS-7',
      title: 'Not found',
      status: 404,
      traceId: '79cf',
    });
    expect(summarizeErrorBody('{"errors":[{"code":"LOGIN-10","title":"t","status":"401"}]}', [])).toMatchObject({
      status: 401,
    });
    expect(
      summarizeErrorBody('{"errors":[{"code":"IDENTITIES-10402","title":"Not Found"}]}', []).status,
    ).toBeUndefined();
  });

  it('keeps an excerpt of bodies that are not Qlik errors', () => {
    expect(summarizeErrorBody('upstream connect error', [])).toEqual({ excerpt: 'upstream connect error' });
    expect(summarizeErrorBody('{"message":"nope"}', [])).toEqual({ excerpt: '{"message":"nope"}' });
    expect(summarizeErrorBody('[1,2]', [])).toEqual({ excerpt: '[1,2]' });
    expect(summarizeErrorBody('   ', [])).toEqual({});
    expect(summarizeErrorBody('<html><script>x()</script><p>Bad&nbsp;gateway</p></html>', [])).toEqual({
      excerpt: 'Bad gateway',
    });
  });

  it('cuts long excerpts and control characters', () => {
    const summary = summarizeErrorBody(`line1\n\u0007line2 ${'y'.repeat(1000)}`, []);
    expect(summary.excerpt?.startsWith('line1 line2 yyy')).toBe(true);
    expect(summary.excerpt?.length).toBe(160);
  });

  it('redacts secrets, bearer tokens and JWTs from what it keeps', () => {
    const jwt = 'eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiJ4In0.c2ln';
    const summary = summarizeErrorBody(
      JSON.stringify({
        errors: [{ code: 'E', title: `Bearer abc.def echo ${jwt}`, detail: 'client_secret=s3cr3t-value-long' }],
        traceId: 'my-known-secret',
      }),
      ['my-known-secret'],
    );
    expect(JSON.stringify(summary)).not.toMatch(/abc\.def|eyJ|s3cr3t|my-known-secret/);
    expect(describeErrorBody(summary)).toBe(
      'E "Bearer [redacted] echo [redacted]" (client_secret=[redacted]) traceId [redacted]',
    );
  });
});

describe('redact', () => {
  it('leaves ordinary text alone', () => {
    expect(redact('data[3].id: expected string; access_token: expected string', [])).toBe(
      'data[3].id: expected string; access_token: expected string',
    );
  });
  it('removes every occurrence of a known secret', () => {
    expect(redact('k=abcd1234 and again abcd1234', ['abcd1234'])).toBe('k=[redacted] and again [redacted]');
  });
});
