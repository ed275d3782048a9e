import { describe, expect, it } from 'vitest';
import { parseTenantsFile } from '../../../lambda/cli/tenants-file';
import { InputError } from '../../../lambda/errors';

describe('parseTenantsFile', () => {
  it('reads tenants with one credential source each', () => {
    const tenants = parseTenantsFile(
      [
        'tenants:',
        '  - name: acme',
        '    url: https://acme.eu.qlikcloud.com',
        '    clientIdEnv: ACME_ID',
        '    clientSecretEnv: ACME_SECRET',
        '  - url: https://globex.us.qlikcloud.com',
        '    apiKeyEnv: GLOBEX_KEY',
        '    allowedHosts: [analytics.globex.com]',
      ].join('\n'),
      'tenants.yaml',
    );
    expect(tenants).toEqual([
      {
        name: 'acme',
        url: 'https://acme.eu.qlikcloud.com',
        clientIdEnv: 'ACME_ID',
        clientSecretEnv: 'ACME_SECRET',
        allowedHosts: [],
      },
      { url: 'https://globex.us.qlikcloud.com', apiKeyEnv: 'GLOBEX_KEY', allowedHosts: ['analytics.globex.com'] },
    ]);
  });

  it('names the file and the path of an unknown key', () => {
    const parse = () => parseTenantsFile('tenants:\n  - url: https://a.eu.qlikcloud.com\n    apiKey: xyz\n', 't.yaml');
    expect(parse).toThrow(InputError);
    expect(parse).toThrow(/t\.yaml at tenants\[0\]\.apiKey: no such key here \(expected one of name, url, apiKeyEnv/);
    // The value of an unexpected key (it could be a pasted credential) is never echoed.
    expect(() => parse()).not.toThrow(/xyz/);
  });

  it('rejects two credential sources for one tenant', () => {
    expect(() =>
      parseTenantsFile('tenants:\n  - url: https://a.eu.qlikcloud.com\n    apiKeyEnv: A\n    secretId: s\n', 't.yaml'),
    ).toThrow(/one credential source/);
  });

  it('rejects a client id without its secret', () => {
    expect(() =>
      parseTenantsFile('tenants:\n  - url: https://a.eu.qlikcloud.com\n    clientIdEnv: A\n', 't.yaml'),
    ).toThrow(/go together/);
  });

  it('reports YAML syntax errors with line and column', () => {
    expect(() => parseTenantsFile('tenants:\n  - url: [unclosed\n', 'bad.yaml')).toThrow(
      /bad\.yaml: valid YAML or JSON \(line \d+, column \d+/,
    );
  });

  it('requires at least one tenant', () => {
    expect(() => parseTenantsFile('tenants: []\n', 'empty.yaml')).toThrow(/empty\.yaml at tenants/);
  });
});
