/**
 * The security-relevant shape of the synthesised stack, from the fullest config (Slack, two tenants, policy file).
 * Synthesised once for the whole file; cdk-nag runs as part of it, so this file also fails on any new finding.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RuntimeConfigSchema } from '../../lambda/config/runtime';
import { loadDeployConfig } from '../../lib/config';
import {
  asArray,
  FULL_CONFIG,
  flatten,
  idOf,
  onlyResourceOfType,
  resourcesOfType,
  type Statement,
  type Synthesised,
  statementsOfRole,
  synth,
} from './support';

let s: Synthesised;
const config = loadDeployConfig(FULL_CONFIG);
const ids = {} as Record<
  | 'bucket'
  | 'logsBucket'
  | 'archiveKey'
  | 'alertKey'
  | 'emailTopic'
  | 'chatTopic'
  | 'fn'
  | 'role'
  | 'logGroup'
  | 'failureQueue'
  | 'scheduleDlq'
  | 'emailDlq'
  | 'invokeRole'
  | 'guardrail',
  string
>;

beforeAll(async () => {
  s = await synth(FULL_CONFIG);
  const { stack } = s;
  Object.assign(ids, {
    bucket: idOf(stack.archive.bucket),
    logsBucket: idOf(stack.archive.accessLogsBucket),
    archiveKey: idOf(stack.archive.key),
    alertKey: idOf(stack.alerting.key),
    emailTopic: idOf(stack.alerting.emailTopic),
    chatTopic: idOf(stack.alerting.chatTopic),
    fn: idOf(stack.checker.function),
    role: idOf(stack.checker.role),
    logGroup: idOf(stack.checker.logGroup),
    failureQueue: idOf(stack.checker.failureQueue),
    scheduleDlq: idOf(stack.schedule.deadLetterQueue),
    emailDlq: idOf(stack.alerting.undeliveredQueue),
    invokeRole: idOf(stack.schedule.invokeRole),
    guardrail: idOf(stack.alerting.chatGuardrail!),
  });
});

const actionsOf = (statement: Statement) => asArray(statement.Action);
const resourcesOf = (statement: Statement) =>
  asArray(statement.Resource as unknown)
    .map(flatten)
    .sort();

describe('checker function', () => {
  it('runs Node.js 24 on ARM64 with the configured memory and timeout, active tracing, and one run at a time', () => {
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 300,
      Handler: 'index.handler',
      ReservedConcurrentExecutions: 1,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: ids.logGroup }, ApplicationLogLevel: 'DEBUG' },
    });
  });

  it('has no async retries, and sends failed invocations to its encrypted, TLS-only failure queue', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: ids.fn },
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [ids.failureQueue, 'Arn'] } } },
    });
    expect(s.json.Resources[ids.failureQueue]!.Properties).toMatchObject({ SqsManagedSseEnabled: true });
  });

  it('logs to its own log group with the configured retention (not the logRetention custom resource)', () => {
    expect(s.json.Resources[ids.logGroup]!.Properties).toMatchObject({ RetentionInDays: 180 });
    expect(resourcesOfType(s.json, 'Custom::LogRetention')).toHaveLength(0);
    // The only functions are the checker and, with events on, the receiver and the poller (built the same way).
    expect(
      resourcesOfType(s.json, 'AWS::Lambda::Function')
        .map(([id]) => id)
        .sort(),
    ).toEqual([ids.fn, idOf(s.stack.events!.receiver), idOf(s.stack.events!.poller)].sort());
  });

  it('gets source maps and the Powertools settings through its environment', () => {
    const env = s.json.Resources[ids.fn]!.Properties!.Environment.Variables;
    expect(env).toMatchObject({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'qlik-access-guard',
      POWERTOOLS_METRICS_NAMESPACE: 'QlikAccessGuard',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
  });

  it('receives only the deployed resources in QAG_CONFIG; tenants, policy and settings go into the code asset', () => {
    const raw = flatten(s.json.Resources[ids.fn]!.Properties!.Environment.Variables.QAG_CONFIG);
    const fromEnvironment = JSON.parse(raw) as Record<string, unknown>;
    expect(Object.keys(fromEnvironment).sort()).toEqual([
      'chatTopicArn',
      'emailTopicArn',
      'events',
      'reportBucket',
      'reportLinkBase',
    ]);
    expect(raw).not.toContain(config.tenants[0]!.url);
    const fromFile = s.stack.checker.staticConfig;
    expect(Object.keys(fromFile).sort()).toEqual([
      'policy',
      'schedule',
      'tenantConcurrency',
      'tenantDeadlineSeconds',
      'tenants',
    ]);
    const runtime = RuntimeConfigSchema.parse({ ...fromFile, ...fromEnvironment });
    expect(runtime.tenants).toEqual(
      config.tenants.map(({ name, url, secretId, allowedHosts, remediation, webhookSecretId }) => ({
        name,
        url,
        secretId,
        allowedHosts,
        remediation,
        webhookSecretId,
      })),
    );
    expect(runtime.policy).toEqual({
      name: 'infra test policy',
      rules: { 'api-key-expiring': { severity: 'medium', windowDays: 30 } },
      exceptions: [],
    });
    expect(runtime.reportBucket).toBe(`<${ids.bucket}>`);
    expect(runtime.emailTopicArn).toBe(`<${ids.emailTopic}>`);
    expect(runtime.chatTopicArn).toBe(`<${ids.chatTopic}>`);
    expect(runtime.tenantConcurrency).toBe(3);
    expect(runtime.tenantDeadlineSeconds).toBe(120);
    expect(runtime.schedule).toEqual({ expression: config.schedule.expression, timeZone: config.schedule.timeZone });
    expect(runtime.reportLinkBase).toBe(
      `https://console.aws.amazon.com/s3/buckets/<${ids.bucket}>?region=<AWS::Region>&prefix=`,
    );
  });

  it('names the policy it enforces in its description', () => {
    expect(s.json.Resources[ids.fn]!.Properties!.Description).toMatch(
      /^qlik-access-guard checker \(policy infra test policy sha256:[0-9a-f]{12}\)$/,
    );
  });
});

describe('checker role: exactly these permissions', () => {
  let statements: Statement[];
  let allows: Statement[];
  beforeAll(() => {
    statements = statementsOfRole(s.json, ids.role);
    allows = statements.filter((st) => st.Effect === 'Allow');
  });

  it('is assumed by Lambda only and has no managed policies', () => {
    const role = s.json.Resources[ids.role]!.Properties!;
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
  });

  it('allows exactly this set of actions, none with a wildcard', () => {
    const actions = new Set(allows.flatMap(actionsOf));
    expect([...actions].sort()).toEqual(
      [
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        'secretsmanager:GetSecretValue',
        'sns:Publish',
        // The failure destination (send) and the event queue (consume).
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
        'sqs:SendMessage',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    expect([...actions].filter((a) => a.includes('*'))).toEqual([]);
  });

  it('may not delete, change retention or legal hold, or reconfigure the bucket', () => {
    const allowed = allows.flatMap(actionsOf);
    expect(
      allowed.filter((a) =>
        /^s3:(Delete|PutObjectRetention|PutObjectLegalHold|Bypass|PutBucket|PutLifecycle|PutEncryption)/.test(a),
      ),
    ).toEqual([]);
    const deny = statements.find((st) => st.Effect === 'Deny');
    expect(deny).toBeDefined();
    expect(actionsOf(deny!)).toEqual(
      expect.arrayContaining([
        's3:DeleteObject',
        's3:DeleteObjectVersion',
        's3:PutObjectRetention',
        's3:PutObjectLegalHold',
        's3:BypassGovernanceRetention',
        's3:PutBucketObjectLockConfiguration',
        's3:PutLifecycleConfiguration',
        's3:PutBucketPolicy',
      ]),
    );
    expect(resourcesOf(deny!)).toEqual([`<${ids.bucket}.Arn>`, `<${ids.bucket}.Arn>/*`]);
  });

  it('reads and writes objects only under reports/ and state/, and lists only the archive bucket', () => {
    const objectAccess = allows.filter((st) => actionsOf(st).some((a) => a === 's3:PutObject' || a === 's3:GetObject'));
    expect(objectAccess).toHaveLength(1);
    expect(actionsOf(objectAccess[0]!).sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(resourcesOf(objectAccess[0]!)).toEqual([`<${ids.bucket}.Arn>/reports/*`, `<${ids.bucket}.Arn>/state/*`]);
    const list = allows.filter((st) => actionsOf(st).includes('s3:ListBucket'));
    expect(list.map(resourcesOf)).toEqual([[`<${ids.bucket}.Arn>`]]);
  });

  it('reads only the configured tenant secrets: a partial ARN for a name, the ARN as given, no wildcard', () => {
    const secrets = allows.filter((st) => actionsOf(st).some((a) => a.startsWith('secretsmanager:')));
    expect(secrets).toHaveLength(1);
    expect(actionsOf(secrets[0]!)).toEqual(['secretsmanager:GetSecretValue']);
    expect(resourcesOf(secrets[0]!)).toEqual(
      [
        'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:qlik-access-guard/tenants/acme-prod-??????',
        'arn:aws:secretsmanager:eu-west-1:111122223333:secret:qag/globex-AbC123',
      ].sort(),
    );
  });

  it('uses each KMS key only through the service that needs it', () => {
    const kms = allows.filter((st) => actionsOf(st).some((a) => a.startsWith('kms:')));
    const byKey = Object.fromEntries(
      kms.map((st) => [
        resourcesOf(st).join(','),
        { actions: actionsOf(st).sort(), via: flatten(st.Condition?.StringEquals?.['kms:ViaService']) },
      ]),
    );
    expect(byKey).toEqual({
      [`<${ids.archiveKey}.Arn>`]: {
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        via: 's3.<AWS::Region>.amazonaws.com',
      },
      [`<${ids.alertKey}.Arn>`]: {
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        via: 'sns.<AWS::Region>.amazonaws.com',
      },
      'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab': {
        actions: ['kms:Decrypt'],
        via: 'secretsmanager.<AWS::Region>.amazonaws.com',
      },
    });
  });

  it('publishes to the two alert topics only, writes its own log group only, and uses "*" only for X-Ray', () => {
    const publish = allows.filter((st) => actionsOf(st).includes('sns:Publish'));
    expect(publish.flatMap(resourcesOf).sort()).toEqual([`<${ids.chatTopic}>`, `<${ids.emailTopic}>`].sort());
    const logsStatement = allows.filter((st) => actionsOf(st).some((a) => a.startsWith('logs:')));
    expect(logsStatement.flatMap(resourcesOf)).toEqual([`<${ids.logGroup}.Arn>`]);
    const star = allows.filter((st) => resourcesOf(st).includes('*'));
    expect(star.flatMap(actionsOf).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });
});

describe('report archive', () => {
  it('locks every object version in COMPLIANCE mode for the configured days, with versioning', () => {
    expect(s.json.Resources[ids.bucket]!.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('encrypts with its own rotating KMS key and blocks all public access', () => {
    expect(s.json.Resources[ids.bucket]!.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [ids.archiveKey, 'Arn'] },
            },
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    expect(s.json.Resources[ids.archiveKey]!.Properties).toMatchObject({ EnableKeyRotation: true });
  });

  it('logs server access to a separate SSE-S3, non-public bucket', () => {
    expect(s.json.Resources[ids.bucket]!.Properties!.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: ids.logsBucket },
      LogFilePrefix: 'reports-bucket/',
    });
    expect(s.json.Resources[ids.logsBucket]!.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it('moves reports to STANDARD_IA after the configured days', () => {
    const rules = s.json.Resources[ids.bucket]!.Properties!.LifecycleConfiguration.Rules as any[];
    expect(rules).toContainEqual(
      expect.objectContaining({
        Prefix: 'reports/',
        Status: 'Enabled',
        Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 60 }],
      }),
    );
    // Nothing expires a current report version.
    expect(rules.filter((r) => r.ExpirationInDays !== undefined)).toEqual([]);
  });

  it('denies any request without TLS on both buckets', () => {
    for (const bucket of [ids.bucket, ids.logsBucket]) {
      s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucket },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('refuses, from any principal, every write under reports/ that is not a create-if-absent (If-None-Match: *)', () => {
    const [, policy] = resourcesOfType(s.json, 'AWS::S3::BucketPolicy').find(
      ([, resource]) => resource.Properties?.Bucket?.Ref === ids.bucket,
    )!;
    const statements = policy.Properties!.PolicyDocument.Statement as Statement[];
    const writeOnce = statements.filter((st) => st.Effect === 'Deny' && actionsOf(st).includes('s3:PutObject'));
    expect(
      writeOnce.map((st) => ({
        sid: st.Sid,
        principal: st.Principal,
        actions: actionsOf(st),
        resources: resourcesOf(st),
        condition: st.Condition,
      })),
    ).toEqual([
      {
        sid: 'ReportsAreWrittenOnlyIfAbsent',
        principal: { AWS: '*' },
        actions: ['s3:PutObject'],
        resources: [`<${ids.bucket}.Arn>/reports/*`],
        condition: { Null: { 's3:if-none-match': 'true' } },
      },
      {
        sid: 'ReportsIfNoneMatchIsAStar',
        principal: { AWS: '*' },
        actions: ['s3:PutObject'],
        resources: [`<${ids.bucket}.Arn>/reports/*`],
        condition: { StringNotEquals: { 's3:if-none-match': '*' } },
      },
    ]);
    // The drift state is replaced every run, so state/ stays writable without the condition.
    expect(statements.flatMap(resourcesOf).filter((r) => r.includes('/state/'))).toEqual([]);
  });

  it('keeps buckets and keys when the stack is deleted or they are replaced', () => {
    for (const id of [ids.bucket, ids.logsBucket, ids.archiveKey, ids.alertKey, ids.logGroup]) {
      expect([id, s.json.Resources[id]!.DeletionPolicy, s.json.Resources[id]!.UpdateReplacePolicy]).toEqual([
        id,
        'Retain',
        'Retain',
      ]);
    }
  });
});

describe('schedule', () => {
  it('uses the configured expression and time zone, with no flexible window', () => {
    expect(s.json.Resources[idOf(s.stack.schedule.schedule)]!.Properties).toMatchObject({
      ScheduleExpression: 'cron(30 5 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
    });
  });

  it('invokes the checker with the scheduled time as run id, with retries and a dead-letter queue', () => {
    const schedule = s.json.Resources[idOf(s.stack.schedule.schedule)]!;
    const target = schedule.Properties!.Target;
    expect(flatten(target.Arn)).toBe(`<${ids.fn}.Arn>`);
    expect(JSON.parse(target.Input)).toEqual({
      runId: '<aws.scheduler.scheduled-time>',
      scheduledTime: '<aws.scheduler.scheduled-time>',
    });
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 45 * 60 });
    expect(flatten(target.DeadLetterConfig.Arn)).toBe(`<${ids.scheduleDlq}.Arn>`);
    expect(flatten(target.RoleArn)).toBe(`<${ids.invokeRole}.Arn>`);
    expect(s.json.Resources[ids.scheduleDlq]!.Properties).toMatchObject({ SqsManagedSseEnabled: true });
  });

  it("lets the Scheduler's role invoke the checker and feed its dead-letter queue, nothing else", () => {
    const statements = statementsOfRole(s.json, ids.invokeRole);
    expect(statements.map((st) => [st.Effect, actionsOf(st), resourcesOf(st)])).toEqual([
      ['Allow', ['lambda:InvokeFunction'], [`<${ids.fn}.Arn>`, `<${ids.fn}.Arn>:*`]],
      ['Allow', ['sqs:SendMessage'], [`<${ids.scheduleDlq}.Arn>`]],
    ]);
  });
});

describe('queues', () => {
  it('are all encrypted and deny requests without TLS', () => {
    const queues = resourcesOfType(s.json, 'AWS::SQS::Queue');
    const eventQueue = idOf(s.stack.eventQueue!.queue);
    const deadLetters = [
      ids.failureQueue,
      ids.scheduleDlq,
      ids.emailDlq,
      idOf(s.stack.eventQueue!.deadLetterQueue),
      idOf(s.stack.events!.pollSchedule.deadLetterQueue),
    ];
    expect(queues.map(([id]) => id).sort()).toEqual([...deadLetters, eventQueue].sort());
    for (const [id, queue] of queues) {
      expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true });
      // Dead letters are kept two weeks for inspection; events only until the scheduled run has surely covered them.
      expect(queue.Properties!.MessageRetentionPeriod).toBe(id === eventQueue ? 4 * 24 * 3600 : 14 * 24 * 3600);
      s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });
});

describe('alerting', () => {
  it('encrypts both topics with its own rotating key and denies publishing without TLS', () => {
    for (const topic of [ids.emailTopic, ids.chatTopic]) {
      expect(s.json.Resources[topic]!.Properties!.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [ids.alertKey, 'Arn'] });
      s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topic }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
    expect(s.json.Resources[ids.alertKey]!.Properties).toMatchObject({ EnableKeyRotation: true });
  });

  it('lets CloudWatch alarms use the topic key and publish to the email topic', () => {
    const keyStatements = s.json.Resources[ids.alertKey]!.Properties!.KeyPolicy.Statement as Statement[];
    expect(keyStatements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':cloudwatch:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':alarm:*',
                ],
              ],
            },
          },
        },
      }),
    );
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: ids.emailTopic }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
          }),
        ]),
      },
    });
  });

  it('subscribes each email address with a severity filter that lets health alerts and alarms through', () => {
    const subscriptions: Record<string, Record<string, any>> = Object.fromEntries(
      resourcesOfType(s.json, 'AWS::SNS::Subscription').map(([, sub]) => [sub.Properties!.Endpoint, sub.Properties!]),
    );
    expect(Object.keys(subscriptions).sort()).toEqual([
      'audit@example.com',
      'platform@example.com',
      'security@example.com',
    ]);
    for (const sub of Object.values(subscriptions)) {
      expect(sub).toMatchObject({ Protocol: 'email', TopicArn: { Ref: ids.emailTopic } });
      expect(flatten(sub.RedrivePolicy.deadLetterTargetArn)).toBe(`<${ids.emailDlq}.Arn>`);
    }
    expect(subscriptions['platform@example.com']!.FilterPolicy).toEqual({
      $or: [{ severity: ['critical', 'high'] }, { eventType: ['health'] }, { eventType: [{ exists: false }] }],
    });
    expect(subscriptions['audit@example.com']!.FilterPolicy).toBeUndefined();
    expect(subscriptions['security@example.com']!.FilterPolicy).toEqual({ severity: ['critical'] });
  });

  it('connects Slack to the chat topic with a deny-all guardrail, no user roles, and logging', () => {
    s.template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T0123ABCDE',
      SlackChannelId: 'C0123ABCDE',
      SnsTopicArns: [{ Ref: ids.chatTopic }],
      GuardrailPolicies: [{ Ref: ids.guardrail }],
      UserRoleRequired: false,
      LoggingLevel: 'INFO',
    });
    expect(s.json.Resources[ids.guardrail]!.Properties!.PolicyDocument.Statement).toEqual([
      { Effect: 'Deny', Action: '*', Resource: '*' },
    ]);
    const [, channel] = onlyResourceOfType(s.json, 'AWS::Chatbot::SlackChannelConfiguration');
    const channelRole = (channel.Properties!.IamRoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(s.json.Resources[channelRole]!.Properties!.ManagedPolicyArns).toBeUndefined();
    expect(statementsOfRole(s.json, channelRole)).toEqual([]);
  });
});

describe('monitoring', () => {
  const alarms = () => resourcesOfType(s.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
  const alarm = (metricName: string, dims: Record<string, string> = {}) => {
    const found = alarms().filter(
      (a) =>
        a.MetricName === metricName &&
        Object.entries(dims).every(([k, v]) =>
          (a.Dimensions ?? []).some((d: any) => d.Name === k && flatten(d.Value) === v),
        ),
    );
    expect(found, `${metricName} ${JSON.stringify(dims)}`).toHaveLength(1);
    return found[0]!;
  };

  it('alarms on the first function error, and on throttling that outlasts a run (events share the one slot)', () => {
    for (const metric of ['Errors', 'Throttles']) {
      expect(alarm(metric, { FunctionName: `<${ids.fn}>` })).toMatchObject({
        Namespace: 'AWS/Lambda',
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
    expect(alarm('Errors', { FunctionName: `<${ids.fn}>` }).EvaluationPeriods).toBe(1);
    // A 300 s timeout: throttled in every 5-minute period for 10 minutes, longer than any one run.
    const throttles = alarm('Throttles', { FunctionName: `<${ids.fn}>` });
    expect([throttles.Period, throttles.EvaluationPeriods, throttles.DatapointsToAlarm]).toEqual([300, 2, 2]);
  });

  it('alarms when p99 duration reaches 80% of the timeout', () => {
    expect(alarm('Duration', { FunctionName: `<${ids.fn}>` })).toMatchObject({
      ExtendedStatistic: 'p99',
      Threshold: 0.8 * 300 * 1000,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('has a heartbeat on RunsCompleted that treats missing data as breaching and covers the longest gap', () => {
    const heartbeat = alarm('RunsCompleted');
    expect(heartbeat).toMatchObject({
      Namespace: 'QlikAccessGuard',
      Dimensions: [{ Name: 'service', Value: 'qlik-access-guard' }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(heartbeat.DatapointsToAlarm).toBe(heartbeat.EvaluationPeriods);
    // Friday 05:30 to Monday 05:30 is the longest gap of a weekday schedule; the window must cover it plus margin.
    const windowSeconds = heartbeat.Period * heartbeat.EvaluationPeriods;
    expect(windowSeconds).toBeGreaterThanOrEqual(72 * 3600 + 300 + 45 * 60);
    expect(windowSeconds).toBeLessThanOrEqual(7 * 24 * 3600);
  });

  it('alarms per tenant on TenantErrors, and on reports that could not be stored', () => {
    for (const tenant of ['acme-prod', 'globex']) {
      expect(alarm('TenantErrors', { service: 'qlik-access-guard', tenant })).toMatchObject({
        Namespace: 'QlikAccessGuard',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
    expect(alarm('ArchiveFailures', { service: 'qlik-access-guard' })).toMatchObject({ Threshold: 1 });
  });

  it('alarms on the first visible message in each dead-letter queue', () => {
    for (const queue of [
      ids.failureQueue,
      ids.scheduleDlq,
      ids.emailDlq,
      idOf(s.stack.eventQueue!.deadLetterQueue),
      idOf(s.stack.events!.pollSchedule.deadLetterQueue),
    ]) {
      expect(alarm('ApproximateNumberOfMessagesVisible', { QueueName: `<${queue}.QueueName>` })).toMatchObject({
        Namespace: 'AWS/SQS',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
  });

  it('sends every alarm and its recovery to the email topic', () => {
    const all = alarms();
    // Function (4), tenants (2), archive (1), dead-letter queues (3 + 2 of the event path), event path (5).
    expect(all.length).toBe(4 + 2 + 1 + 3 + 2 + 5);
    for (const a of all) {
      expect(a.AlarmActions).toEqual([{ Ref: ids.emailTopic }]);
      expect(a.OKActions).toEqual([{ Ref: ids.emailTopic }]);
    }
  });

  it('has a dashboard with per-tenant findings, errors, API requests, 429s and duration', () => {
    const [, dashboard] = onlyResourceOfType(s.json, 'AWS::CloudWatch::Dashboard');
    const body = flatten(dashboard.Properties!.DashboardBody);
    for (const metric of [
      'FailingFindings',
      'NewFindings',
      'ResolvedFindings',
      'TenantErrors',
      'ApiRequests',
      'RateLimited',
      'TenantDurationMs',
    ]) {
      for (const tenant of ['acme-prod', 'globex']) {
        expect(body).toContain(`"QlikAccessGuard","${metric}","service","qlik-access-guard","tenant","${tenant}"`);
      }
    }
  });
});
