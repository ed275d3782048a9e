import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TOOL_VERSION } from '../../lambda/version';

describe('TOOL_VERSION', () => {
  it('matches package.json, so reports name the version that produced them', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(TOOL_VERSION).toBe(pkg.version);
  });
});
