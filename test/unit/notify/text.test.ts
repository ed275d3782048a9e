import { describe, expect, it } from 'vitest';
import { BoundedText, oneLine, redactSecrets, truncate, utf8Bytes, utf16Length } from '../../../lambda/notify/text';
import { hasLoneSurrogate } from './fixtures';

describe('truncate', () => {
  it('leaves short text alone and cuts long text with an ellipsis within the limit', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('abcdefghijkl', 10)).toBe('abcdefghi…');
  });

  it('never splits a surrogate pair, an emoji sequence or a letter with its accent', () => {
    for (let max = 1; max <= 30; max++) {
      for (const text of ['😀'.repeat(20), 'a👩‍👩‍👧‍👦b👩‍👩‍👧‍👦c'.repeat(3), 'e\u0301'.repeat(20)]) {
        const out = truncate(text, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(hasLoneSurrogate(out)).toBe(false);
        expect(out).not.toMatch(/\u200d…$/);
        if (text.startsWith('e\u0301')) expect(out.replace('…', '')).toMatch(/^(e\u0301)*$/);
      }
    }
  });
});

describe('oneLine', () => {
  it('shows line breaks, controls and separators escaped on one line, and collapses whitespace', () => {
    expect(oneLine(' a\r\n\tb\u0000c\u2028d\u202e  e ')).toBe('a\\r\\n b\\u0000c\\u2028d\\u202E e');
  });
});

describe('redactSecrets', () => {
  it('redacts JWTs, Authorization values and secret assignments, and nothing else', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdEFGH_ijk';
    expect(redactSecrets(`key ${jwt} here`)).toBe('key [redacted] here');
    expect(redactSecrets('Authorization: Bearer abcdefgh12345')).toBe('Authorization: Bearer [redacted]');
    expect(redactSecrets('client_secret=hunter2hunter2&x=1')).toBe('client_secret=[redacted]&x=1');
    expect(redactSecrets('"apiKey": "abcd1234"')).toBe('"apiKey": "[redacted]"');
    const plain = 'PATCH /api/v1/users/64a0 with assignedScopes ["api-keys"]';
    expect(redactSecrets(plain)).toBe(plain);
  });
});

describe('BoundedText', () => {
  it('stops at the byte budget and ends with the overflow line, measured in UTF-8', () => {
    const out = new BoundedText(100, '… truncated');
    let added = 0;
    while (out.add('ööööö')) added++;
    const text = out.toString();
    expect(utf8Bytes(text)).toBeLessThanOrEqual(100);
    expect(text.endsWith('… truncated')).toBe(true);
    expect(added).toBe(Math.floor((100 - utf8Bytes('… truncated') - 1) / 11));
    expect(out.truncated).toBe(true);
  });

  it('measures with the given function and adds no overflow line when everything fits', () => {
    const out = new BoundedText(20, '…', utf16Length);
    expect(out.addAll(['ab', 'cd'])).toBe(true);
    expect(out.toString()).toBe('ab\ncd');
    expect(out.truncated).toBe(false);
  });
});
