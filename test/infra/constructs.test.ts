/**
 * Construct-level rules that do not need the whole stack: email filter policies, secret ARNs, heartbeat alarm shape,
 * the 4 KB environment limit and the chat severity setting.
 */
import { fileURLToPath } from 'node:url';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { emailFilterPolicy, severitiesAtOrAbove } from '../../lib/constructs/alerting';
import {
  CheckerFunction,
  EnvironmentTooLargeError,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  estimateEnvironmentBytes,
  tenantSecretArn,
} from '../../lib/constructs/checker-function';
import { heartbeatAlarmShape } from '../../lib/constructs/monitoring';
import { parseDeployConfig } from '../../lib/config';
import { ChatSeverityNotSupportedError, buildRuntimeConfig } from '../../lib/stack';
import { RuntimeConfigSchema } from '../../lambda/config/runtime';
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

  it('fits a copy of the shipped default policy with ten tenants', async () => {
    const policyFile = fileURLToPath(new URL('../../lambda/policy/default-policy.yaml', import.meta.url));
    const tenants = Array.from(
      { length: 10 },
      (_, i) => `  - { name: tenant-${i}, url: "https://tenant-${i}.eu.qlikcloud.com", secretId: qlik-access-guard/tenants/tenant-${i} }`,
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
    expect(bytes).toBeGreaterThan(2000);
    expect(bytes).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_LIMIT_BYTES);
  });

  it('fails synth with a clear message when the policy makes it too large', () => {
    const exceptions = Array.from({ length: 40 }, (_, i) => ({
      rule: 'api-key-owner-inactive',
      subject: { type: 'apiKey', id: `key-${i}-${'x'.repeat(40)}` },
      reason: 'Vendor integration, migrated by the vendor',
      owner: 'platform-team@example.com',
    }));
    const create = () =>
      new CheckerFunction(new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S'), 'C', { runtimeConfig: runtime({ name: 'big', exceptions }), entry: HANDLER_STUB });
    expect(create).toThrow(EnvironmentTooLargeError);
    expect(create).toThrow(/over Lambda's limit of 4096 bytes for all variables together; QAG_CONFIG is the largest/);
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
  const resources = { reportBucket: 'b-1', emailTopicArn: 'arn:e', chatTopicArn: 'arn:c', reportLinkBase: 'https://x/' };

  it('passes a Slack minimum severity to the checker only when the checker supports it', () => {
    const config = deploy(', minSeverity: high');
    if ('chatMinSeverity' in RuntimeConfigSchema.shape) {
      expect(buildRuntimeConfig(config, undefined, resources)).toMatchObject({ chatMinSeverity: 'high' });
    } else {
      expect(() => buildRuntimeConfig(config, undefined, resources)).toThrow(ChatSeverityNotSupportedError);
    }
  });

  it('needs no chat severity setting without a Slack minimum', () => {
    const built = buildRuntimeConfig(deploy(''), undefined, resources);
    expect(built).toMatchObject({ chatTopicArn: 'arn:c', reportBucket: 'b-1' });
    expect(built).not.toHaveProperty('policy');
    expect(built).not.toHaveProperty('chatMinSeverity');
  });
});
