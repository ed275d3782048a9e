import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SEVERITIES, SEVERITY_RANK, type Severity } from '../../lambda/report/model';
import { createTerminalQueue } from './terminal-queue';

export interface EmailAlertRecipient {
  readonly address: string;

  /**
   * Only messages whose `severity` attribute is at or above this reach the address.
   *
   * @default - every message
   */
  readonly minSeverity?: Severity;

  /**
   * Let health alerts (`eventType` = `health`: a tenant could not be checked) and CloudWatch alarm notifications
   * (which carry no `eventType`) through regardless of `minSeverity`. A checker that cannot check must never look like
   * a quiet, compliant tenant, so this is on unless a recipient explicitly opts out.
   *
   * @default true
   */
  readonly includeHealth?: boolean;
}

export interface SlackAlertChannel {
  readonly workspaceId: string;
  readonly channelId: string;

  /**
   * What Chatbot writes to its CloudWatch log group (`/aws/chatbot/<configuration name>` in us-east-1).
   *
   * @default chatbot.LoggingLevel.ERROR
   */
  readonly loggingLevel?: chatbot.LoggingLevel;
}

export interface AlertingProps {
  /**
   * Email recipients of the email topic.
   *
   * @default - no email subscriptions
   */
  readonly emailRecipients?: readonly EmailAlertRecipient[];

  /**
   * A Slack channel (through AWS Chatbot) subscribed to the chat topic.
   *
   * @default - no chat channel; the chat topic is still created so the function's config does not change shape
   */
  readonly slack?: SlackAlertChannel;

  /**
   * Name of the Chatbot channel configuration.
   *
   * @default '<stack name>-alerts'
   */
  readonly slackConfigurationName?: string;
}

/**
 * Where alerts go: an email topic (digests, health alerts and CloudWatch alarms) and a chat topic (Chatbot custom
 * notification JSON), both encrypted with a customer-managed key that CloudWatch alarms may use, and TLS only.
 *
 * Email subscriptions filter on the `severity` message attribute; emails that cannot be delivered land in an
 * encrypted dead-letter queue instead of disappearing.
 */
export class Alerting extends Construct {
  readonly key: kms.Key;
  readonly emailTopic: sns.Topic;
  readonly chatTopic: sns.Topic;
  /** Email notifications SNS could not deliver. */
  readonly undeliveredQueue: sqs.Queue;
  readonly slackChannel?: chatbot.SlackChannelConfiguration;
  /** The explicit deny-all guardrail of the Slack channel, present with {@link slackChannel}. */
  readonly chatGuardrail?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: AlertingProps = {}) {
    super(scope, id);

    this.key = new kms.Key(this, 'Key', {
      description: 'qlik-access-guard alert topics',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Alarm notifications are published by CloudWatch itself; without this, an encrypted topic drops them silently.
    // Only for alarms of this account and region: the service principal alone would serve any account's alarms
    // (confused deputy).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
        },
      }),
    );

    this.emailTopic = new sns.Topic(this, 'EmailTopic', {
      displayName: 'qlik-access-guard',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.emailTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.emailTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.chatTopic = new sns.Topic(this, 'ChatTopic', {
      displayName: 'qlik-access-guard chat',
      masterKey: this.key,
      enforceSSL: true,
    });

    this.undeliveredQueue = createTerminalQueue(this, 'UndeliveredEmails', 'alert emails SNS could not deliver');

    for (const [index, recipient] of (props.emailRecipients ?? []).entries()) this.addEmailRecipient(recipient, index);

    if (props.slack) {
      this.chatGuardrail = new iam.ManagedPolicy(this, 'ChatGuardrail', {
        description:
          'qlik-access-guard Slack channel: notifications only. Denies every action to the channel role and to ' +
          'anyone running commands from the channel.',
        statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['*'], resources: ['*'] })],
      });
      this.slackChannel = new chatbot.SlackChannelConfiguration(this, 'SlackChannel', {
        slackChannelConfigurationName: props.slackConfigurationName ?? `${Stack.of(this).stackName}-alerts`,
        slackWorkspaceId: props.slack.workspaceId,
        slackChannelId: props.slack.channelId,
        notificationTopics: [this.chatTopic],
        loggingLevel: props.slack.loggingLevel ?? chatbot.LoggingLevel.ERROR,
        guardrailPolicies: [this.chatGuardrail],
        userRoleRequired: false,
      });
    }
  }

  /**
   * Lets the grantee publish to both topics: `sns:Publish` on the two topic ARNs, and the two KMS calls SNS makes with
   * the topics' key on the publisher's behalf (only through SNS).
   */
  grantPublishAlerts(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['sns:Publish'],
      resourceArns: [this.emailTopic.topicArn, this.chatTopic.topicArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resourceArns: [this.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sns.${Aws.REGION}.amazonaws.com` } },
    });
    return grant;
  }

  /** Sends the alarm's ALARM and OK transitions to the email topic. */
  notifyOnAlarm(alarm: cloudwatch.Alarm): void {
    const action = new cloudwatchActions.SnsAction(this.emailTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }

  private addEmailRecipient(recipient: EmailAlertRecipient, index: number): void {
    const subscription = new sns.Subscription(this, `Email${index}`, {
      topic: this.emailTopic,
      protocol: sns.SubscriptionProtocol.EMAIL,
      endpoint: recipient.address,
      deadLetterQueue: this.undeliveredQueue,
    });
    const filterPolicy = emailFilterPolicy(recipient);
    if (filterPolicy) (subscription.node.defaultChild as sns.CfnSubscription).filterPolicy = filterPolicy;
  }
}

/** Severities at or above `min`, worst first: min `high` → `["critical", "high"]`. */
export function severitiesAtOrAbove(min: Severity): Severity[] {
  return SEVERITIES.filter((s) => SEVERITY_RANK[s] >= SEVERITY_RANK[min]);
}

/**
 * The SNS filter policy for one email recipient, or undefined when everything should pass.
 *
 * `$or` because the branches are about different attributes: a finding digest passes on its severity, a health
 * alert on its event type, and a CloudWatch alarm notification (no message attributes at all) on the absence of
 * `eventType`.
 */
export function emailFilterPolicy(recipient: EmailAlertRecipient): Record<string, unknown> | undefined {
  if (recipient.minSeverity === undefined || recipient.minSeverity === 'informational') return undefined;
  const bySeverity = { severity: severitiesAtOrAbove(recipient.minSeverity) };
  if (recipient.includeHealth === false) return bySeverity;
  return { $or: [bySeverity, { eventType: ['health'] }, { eventType: [{ exists: false }] }] };
}
