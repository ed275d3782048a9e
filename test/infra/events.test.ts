/**
 * The event path on AWS (lib/constructs/event-intake.ts): the FIFO queue and its consumer, the receiver behind its
 * Function URL, the audit poller on its schedule, exactly what each may do, and the alarms. From the full config
 * (events on, webhook secrets by name and by ARN), plus a config with events off and one with no webhook secrets.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InputError } from '../../lambda/errors';
import { FEATURE_FLAGS } from '../../lib/build-app';
import { DeployConfigError, parseDeployConfig } from '../../lib/config';
import { rateExpression } from '../../lib/constructs/event-intake';
import { eventQueueAgeThreshold } from '../../lib/constructs/monitoring';
import { ReportArchive } from '../../lib/constructs/report-archive';
import {
  asArray,
  FULL_CONFIG,
  flatten,
  idOf,
  resourcesOfType,
  type Statement,
  type Synthesised,
  statementsOfRole,
  synth,
  writeConfig,
} from './support';

const MINIMAL = `
tenants:
  - name: acme
    url: https://acme.eu.qlikcloud.com
    secretId: qlik-access-guard/tenants/acme
    webhookSecretId: qlik-access-guard/webhooks/acme
schedule:
  expression: rate(1 day)
reports:
  retentionDays: 30
alerts:
  email:
    - address: ops@example.com
`;

let s: Synthesised;
const ids = {} as Record<
  'queue' | 'dlq' | 'checker' | 'receiver' | 'receiverRole' | 'poller' | 'pollerRole' | 'bucket' | 'archiveKey',
  string
>;

beforeAll(async () => {
  s = await synth(FULL_CONFIG);
  const { stack } = s;
  Object.assign(ids, {
    queue: idOf(stack.eventQueue!.queue),
    dlq: idOf(stack.eventQueue!.deadLetterQueue),
    checker: idOf(stack.checker.function),
    receiver: idOf(stack.events!.receiver),
    receiverRole: idOf(stack.events!.receiverRole),
    poller: idOf(stack.events!.poller),
    pollerRole: idOf(stack.events!.pollerRole),
    bucket: idOf(stack.archive.bucket),
    archiveKey: idOf(stack.archive.key),
  });
});

const actionsOf = (statement: Statement) => asArray(statement.Action).sort();
const resourcesOf = (statement: Statement) =>
  asArray(statement.Resource as unknown)
    .map(flatten)
    .sort();
/** A role's statements as comparable rows: effect, sorted actions, sorted resources, condition. */
const rowsOf = (roleId: string) =>
  statementsOfRole(s.json, roleId).map((st) => ({
    effect: st.Effect,
    actions: actionsOf(st),
    resources: resourcesOf(st),
    ...(st.Condition ? { condition: flattenDeep(st.Condition) } : {}),
  }));
/** A condition block with every CloudFormation value flattened (see {@link flatten}). */
const flattenDeep = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(flattenDeep);
  if (value && typeof value === 'object' && !['Ref', 'Fn::GetAtt', 'Fn::Join'].some((k) => k in value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, flattenDeep(v)]));
  }
  return flatten(value);
};

describe('event queue', () => {
  it('is FIFO, deduplicates by the id the sender gives per tenant, and delays each message by the debounce', () => {
    expect(s.json.Resources[ids.queue]!.Properties).toEqual({
      FifoQueue: true,
      ContentBasedDeduplication: false,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      DelaySeconds: 30,
      // Six times the checker timeout (300 s): room for Lambda to retry a batch throttled behind a running check.
      VisibilityTimeout: 1800,
      MessageRetentionPeriod: 4 * 24 * 3600,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] }, maxReceiveCount: 4 },
    });
  });

  it('has a FIFO, encrypted dead-letter queue that keeps messages 14 days', () => {
    expect(s.json.Resources[ids.dlq]!.Properties).toEqual({
      FifoQueue: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
  });

  it('is consumed by the checker in batches of 10 with partial batch failures, at most 2 pollers, no window', () => {
    const mappings = resourcesOfType(s.json, 'AWS::Lambda::EventSourceMapping');
    expect(mappings.map(([, m]) => m.Properties)).toEqual([
      {
        EventSourceArn: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
        FunctionName: { Ref: ids.checker },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      },
    ]);
    // One check at a time, scheduled or event: the drift state of a tenant is never written by two checks at once.
    expect(s.json.Resources[ids.checker]!.Properties!.ReservedConcurrentExecutions).toBe(1);
  });

  // sqs:ChangeMessageVisibility also authorizes ChangeMessageVisibilityBatch: the checker shortens a busy tenant's retry.
  it('lets the checker receive, delete and hide messages of this queue only', () => {
    const consume = rowsOf(idOf(s.stack.checker.role)).filter((row) => row.actions.includes('sqs:ReceiveMessage'));
    expect(consume).toEqual([
      {
        effect: 'Allow',
        actions: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
        ],
        resources: [`<${ids.queue}.Arn>`],
      },
    ]);
  });
});

describe('receiver', () => {
  it('is a small Node.js 24 ARM64 function with a short timeout and the configured reserved concurrency', () => {
    expect(s.json.Resources[ids.receiver]!.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 10,
      ReservedConcurrentExecutions: 3,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: idOf(s.stack.events!.functions.receiver.logGroup) } },
    });
  });

  it('is reachable through a Function URL without IAM auth (the Qlik-Signature HMAC is the authentication)', () => {
    const urls = resourcesOfType(s.json, 'AWS::Lambda::Url');
    expect(urls.map(([, u]) => u.Properties)).toEqual([
      { AuthType: 'NONE', InvokeMode: 'BUFFERED', TargetFunctionArn: { 'Fn::GetAtt': [ids.receiver, 'Arn'] } },
    ]);
    // Anyone may invoke it, but only through the URL: no other principal or path gets lambda:InvokeFunction.
    const permissions = resourcesOfType(s.json, 'AWS::Lambda::Permission').map(([, p]) => p.Properties!);
    expect(permissions).toEqual([
      {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionName: { 'Fn::GetAtt': [ids.receiver, 'Arn'] },
        FunctionUrlAuthType: 'NONE',
        Principal: '*',
      },
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [ids.receiver, 'Arn'] },
        InvokedViaFunctionUrl: true,
        Principal: '*',
      },
    ]);
    expect(s.assembly.getStackArtifact(s.stack.artifactId).template.Outputs.WebhookReceiverUrl.Value).toEqual({
      'Fn::GetAtt': [idOf(s.stack.events!.receiverUrl), 'FunctionUrl'],
    });
  });

  it('may send to the event queue and read the webhook secrets, and nothing else', () => {
    expect(rowsOf(ids.receiverRole)).toEqual([
      {
        effect: 'Allow',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`<${idOf(s.stack.events!.functions.receiver.logGroup)}.Arn>`],
      },
      { effect: 'Allow', actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], resources: ['*'] },
      { effect: 'Allow', actions: ['sqs:SendMessage'], resources: [`<${ids.queue}.Arn>`] },
      {
        effect: 'Allow',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [
          'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:qlik-access-guard/webhooks/acme-prod-??????',
          'arn:aws:secretsmanager:eu-west-1:111122223333:secret:qag/globex-webhook-XyZ789',
        ],
      },
      {
        effect: 'Allow',
        actions: ['kms:Decrypt'],
        resources: ['arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
        condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.<AWS::Region>.amazonaws.com' } },
      },
    ]);
  });
});

describe('audit poller', () => {
  it('runs one poll at a time with no async retries', () => {
    expect(s.json.Resources[ids.poller]!.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      ReservedConcurrentExecutions: 1,
      Timeout: 300,
    });
    s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: ids.poller },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 600,
    });
  });

  it('is invoked by its own schedule at the configured rate, without retries, with a dead-letter queue', () => {
    const schedule = s.json.Resources[idOf(s.stack.events!.pollSchedule.schedule)]!.Properties!;
    expect(schedule).toMatchObject({
      ScheduleExpression: 'rate(10 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: { RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 600 } },
    });
    expect(flatten(schedule.Target.Arn)).toBe(`<${ids.poller}.Arn>`);
    expect(flatten(schedule.Target.DeadLetterConfig.Arn)).toBe(
      `<${idOf(s.stack.events!.pollSchedule.deadLetterQueue)}.Arn>`,
    );
  });

  it('reads the tenant credentials, keeps its cursors under events/audit-cursor/ only, and sends to the queue', () => {
    const rows = rowsOf(ids.pollerRole);
    const allows = rows.filter((row) => row.effect === 'Allow');
    expect(allows).toEqual([
      {
        effect: 'Allow',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`<${idOf(s.stack.events!.functions.poller.logGroup)}.Arn>`],
      },
      { effect: 'Allow', actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], resources: ['*'] },
      { effect: 'Allow', actions: ['sqs:SendMessage'], resources: [`<${ids.queue}.Arn>`] },
      {
        effect: 'Allow',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [
          'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:qlik-access-guard/tenants/acme-prod-??????',
          'arn:aws:secretsmanager:eu-west-1:111122223333:secret:qag/globex-AbC123',
        ],
      },
      {
        effect: 'Allow',
        actions: ['kms:Decrypt'],
        resources: ['arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
        condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.<AWS::Region>.amazonaws.com' } },
      },
      {
        effect: 'Allow',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [`<${ids.bucket}.Arn>/events/audit-cursor/*`],
      },
      {
        effect: 'Allow',
        actions: ['s3:ListBucket'],
        resources: [`<${ids.bucket}.Arn>`],
        condition: { StringLike: { 's3:prefix': ['events/audit-cursor/*'] } },
      },
      {
        effect: 'Allow',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [`<${ids.archiveKey}.Arn>`],
        condition: { StringEquals: { 'kms:ViaService': 's3.<AWS::Region>.amazonaws.com' } },
      },
    ]);
    const [deny, ...more] = rows.filter((row) => row.effect === 'Deny');
    expect(more).toEqual([]);
    expect(deny!.actions).toEqual(expect.arrayContaining(['s3:DeleteObject', 's3:PutObjectRetention']));
    expect(deny!.resources).toEqual([`<${ids.bucket}.Arn>`, `<${ids.bucket}.Arn>/*`]);
  });

  it("expires the cursors' old versions after the Object Lock retention, as for the drift state", () => {
    const rules = s.json.Resources[ids.bucket]!.Properties!.LifecycleConfiguration.Rules as any[];
    expect(rules).toContainEqual({
      Id: 'expire-old-versions-events-audit-cursor',
      Prefix: 'events/audit-cursor/',
      NoncurrentVersionExpiration: { NoncurrentDays: 401 },
      Status: 'Enabled',
    });
  });
});

describe('runtime config of the three functions', () => {
  it('is the same document for checker, receiver and poller, with the queue URL resolved at deploy time', () => {
    const environments = [ids.checker, ids.receiver, ids.poller].map(
      (id) => s.json.Resources[id]!.Properties!.Environment.Variables.QAG_CONFIG,
    );
    expect(environments[1]).toEqual(environments[0]);
    expect(environments[2]).toEqual(environments[0]);
    const events = JSON.parse(flatten(environments[0])).events;
    expect(events).toEqual({
      queueUrl: `<${ids.queue}>`,
      debounceSeconds: 30,
      auditPollMinutes: 10,
      cursorPrefix: 'events/audit-cursor/',
    });
    const { receiver, poller } = s.stack.events!.functions;
    expect(receiver.staticConfig).toEqual(s.stack.checker.staticConfig);
    expect(poller.staticConfigFile).toBe(s.stack.checker.staticConfigFile);
  });
});

describe('event path alarms', () => {
  const alarmNamed = (suffix: string) => {
    const found = resourcesOfType(s.json, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties!)
      .filter((a) => a.AlarmName === `QagInfraTest-${suffix}`);
    expect(found, suffix).toHaveLength(1);
    return found[0]!;
  };

  it('fires on the configured number of signature failures in five minutes', () => {
    expect(alarmNamed('webhook-signature-failures')).toMatchObject({
      Namespace: 'QlikAccessGuard',
      MetricName: 'WebhookSignatureFailures',
      Dimensions: [{ Name: 'service', Value: 'qlik-access-guard' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 25,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('fires when the oldest event waited past its debounce, one check and three more windows', () => {
    const age = alarmNamed('event-queue-age');
    expect(age).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Threshold: 30 + 300 + 3 * 60,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(flatten(age.Dimensions[0].Value)).toBe(`<${ids.queue}.QueueName>`);
  });

  it('fires on the first message in the event dead-letter queue', () => {
    const dlq = alarmNamed('dead-letters-events');
    expect(dlq).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0 });
    expect(flatten(dlq.Dimensions[0].Value)).toBe(`<${ids.dlq}.QueueName>`);
    expect(alarmNamed('dead-letters-audit-polls-undelivered')).toMatchObject({ Threshold: 0 });
  });

  it('fires on receiver errors and throttles, and on three failed polls in a row', () => {
    for (const [suffix, metric] of [
      ['receiver-errors', 'Errors'],
      ['receiver-throttles', 'Throttles'],
    ] as const) {
      const alarm = alarmNamed(suffix);
      expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: metric, Threshold: 1, Period: 300 });
      expect(flatten(alarm.Dimensions[0].Value)).toBe(`<${ids.receiver}>`);
    }
    // Failed polls: the poller's errors plus the tenants whose poll failed (the function then still succeeds).
    const polls = alarmNamed('audit-poll-errors');
    expect(polls).toMatchObject({ EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: 1 });
    const byId = Object.fromEntries((polls.Metrics as any[]).map((m) => [m.Id, m]));
    const expressions = (polls.Metrics as any[]).filter((m) => m.Expression).map((m) => m.Expression);
    expect(expressions).toEqual(['FILL(errors, 0) + FILL(tenantFailures, 0)']);
    expect(byId.errors.MetricStat).toMatchObject({
      Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors' },
      Period: 600,
    });
    expect(flatten(byId.errors.MetricStat.Metric.Dimensions[0].Value)).toBe(`<${ids.poller}>`);
    expect(byId.tenantFailures.MetricStat).toMatchObject({
      Metric: {
        Namespace: 'QlikAccessGuard',
        MetricName: 'AuditPollFailures',
        Dimensions: [{ Name: 'service', Value: 'qlik-access-guard' }],
      },
      Period: 600,
      Stat: 'Sum',
    });
  });

  it('notify through the email topic like every other alarm', () => {
    const emailTopic = idOf(s.stack.alerting.emailTopic);
    for (const suffix of ['webhook-signature-failures', 'event-queue-age', 'receiver-errors', 'audit-poll-errors']) {
      expect(alarmNamed(suffix).AlarmActions).toEqual([{ Ref: emailTopic }]);
      expect(alarmNamed(suffix).OKActions).toEqual([{ Ref: emailTopic }]);
    }
  });
});

describe('events off (the default)', () => {
  let off: Synthesised;
  beforeAll(async () => {
    off = await synth(writeConfig(MINIMAL));
  });

  it('creates no event resources, output or alarms', () => {
    expect(off.config.events.enabled).toBe(false);
    expect(off.stack.events).toBeUndefined();
    expect(off.stack.eventQueue).toBeUndefined();
    for (const type of ['AWS::Lambda::EventSourceMapping', 'AWS::Lambda::Url', 'AWS::Lambda::Permission']) {
      expect(resourcesOfType(off.json, type), type).toEqual([]);
    }
    expect(resourcesOfType(off.json, 'AWS::Lambda::Function')).toHaveLength(1);
    expect(resourcesOfType(off.json, 'AWS::Scheduler::Schedule')).toHaveLength(1);
    expect(resourcesOfType(off.json, 'AWS::SQS::Queue').filter(([, q]) => q.Properties?.FifoQueue)).toEqual([]);
    const outputs = off.assembly.getStackArtifact(off.stack.artifactId).template.Outputs;
    expect(Object.keys(outputs)).not.toContain('WebhookReceiverUrl');
    const names = resourcesOfType(off.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!.AlarmName);
    expect(names.filter((n: string) => /webhook|event|receiver|audit-poll/.test(n))).toEqual([]);
  });

  it('keeps the webhook secret out of the runtime config, and the checker its one-throttle alarm', () => {
    expect(off.stack.runtimeConfig.events).toBeUndefined();
    expect(off.stack.runtimeConfig.tenants[0]).not.toHaveProperty('webhookSecretId');
    const throttles = resourcesOfType(off.json, 'AWS::CloudWatch::Alarm').find(
      ([, a]) => a.Properties!.MetricName === 'Throttles',
    )!;
    expect(throttles[1].Properties!.EvaluationPeriods).toBe(1);
  });
});

describe('events on, without webhook secrets (audit poll only)', () => {
  it('gives the receiver no secret at all, and polls every minute with no delay', async () => {
    const only = await synth(
      writeConfig(
        `${MINIMAL.replace('    webhookSecretId: qlik-access-guard/webhooks/acme\n', '')}` +
          'events: { enabled: true, debounceSeconds: 0, auditPollMinutes: 1 }\n',
      ),
    );
    const rows = statementsOfRole(only.json, idOf(only.stack.events!.receiverRole)).flatMap((st) => actionsOf(st));
    expect(rows.filter((a) => a.startsWith('secretsmanager:') || a.startsWith('kms:'))).toEqual([]);
    expect(only.json.Resources[idOf(only.stack.eventQueue!.queue)]!.Properties!.DelaySeconds).toBe(0);
    expect(only.json.Resources[idOf(only.stack.events!.pollSchedule.schedule)]!.Properties!.ScheduleExpression).toBe(
      'rate(1 minute)',
    );
    expect(only.json.Resources[idOf(only.stack.events!.poller)]!.Properties!.Timeout).toBe(60);
  });
});

describe('events deploy config', () => {
  function problemsOf(yaml: string): InputError[] {
    try {
      parseDeployConfig(yaml, '/configs/prod.yaml');
    } catch (error) {
      expect(error).toBeInstanceOf(DeployConfigError);
      return [...(error as DeployConfigError).problems];
    }
    throw new Error('expected the config to be rejected');
  }

  it('is off by default, with documented defaults', () => {
    expect(parseDeployConfig(MINIMAL, 'min.yaml').events).toEqual({
      enabled: false,
      debounceSeconds: 20,
      auditPollMinutes: 5,
      receiverConcurrency: 5,
      maxReceiveCount: 5,
      signatureFailureAlarmThreshold: 10,
    });
  });

  it('refuses a webhook secret that is the Qlik credential secret, naming the field', () => {
    const [problem, ...rest] = problemsOf(
      MINIMAL.replace(
        'webhookSecretId: qlik-access-guard/webhooks/acme',
        'webhookSecretId: qlik-access-guard/tenants/acme',
      ),
    );
    expect(rest).toEqual([]);
    expect(problem!.message).toBe(
      '/configs/prod.yaml at tenants[0].webhookSecretId: a secret other than secretId: the webhook receiver may read ' +
        'the webhook secret, never the Qlik credential',
    );
  });

  it('refuses a malformed webhook secret id', () => {
    const [problem] = problemsOf(MINIMAL.replace('qlik-access-guard/webhooks/acme', '"bad secret"'));
    expect(problem).toMatchObject({ path: 'tenants[0].webhookSecretId' });
    expect(problem!.message).toMatch(/a Secrets Manager secret name .* or a secret ARN/);
  });

  it.each([
    ['debounceSeconds: 901', 'events.debounceSeconds'],
    ['auditPollMinutes: 0', 'events.auditPollMinutes'],
    ['receiverConcurrency: 0', 'events.receiverConcurrency'],
    ['queueUrl: "https://sqs"', 'events.queueUrl'],
  ])('names the field of a bad value: %s', (line, path) => {
    const problems = problemsOf(`${MINIMAL}events:\n  enabled: true\n  ${line}\n`);
    expect(problems.map((p) => p.path)).toEqual([path]);
  });
});

describe('event path helpers', () => {
  it('writes Scheduler rates in singular and plural', () => {
    expect([rateExpression(1), rateExpression(5)]).toEqual(['rate(1 minute)', 'rate(5 minutes)']);
  });

  it('allows an event its delay, one check and three windows of at least a minute', () => {
    expect(eventQueueAgeThreshold(Duration.seconds(20), Duration.minutes(10)).toSeconds()).toBe(20 + 600 + 180);
    expect(eventQueueAgeThreshold(Duration.seconds(120), Duration.minutes(5)).toSeconds()).toBe(120 + 300 + 360);
  });

  it('refuses to give out mutable records under reports/ or state/', () => {
    const archive = new ReportArchive(new Stack(new App({ context: FEATURE_FLAGS }), 'S'), 'A', { retentionDays: 30 });
    const role = new iam.Role(archive, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    for (const prefix of ['reports/cursors/', 'state/', 'no-slash', '']) {
      expect(() => archive.grantReadWriteRecords(role, prefix), prefix).toThrow(/outside reports\/ and state\//);
    }
  });
});
