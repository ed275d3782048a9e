/**
 * The deploy config as Ops meet it: the example works, and every mistake fails synth naming the file, the field and
 * what was expected. Also the schedule arithmetic the heartbeat alarm depends on.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RuntimeConfigSchema } from '../../lambda/config/runtime';
import { InputError } from '../../lambda/errors';
import {
  DeployConfigError,
  EXAMPLE_CONFIG_FILE,
  heartbeatWindowMinutes,
  loadDeployConfig,
  parseDeployConfig,
} from '../../lib/config';
import { loadDeployPolicy } from '../../lib/policy-source';
import { parseScheduleExpression, ScheduleExpressionError } from '../../lib/schedule-expression';
import { buildRuntimeConfig } from '../../lib/stack';
import { writeConfig } from './support';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const VALID = `
tenants:
  - name: acme
    url: https://acme.eu.qlikcloud.com
    secretId: qlik-access-guard/tenants/acme
schedule:
  expression: rate(1 day)
reports:
  retentionDays: 30
alerts:
  email:
    - address: ops@example.com
`;

function problemsOf(yaml: string, file = '/configs/prod.yaml'): InputError[] {
  try {
    parseDeployConfig(yaml, file);
  } catch (error) {
    expect(error).toBeInstanceOf(DeployConfigError);
    return [...(error as DeployConfigError).problems];
  }
  throw new Error('expected the config to be rejected');
}

describe('deploy config', () => {
  it('accepts the documented example and fills in the defaults', () => {
    const config = loadDeployConfig(EXAMPLE_CONFIG_FILE);
    expect(config.tenants.map((t) => t.name)).toEqual(['acme-prod']);
    expect(config.schedule).toMatchObject({ expression: 'cron(0 6 ? * MON-FRI *)', timeZone: 'Europe/Berlin' });
    expect(config.function).toEqual({ memoryMiB: 512, timeoutSeconds: 600, logRetentionDays: 90, logLevel: 'INFO' });
  });

  it('applies defaults to a minimal config', () => {
    const config = parseDeployConfig(VALID, 'min.yaml');
    expect(config).toMatchObject({
      stackName: 'QlikAccessGuard',
      schedule: { timeZone: 'UTC', retryAttempts: 3, maxEventAgeMinutes: 60 },
      reports: { transitionAfterDays: 90, storageClass: 'STANDARD_IA' },
      tenantConcurrency: 4,
      tenantDeadlineSeconds: 240,
    });
    expect(config.tenants[0]!.allowedHosts).toEqual([]);
    expect(config.alerts.email[0]!.includeHealth).toBe(true);
  });

  it('names the file, the field and the expectation for a bad cron expression', () => {
    const [problem, ...rest] = problemsOf(VALID.replace('rate(1 day)', '"cron(0 25 * * ? *)"'));
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ file: '/configs/prod.yaml', path: 'schedule.expression' });
    expect(problem!.message).toBe(
      '/configs/prod.yaml at schedule.expression: cron hours field "25": values 0-23, with "*", "," "-" and "/" (got "cron(0 25 * * ? *)")',
    );
  });

  it('rejects a tenant URL that is not https', () => {
    const [problem] = problemsOf(VALID.replace('https://acme', 'http://acme'));
    expect(problem!.message).toBe(
      '/configs/prod.yaml at tenants[0].url: an https URL such as https://acme.eu.qlikcloud.com (got "http://acme.eu.qlikcloud.com")',
    );
  });

  it('rejects unknown keys, naming each one where it is', () => {
    const problems = problemsOf(
      `${VALID}\nschedul: {}\n`.replace('retentionDays: 30', 'retentionDays: 30\n  retentionDay: 31'),
    );
    expect(problems.map((p) => p.path).sort()).toEqual(['reports.retentionDay', 'schedul']);
    expect(problems.every((p) => p.expected.startsWith('no such key'))).toBe(true);
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.expected]));
    expect(byPath['reports.retentionDay']).toBe(
      'no such key here (did you mean "retentionDays"?; expected one of retentionDays, transitionAfterDays, storageClass, linkBase)',
    );
    expect(byPath.schedul).toMatch(/did you mean "schedule"\?/);
  });

  describe('tenant remediation', () => {
    const withRemediation = (value: string) =>
      VALID.replace(
        'secretId: qlik-access-guard/tenants/acme',
        `secretId: qlik-access-guard/tenants/acme\n    remediation: ${value}`,
      );

    it('is off by default, with maxChanges 25', () => {
      expect(parseDeployConfig(VALID, 'min.yaml').tenants[0]!.remediation).toEqual({ mode: 'off', maxChanges: 25 });
    });

    it('takes plan or apply, and maxChanges from 0 (nothing may be applied) up', () => {
      expect(parseDeployConfig(withRemediation('{ mode: plan }'), 'x.yaml').tenants[0]!.remediation).toEqual({
        mode: 'plan',
        maxChanges: 25,
      });
      expect(
        parseDeployConfig(withRemediation('{ mode: apply, maxChanges: 0 }'), 'x.yaml').tenants[0]!.remediation,
      ).toEqual({ mode: 'apply', maxChanges: 0 });
    });

    it('names the field and the expectation for a bad mode, a bad maxChanges and an unknown key', () => {
      const [mode] = problemsOf(withRemediation('{ mode: auto }'));
      expect(mode!.path).toBe('tenants[0].remediation.mode');
      expect(mode!.message).toContain('off, plan or apply');
      for (const [value, expected] of [
        ['-1', 'a whole number, 0 or more'],
        ['2.5', 'a whole number'],
        ['501', 'at most 500'],
        ['"ten"', 'a whole number'],
      ] as const) {
        const [problem] = problemsOf(withRemediation(`{ mode: apply, maxChanges: ${value} }`));
        expect(problem!.path).toBe('tenants[0].remediation.maxChanges');
        expect(problem!.message).toContain(expected);
      }
      const [unknown] = problemsOf(withRemediation('{ mode: apply, maxChange: 3 }'));
      expect(unknown!.path).toBe('tenants[0].remediation.maxChange');
      expect(unknown!.expected).toMatch(/did you mean "maxChanges"\?/);
    });

    it('reaches the runtime config the function validates again', () => {
      const config = parseDeployConfig(withRemediation('{ mode: apply, maxChanges: 3 }'), 'x.yaml');
      const runtime = buildRuntimeConfig(config, undefined, {
        reportBucket: 'b-1',
        emailTopicArn: 'arn:e',
        chatTopicArn: 'arn:c',
        reportLinkBase: 'https://x/',
      });
      expect(runtime.tenants[0]!.remediation).toEqual({ mode: 'apply', maxChanges: 3 });
      expect(RuntimeConfigSchema.parse(JSON.parse(JSON.stringify(runtime))).tenants[0]!.remediation).toEqual({
        mode: 'apply',
        maxChanges: 3,
      });
    });
  });

  it('suggests the right spelling of a key inside a list', () => {
    const [problem] = problemsOf(
      VALID.replace('- address: ops@example.com', '- address: ops@example.com\n      minseverity: high'),
    );
    expect(problem!.path).toBe('alerts.email[0].minseverity');
    expect(problem!.expected).toMatch(/did you mean "minSeverity"\?/);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf(`
tenants:
  - { name: "bad name", url: "https://a.qlikcloud.com", secretId: "arn:aws:iam::123456789012:role/x" }
  - { name: a, url: "https://a.qlikcloud.com", secretId: s, secretKmsKeyArn: "alias/x" }
  - { name: a, url: "https://b.qlikcloud.com", secretId: t }
schedule: { expression: "rate(5 minute)", timeZone: Mars/Olympus }
reports: { retentionDays: 0, transitionAfterDays: 10 }
alerts: { email: [{ address: not-an-email, minSeverity: urgent }] }
function: { timeoutSeconds: 1000, logRetentionDays: 2 }
`);
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        'alerts.email[0].address',
        'alerts.email[0].minSeverity',
        'function.logRetentionDays',
        'function.timeoutSeconds',
        'reports.retentionDays',
        'reports.transitionAfterDays',
        'schedule.expression',
        'schedule.timeZone',
        'tenants[0].name',
        'tenants[0].secretId',
        'tenants[1].secretKmsKeyArn',
      ].sort(),
    );
    // The duplicate tenant name and the cross-field checks need a config whose fields are valid.
    const cross = problemsOf(
      VALID.replace(
        'tenants:',
        'tenantDeadlineSeconds: 900\ntenants:\n  - { name: acme, url: "https://b.qlikcloud.com", secretId: t }',
      ).replace(/alerts:[\s\S]*$/, 'alerts: {}\n'),
    );
    expect(cross.map((p) => [p.path, p.expected])).toEqual(
      expect.arrayContaining([
        ['tenants[1].name', 'a name no other tenant has'],
        ['alerts', 'at least one email address or a slack channel, so that alerts reach someone'],
        ['tenantDeadlineSeconds', expect.stringMatching(/^less than function.timeoutSeconds \(600\)/)],
      ]),
    );
  });

  it('rejects a schedule too sparse for the heartbeat alarm', () => {
    const [problem] = problemsOf(VALID.replace('rate(1 day)', 'rate(7 days)'));
    expect(problem!.path).toBe('schedule.expression');
    expect(problem!.expected).toMatch(/CloudWatch alarms look back at most 7 days/);
  });

  it('reports YAML syntax errors with the file', () => {
    const [problem] = problemsOf('tenants: [\n');
    expect(problem!.message).toMatch(/^\/configs\/prod\.yaml: valid YAML/);
  });

  it('reports a missing file by name', () => {
    expect(() => loadDeployConfig('/nonexistent/qag.yaml')).toThrow(
      /\/nonexistent\/qag\.yaml: a readable deploy config file/,
    );
  });
});

describe('policy file', () => {
  it('is validated with the policy loader and kept as written', async () => {
    const config = writeConfig(VALID, { 'p.yaml': 'name: mine\nrules:\n  api-key-expiring: { windowDays: 7 }\n' });
    const policy = await loadDeployPolicy(join(config, '..', 'p.yaml'));
    expect(policy).toMatchObject({
      document: { name: 'mine', rules: { 'api-key-expiring': { windowDays: 7 } } },
      name: 'mine',
    });
    expect(policy.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fails with the loader error naming the file and the path', async () => {
    const config = writeConfig(VALID, { 'p.yaml': 'name: mine\nrules:\n  api-key-expiring: { windowDays: soon }\n' });
    const file = join(config, '..', 'p.yaml');
    const error = await loadDeployPolicy(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).file).toBe(file);
    expect((error as InputError).path).toMatch(/rules.*api-key-expiring.*windowDays/);
  });
});

describe('schedule expressions', () => {
  const interval = (expression: string) => parseScheduleExpression(expression).maxIntervalMinutes;

  it('measures rates', () => {
    expect(interval('rate(1 minute)')).toBe(1);
    expect(interval('rate(15 minutes)')).toBe(15);
    expect(interval('rate(6 hours)')).toBe(360);
    expect(interval('rate(1 day)')).toBe(1440);
  });

  it('measures the longest gap of a cron schedule', () => {
    expect(interval('cron(0 6 * * ? *)')).toBe(1440);
    expect(interval('cron(0 6 ? * MON-FRI *)')).toBe(3 * 1440);
    expect(interval('cron(0/15 8-17 ? * 2-6 *)')).toBe(2 * 1440 + 14 * 60 + 15);
    expect(interval('cron(0 6,18 * * ? *)')).toBe(720);
    expect(interval('cron(0 6 1 * ? *)')).toBe(31 * 1440);
    expect(interval('cron(0 6 L * ? *)')).toBeGreaterThanOrEqual(28 * 1440);
    expect(interval('cron(0 6 ? * 2#1 *)')).toBeGreaterThanOrEqual(28 * 1440);
  });

  it.each([
    ['cron(0 6 * * * *)', /exactly one of day-of-month and day-of-week/],
    ['cron(0 6 ? * ? *)', /exactly one of day-of-month and day-of-week/],
    ['cron(0 6 * * ?)', /six cron fields/],
    ['cron(0 6 * * ? 2027)', /"\*" as the year field/],
    ['cron(0 6 31 2 ? *)', /at least twice a year/],
    ['cron(61 6 * * ? *)', /minutes field "61"/],
    ['cron(0 6 ? * FUNDAY *)', /day-of-week field "FUNDAY"/],
    ['rate(0 minutes)', /at least 1/],
    ['rate(2 hour)', /"rate\(2 hours\)"/],
    ['at(2027-01-01T00:00:00)', /a recurring schedule/],
    ['every day', /a recurring schedule/],
  ])('rejects %s', (expression, message) => {
    expect(() => parseScheduleExpression(expression)).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression(expression)).toThrow(message);
  });

  it('sizes the heartbeat window as the longest gap plus timeout, retry window and an hour', () => {
    const config = parseDeployConfig(VALID, 'x.yaml');
    expect(heartbeatWindowMinutes(config)).toBe(1440 + 10 + 60 + 60);
  });
});

describe('the CDK app entry (cdk.json "app")', () => {
  it('prints a bad config as file, field and expectation, without a stack trace, and exits 1', () => {
    const config = writeConfig(VALID.replace('https://acme', 'http://acme'));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'lib/app.ts'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ config }),
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'qag-app-')),
      },
      timeout: 120_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${config} at tenants[0].url: an https URL such as https://acme.eu.qlikcloud.com`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
