import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { InputError } from '../../../lambda/errors';
import { inputErrorOf, inputErrorsOf } from '../../../lambda/util/zod-input';

const Schema = z
  .object({
    tenants: z.array(
      z.object({ url: z.string().startsWith('https://', 'an https URL'), apiKeyEnv: z.string() }).strict(),
    ),
    windowDays: z.number().int().min(1).optional(),
  })
  .strict();

function errorOf(value: unknown) {
  const result = Schema.safeParse(value, { reportInput: true });
  if (result.success) throw new Error('expected a validation error');
  return result.error;
}

describe('zod issues as input errors', () => {
  it('names the file, the path, what was expected and the scalar found', () => {
    const error = inputErrorOf('t.yaml', errorOf({ tenants: [{ url: 'http://a', apiKeyEnv: 'K' }] }), Schema);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe('t.yaml at tenants[0].url: an https URL (got "http://a")');
  });

  it('suggests the key that was meant, inside a list, and lists the allowed ones', () => {
    const errors = inputErrorsOf('t.yaml', errorOf({ tenants: [{ url: 'https://a', apiKeyEnvv: 'K' }] }), Schema);
    const error = errors.find((e) => e.path === 'tenants[0].apiKeyEnvv')!;
    expect(error.expected).toBe('no such key here (did you mean "apiKeyEnv"?; expected one of url, apiKeyEnv)');
  });

  it('says "required" for a missing value and never echoes values when asked not to', () => {
    const [missing] = inputErrorsOf('t.yaml', errorOf({ tenants: [{ url: 'https://a' }] }), Schema);
    expect(missing!.message).toBe('t.yaml at tenants[0].apiKeyEnv: required: text');
    const quiet = inputErrorOf('t.yaml', errorOf({ tenants: [{ url: 'secret-value', apiKeyEnv: 'K' }] }), Schema, {
      echoValues: false,
    });
    expect(quiet.message).not.toContain('secret-value');
  });

  it('lists further problems after the first, bounded, in one line', () => {
    const tenants = Array.from({ length: 8 }, () => ({ url: 'http://x', apiKeyEnv: 'K' }));
    const error = inputErrorOf('t.yaml', errorOf({ tenants }), Schema, { alsoShown: 2 });
    expect(error.expected).toMatch(/; also tenants\[1\]\.url: .*; tenants\[2\]\.url: .*; and 5 more$/);
    expect(error.message).not.toContain('\n');
  });
});
