/**
 * cdk-nag (AWS Solutions + Serverless packs) as the synth runs it: the stack has no unacknowledged finding, every
 * acknowledgement is about a finding that really occurs and says why, and any new finding fails the synth.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../lib/build-app';
import { EXAMPLE_CONFIG_FILE } from '../../lib/config';
import { FULL_CONFIG, HANDLER_STUB, type Synthesised, synth } from './support';

interface Violation {
  readonly ruleName: string;
  readonly severity: string;
  readonly paths: string[];
}

interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
  readonly path: string;
}

function readViolations(outdir: string): Violation[] {
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: {
      violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
    }[];
  };
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.map((v) => ({
      ruleName: v.ruleName,
      severity: v.severity,
      paths: v.violatingConstructs.map((c) => c.constructPath),
    })),
  );
}

function acknowledgementsIn(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          id: id.replace(/^annotation::/i, ''),
          reason,
          path: construct.node.path,
        })),
      ),
  );
}

async function synthExpectingFailure(configFile: string, addToStack?: (stack: import('aws-cdk-lib').Stack) => void) {
  const { app, stack } = await buildApp({
    configFile,
    handlerEntry: HANDLER_STUB,
    receiverEntry: HANDLER_STUB,
    pollerEntry: HANDLER_STUB,
    appProps: { context: { 'aws:cdk:bundling-stacks': [] } },
  });
  addToStack?.(stack);
  expect(() => app.synth()).toThrow(/validation-report\.json/);
  return readViolations(app.outdir);
}

describe('cdk-nag on the full stack', () => {
  let s: Synthesised;
  let acknowledgements: Acknowledgement[];
  beforeAll(async () => {
    s = await synth(FULL_CONFIG);
    acknowledgements = acknowledgementsIn(s.app);
  });
  afterEach(() => vi.restoreAllMocks());

  it('reports no unacknowledged finding, error or warning', () => {
    expect(readViolations(s.assembly.directory)).toEqual([]);
  });

  it('acknowledges only these findings, each on the construct it is about', () => {
    expect(acknowledgements.map((a) => `${a.id} @ ${a.path}`).sort()).toEqual(
      [
        ...['Checker', 'Events/Receiver', 'Events/Poller'].map(
          (fn) => `AwsSolutions-IAM5[Resource::*] @ QagInfraTest/${fn}/Role`,
        ),
        `AwsSolutions-IAM5[Resource::<ArchiveReports3879B970.Arn>/reports/*] @ QagInfraTest/Checker/Role`,
        `AwsSolutions-IAM5[Resource::<ArchiveReports3879B970.Arn>/state/*] @ QagInfraTest/Checker/Role`,
        `AwsSolutions-IAM5[Resource::<ArchiveReports3879B970.Arn>/events/audit-cursor/*] @ QagInfraTest/Events/Poller/Role`,
        'AwsSolutions-IAM5[Resource::<CheckerFunction288BE78F.Arn>:*] @ QagInfraTest/Schedule/InvokeRole',
        'AwsSolutions-IAM5[Resource::<EventsPollerFunction558A03F5.Arn>:*] @ QagInfraTest/Events/PollSchedule/InvokeRole',
        'Serverless-LambdaDLQ @ QagInfraTest/Checker/Function',
        'Serverless-LambdaEventSourceMappingDestination @ QagInfraTest/Checker/Function',
        'Serverless-LambdaDLQ @ QagInfraTest/Events/Receiver/Function',
        'Serverless-LambdaDLQ @ QagInfraTest/Events/Poller/Function',
        'Serverless-LambdaAsyncFailureDestination @ QagInfraTest/Events/Poller/Function',
        ...[
          'Alerting/UndeliveredEmails',
          'Checker/FailedRuns',
          'Schedule/Undelivered',
          'Events/PollSchedule/Undelivered',
        ].flatMap((queue) => [
          `AwsSolutions-SQS3 @ QagInfraTest/${queue}`,
          `Serverless-SQSRedrivePolicy @ QagInfraTest/${queue}`,
        ]),
        // The event queue's redrive policy names its dead-letter queue, which AwsSolutions-SQS3 sees by itself.
        'Serverless-SQSRedrivePolicy @ QagInfraTest/EventQueue/DeadLetters',
      ].sort(),
    );
  });

  it('gives every acknowledgement a specific reason: what is allowed and why, not a shrug', () => {
    for (const { id, reason } of acknowledgements) {
      expect(reason.length, id).toBeGreaterThanOrEqual(100);
      expect(reason, id).not.toMatch(/^(n\/a|not needed|not required|ok|suppress|false positive)\b/i);
    }
    // The reasons name what they are about.
    const reasonOf = (id: string) => acknowledgements.find((a) => a.id === id)!.reason;
    expect(reasonOf('AwsSolutions-IAM5[Resource::*]')).toMatch(/xray:PutTraceSegments/);
    expect(reasonOf('Serverless-LambdaDLQ')).toMatch(/on-failure destination/);
    expect(reasonOf('AwsSolutions-IAM5[Resource::<ArchiveReports3879B970.Arn>/reports/*]')).toMatch(/reports\//);
    expect(reasonOf('AwsSolutions-IAM5[Resource::<ArchiveReports3879B970.Arn>/events/audit-cursor/*]')).toMatch(
      /events\/audit-cursor\/.*only s3:GetObject and s3:PutObject/,
    );
    expect(reasonOf('Serverless-LambdaEventSourceMappingDestination')).toMatch(/dead-letter queue/);
    const receiverAck = acknowledgements.find(
      (a) => a.id === 'Serverless-LambdaDLQ' && a.path.endsWith('Events/Receiver/Function'),
    );
    expect(receiverAck?.reason).toMatch(/synchronously through its Function URL/);
  });

  it('acknowledges exactly the findings that appear when acknowledgements are switched off', async () => {
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    const violations = await synthExpectingFailure(FULL_CONFIG);
    const found = violations.flatMap((v) => v.paths.map((path) => ({ id: v.ruleName, path })));
    // Each finding is covered by an acknowledgement on its resource or an ancestor construct...
    for (const f of found) {
      expect(
        acknowledgements.some((a) => a.id === f.id && (f.path === a.path || f.path.startsWith(`${a.path}/`))),
        `${f.id} @ ${f.path}`,
      ).toBe(true);
    }
    // ...and each acknowledgement silences at least one real finding.
    for (const a of acknowledgements) {
      expect(
        found.some((f) => f.id === a.id && (f.path === a.path || f.path.startsWith(`${a.path}/`))),
        `${a.id} @ ${a.path}`,
      ).toBe(true);
    }
  });
});

describe('cdk-nag fails the synth', () => {
  it('on the example config it passes (cdk synth works out of the box)', async () => {
    const example = await synth(EXAMPLE_CONFIG_FILE);
    expect(readViolations(example.assembly.directory)).toEqual([]);
  });

  it('when an insecure bucket is added', async () => {
    const violations = await synthExpectingFailure(EXAMPLE_CONFIG_FILE, (stack) => {
      new s3.Bucket(stack, 'Insecure', { removalPolicy: RemovalPolicy.DESTROY });
    });
    const onInsecure = violations.filter((v) => v.paths.includes('QlikAccessGuard/Insecure/Resource'));
    expect(onInsecure.map((v) => v.ruleName).sort()).toEqual(['AwsSolutions-S1', 'AwsSolutions-S10']);
    expect(onInsecure.every((v) => v.severity === 'error')).toBe(true);
    // Nothing else in the stack is reported.
    expect(violations.flatMap((v) => v.paths).every((p) => p.startsWith('QlikAccessGuard/Insecure/'))).toBe(true);
  });

  it('even when the only finding is a warning', async () => {
    const violations = await synthExpectingFailure(EXAMPLE_CONFIG_FILE, (stack) => {
      new logs.LogGroup(stack, 'KeptForever', { retention: logs.RetentionDays.INFINITE });
    });
    expect(violations).toEqual([
      {
        ruleName: 'Serverless-CloudWatchLogGroupRetentionPeriod',
        severity: 'warning',
        paths: ['QlikAccessGuard/KeptForever/Resource'],
      },
    ]);
  });
});
