/**
 * Construct-level rules that do not need the whole stack: email filter policies, secret ARNs, heartbeat alarm shape,
 * the 4 KB environment limit, the runtime config file in the code asset and the chat severity setting.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { RuntimeConfigSchema } from '../../lambda/config/runtime';
import { parseDeployConfig } from '../../lib/config';
import { emailFilterPolicy, severitiesAtOrAbove } from '../../lib/constructs/alerting';
import {
  EnvironmentTooLargeError,
  estimateEnvironmentBytes,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  splitRuntimeConfig,
  tenantSecretArn,
} from '../../lib/constructs/bundled-function';
import { CheckerFunction } from '../../lib/constructs/checker-function';
import { heartbeatAlarmShape } from '../../lib/constructs/monitoring';
import { buildRuntimeConfig } from '../../lib/stack';
import { HANDLER_STUB, synth, writeConfig } from './support';

describe('email filter policies', () => {
  it('turns a minimum severity into the allowed list, worst first', () => {
    expect(severitiesAtOrAbove('critical')).toEqual(['critical']);
    expect(severitiesAtOrAbove('high')).toEqual(['critical', 'high']);
    expect(severitiesAtOrAbove('low')).toEqual(['critical', 'high', 'medium', 'low']);
  });

  it('lets health alerts and attribute-less alarm notifications through by default', () => {
    expect(emailFilterPolicy({ address: 'a@b.c', minSeverity: 'medium' })).toEqual({
      $or: [
        { severity: ['critical', 'high', 'medium'] },
        { eventType: ['health'] },
        { eventType: [{ exists: false }] },
      ],
    });
  });

  it('filters on severity alone when health is opted out, and not at all without a minimum', () => {
    expect(emailFilterPolicy({ address: 'a@b.c', minSeverity: 'high', includeHealth: false })).toEqual({
      severity: ['critical', 'high'],
    });
    expect(emailFilterPolicy({ address: 'a@b.c' })).toBeUndefined();
    expect(emailFilterPolicy({ address: 'a@b.c', minSeverity: 'informational' })).toBeUndefined();
  });
});

describe('tenant secret ARNs', () => {
  const stack = new Stack(new App(), 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
  const resolve = (arn: string) => stack.resolve(arn) as unknown;

  it('turn a name into a partial ARN matching only the random suffix', () => {
    expect(resolve(tenantSecretArn('qlik-access-guard/tenants/acme'))).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':secretsmanager:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':secret:qlik-access-guard/tenants/acme-??????',
        ],
      ],
    });
  });

  it('keep a full ARN and complete a partial one', () => {
    const full = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme-Ab12Cd';
    expect(tenantSecretArn(full)).toBe(full);
    expect(tenantSecretArn('arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme')).toBe(
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme-??????',
    );
  });
});

describe('heartbeat alarm shape', () => {
  it.each([
    [Duration.minutes(75), 5, 15],
    [Duration.hours(24), 5, 288],
    [Duration.minutes(24 * 60 + 130), 60, 27],
    [Duration.days(7), 60, 168],
  ])('covers %s within CloudWatch limits', (window, periodMinutes, periods) => {
    const shape = heartbeatAlarmShape(window);
    expect([shape.period.toMinutes(), shape.evaluationPeriods]).toEqual([periodMinutes, periods]);
    const total = shape.period.toMinutes() * shape.evaluationPeriods;
    expect(total).toBeGreaterThanOrEqual(window.toMinutes({ integral: false }));
    expect(total).toBeLessThanOrEqual(shape.period.toMinutes() < 60 ? 24 * 60 : 7 * 24 * 60);
  });

  it('refuses a window longer than seven days', () => {
    expect(() => heartbeatAlarmShape(Duration.hours(7 * 24 + 1))).toThrow(/exceeds CloudWatch's 7 days/);
  });
});

describe("the function's 4 KB environment", () => {
  const runtime = (policy?: Record<string, unknown>, bucket = 'reports-bucket') =>
    RuntimeConfigSchema.parse({
      tenants: [{ name: 'acme', url: 'https://acme.eu.qlikcloud.com', secretId: 'qag/acme' }],
      ...(policy ? { policy } : {}),
      reportBucket: bucket,
      emailTopicArn: 'arn:aws:sns:eu-west-1:111122223333:email',
    });

  it('counts names and values, and unresolved values at their longest', () => {
    const stack = new Stack(new App(), 'S');
    const bucket = new s3.Bucket(stack, 'B');
    expect(estimateEnvironmentBytes(stack, { AB: 'xyz' })).toBe(5);
    expect(estimateEnvironmentBytes(stack, { A: `s3://${bucket.bucketName}/` })).toBe(1 + 6 + 63);
    expect(estimateEnvironmentBytes(stack, { A: `${bucket.bucketArn}` })).toBe(1 + 320);
    expect(estimateEnvironmentBytes(stack, { A: `x.${stack.region}` })).toBe(1 + 2 + 20);
  });

  it('accepts a config that fits', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    const checker = new CheckerFunction(stack, 'C', { runtimeConfig: runtime(), entry: HANDLER_STUB });
    expect(estimateEnvironmentBytes(stack, checker.environment)).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_LIMIT_BYTES);
  });

  it('keeps tenants and policy out of it: 300 tenants with a copy of the shipped default policy synthesise', async () => {
    const policyFile = fileURLToPath(new URL('../../lambda/policy/default-policy.yaml', import.meta.url));
    const tenants = Array.from(
      { length: 300 },
      (_, i) =>
        `  - { name: tenant-${i}, url: "https://tenant-${i}.eu.qlikcloud.com", secretId: qlik-access-guard/tenants/tenant-${i} }`,
    ).join('\n');
    const config = writeConfig(`tenants:
${tenants}
policyFile: ${JSON.stringify(policyFile)}
schedule: { expression: "rate(1 day)" }
reports: { retentionDays: 30 }
alerts: { email: [{ address: ops@example.com }] }
`);
    const { stack } = await synth(config);
    const bytes = estimateEnvironmentBytes(stack, stack.checker.environment);
    // Three ARNs counted at their longest and the console link: far below the limit, whatever the tenant count.
    expect(bytes).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_LIMIT_BYTES / 2);
    expect(stack.checker.environment.QAG_CONFIG).not.toMatch(/tenant-\d|"rules"/);
    expect((stack.checker.staticConfig.tenants as unknown[]).length).toBe(300);
    expect(stack.checker.staticConfig.policy).toMatchObject({ rules: expect.any(Object) });
    const file = JSON.parse(readFileSync(stack.checker.staticConfigFile, 'utf8')) as Record<string, unknown>;
    expect(file).toEqual(stack.checker.staticConfig);
  });

  it('fails synth with a clear message when a deploy-time value makes it too large', () => {
    const create = () => {
      const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
      const bucket = new s3.Bucket(stack, 'B');
      // A value holding a token cannot be written at synth, so it stays in the environment however long it is.
      const runtimeConfig = {
        ...runtime(),
        reportLinkBase: `https://reports.example.com/${'x'.repeat(4000)}/${bucket.bucketName}/`,
      };
      return new CheckerFunction(stack, 'C', { runtimeConfig, entry: HANDLER_STUB });
    };
    expect(create).toThrow(EnvironmentTooLargeError);
    expect(create).toThrow(/over Lambda's limit of 4096 bytes for all variables together; QAG_CONFIG is the largest/);
  });
});

describe('runtime config split', () => {
  const runtime = RuntimeConfigSchema.parse({
    tenants: [{ name: 'acme', url: 'https://acme.eu.qlikcloud.com', secretId: 'qag/acme' }],
    policy: { name: 'p' },
    reportBucket: 'reports-bucket',
    emailTopicArn: 'arn:aws:sns:eu-west-1:111122223333:email',
    chatMinSeverity: 'high',
    reportLinkBase: 'https://reports.example.com/',
  });

  it('puts resource names and token-holding values into the environment, everything else into the file', () => {
    const stack = new Stack(new App(), 'S');
    const topic = `arn:aws:sns:${stack.region}:111122223333:chat`;
    const { staticConfig, deployTimeConfig } = splitRuntimeConfig(stack, {
      ...runtime,
      chatTopicArn: topic,
      reportLinkBase: `https://x/${stack.region}/`,
    });
    expect(Object.keys(deployTimeConfig).sort()).toEqual([
      'chatTopicArn',
      'emailTopicArn',
      'reportBucket',
      'reportLinkBase',
    ]);
    expect(staticConfig).toEqual({
      tenants: runtime.tenants,
      policy: { name: 'p' },
      chatMinSeverity: 'high',
      tenantConcurrency: 4,
      tenantDeadlineSeconds: 240,
    });
    expect(splitRuntimeConfig(stack, runtime).staticConfig).toHaveProperty(
      'reportLinkBase',
      'https://reports.example.com/',
    );
  });
});

describe('code asset with the runtime config', () => {
  const runtime = (tenant: string) =>
    RuntimeConfigSchema.parse({
      tenants: [{ name: tenant, url: `https://${tenant}.eu.qlikcloud.com`, secretId: `qag/${tenant}` }],
      reportBucket: 'reports-bucket',
      emailTopicArn: 'arn:aws:sns:eu-west-1:111122223333:email',
    });
  // Real (local esbuild) bundling of the stub handler: quick, and the asset hash is the bundled output's.
  const bundle = (tenant: string) => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'qag-asset-')) });
    const stack = new Stack(app, 'S');
    new CheckerFunction(stack, 'C', { runtimeConfig: runtime(tenant), entry: HANDLER_STUB });
    const assembly = app.synth();
    const template = assembly.getStackByName('S').template as { Resources: Record<string, any> };
    const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
    return { hash, dir: join(assembly.directory, `asset.${hash}`) };
  };

  it('holds qag-config.json, and its hash changes with the config and only with it', () => {
    const acme = bundle('acme');
    const globex = bundle('globex');
    expect(readdirSync(acme.dir)).toContain('qag-config.json');
    expect(JSON.parse(readFileSync(join(acme.dir, 'qag-config.json'), 'utf8'))).toMatchObject({
      tenants: [{ name: 'acme' }],
    });
    expect(JSON.parse(readFileSync(join(globex.dir, 'qag-config.json'), 'utf8'))).toMatchObject({
      tenants: [{ name: 'globex' }],
    });
    expect(globex.hash).not.toBe(acme.hash);
    expect(bundle('acme').hash).toBe(acme.hash);
  });
});

describe('runtime config', () => {
  const deploy = (slack: string) =>
    parseDeployConfig(
      `tenants: [{ name: acme, url: "https://acme.eu.qlikcloud.com", secretId: qag/acme }]
schedule: { expression: "rate(1 hour)" }
reports: { retentionDays: 30 }
alerts: { slack: { workspaceId: T0123ABCDE, channelId: C0123ABCDE${slack} } }`,
      'x.yaml',
    );
  const resources = {
    reportBucket: 'b-1',
    emailTopicArn: 'arn:e',
    chatTopicArn: 'arn:c',
    reportLinkBase: 'https://x/',
  };

  it('passes a Slack minimum severity to the checker', () => {
    const config = deploy(', minSeverity: high');
    expect(buildRuntimeConfig(config, undefined, resources)).toMatchObject({ chatMinSeverity: 'high' });
  });

  it('needs no chat severity setting without a Slack minimum', () => {
    const built = buildRuntimeConfig(deploy(''), undefined, resources);
    expect(built).toMatchObject({ chatTopicArn: 'arn:c', reportBucket: 'b-1' });
    expect(built).not.toHaveProperty('policy');
    expect(built).not.toHaveProperty('chatMinSeverity');
  });

  it('carries the deployed schedule and its time zone, which every archived run records', () => {
    expect(buildRuntimeConfig(deploy(''), undefined, resources).schedule).toEqual({
      expression: 'rate(1 hour)',
      timeZone: 'UTC',
    });
  });
});
