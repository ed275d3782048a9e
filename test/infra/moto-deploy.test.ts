/**
 * A deploy smoke test against moto's CloudFormation emulation (moto_server on a free loopback port): the synthesised
 * template (bundling skipped, a stand-in code zip published where `cdk deploy` would put the asset) is created the
 * way `cdk deploy` creates it.
 *
 * Informational about moto as much as about the stack. moto skips resource types it cannot model (alarms, the
 * schedule, Chatbot, subscriptions, resource policies, EventInvokeConfig) and ignores Object Lock, versioning and the
 * public access block on buckets, so the security properties are asserted on the template (stack.test.ts), not here.
 * What this does show: the template is well-formed for a CloudFormation engine, references resolve, and the
 * resources moto does model come up with the wiring the template asks for.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, GetBucketEncryptionCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/net';
import { type CfnTemplate, FULL_CONFIG, idOf, type Synthesised, synth } from './support';

const REGION = 'eu-west-1';
const MOTO_ACCOUNT = '123456789012';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

async function waitUntilServing(endpoint: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`moto_server did not start at ${endpoint}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The template as `cdk deploy` would submit it to an account without the CDK bootstrap version parameter; without the
 * dashboard, whose body reads alarm ARNs (Fn::GetAtt) of alarms moto does not model, and the receiver URL output, a
 * Fn::GetAtt of the Function URL moto does not model either; and with a name for each FIFO queue, which CloudFormation
 * generates ending in `.fifo` but moto does not.
 */
function deployableOnMoto(template: CfnTemplate): Record<string, any> {
  const copy = JSON.parse(JSON.stringify(template)) as Record<string, any>;
  delete copy.Rules;
  delete copy.Parameters;
  for (const [id, resource] of Object.entries<any>(copy.Resources)) {
    if (resource.Type === 'AWS::CloudWatch::Dashboard') delete copy.Resources[id];
    if (resource.Type === 'AWS::SQS::Queue' && resource.Properties?.FifoQueue)
      resource.Properties.QueueName = `${id}.fifo`;
  }
  delete copy.Outputs.DashboardName;
  delete copy.Outputs.WebhookReceiverUrl;
  return copy;
}

describe('deploy to moto', () => {
  let moto: ChildProcess;
  let endpoint: string;
  let s: Synthesised;
  let physicalIds: Record<string, string>;
  let statuses: Record<string, string>;

  beforeAll(async () => {
    endpoint = `http://127.0.0.1:${await freePort()}`;
    moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', new URL(endpoint).port], { stdio: 'ignore' });
    await waitUntilServing(endpoint);
    s = await synth(FULL_CONFIG);
    const template = deployableOnMoto(s.json);

    // What `cdk deploy` publishes before it creates the stack: the function code, in the bootstrap asset bucket.
    const s3 = new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials });
    const assetBucket = `cdk-hnb659fds-assets-${MOTO_ACCOUNT}-${REGION}`;
    await s3.send(
      new CreateBucketCommand({ Bucket: assetBucket, CreateBucketConfiguration: { LocationConstraint: REGION } }),
    );
    const zip = execFileSync('python3', [
      '-c',
      'import io,sys,zipfile\nb=io.BytesIO()\nz=zipfile.ZipFile(b,"w")\nz.writestr("index.mjs","export const handler=async()=>{}")\nz.close()\nsys.stdout.buffer.write(b.getvalue())',
    ]);
    const functions = [s.stack.checker.function, s.stack.events!.receiver, s.stack.events!.poller];
    for (const key of new Set(functions.map((fn) => template.Resources[idOf(fn)].Properties.Code.S3Key as string))) {
      await s3.send(new PutObjectCommand({ Bucket: assetBucket, Key: key, Body: zip }));
    }

    const cloudFormation = new CloudFormationClient({ endpoint, region: REGION, credentials });
    await cloudFormation.send(
      new CreateStackCommand({
        StackName: 'QagMoto',
        TemplateBody: JSON.stringify(template),
        Capabilities: ['CAPABILITY_IAM'],
      }),
    );
    const described = await cloudFormation.send(new DescribeStacksCommand({ StackName: 'QagMoto' }));
    statuses = { stack: described.Stacks?.[0]?.StackStatus ?? 'missing' };
    const resources = await cloudFormation.send(new DescribeStackResourcesCommand({ StackName: 'QagMoto' }));
    physicalIds = {};
    for (const r of resources.StackResources ?? []) {
      if (!r.LogicalResourceId) continue; // moto lists the types it skipped without ids
      physicalIds[r.LogicalResourceId] = r.PhysicalResourceId ?? '';
      statuses[r.LogicalResourceId] = r.ResourceStatus ?? '';
    }
  });

  afterAll(() => {
    moto?.kill();
  });

  it('creates the stack', () => {
    expect(statuses.stack).toBe('CREATE_COMPLETE');
  });

  it('creates the resources moto models, with physical ids', () => {
    const { stack } = s;
    const modelled = [
      stack.archive.bucket,
      stack.archive.accessLogsBucket,
      stack.archive.key,
      stack.alerting.key,
      stack.alerting.emailTopic,
      stack.alerting.chatTopic,
      stack.alerting.undeliveredQueue,
      stack.alerting.chatGuardrail!,
      stack.checker.role,
      stack.checker.logGroup,
      stack.checker.failureQueue,
      stack.checker.function,
      stack.schedule.deadLetterQueue,
      stack.schedule.invokeRole,
      stack.eventQueue!.queue,
      stack.eventQueue!.deadLetterQueue,
      stack.events!.receiver,
      stack.events!.receiverRole,
      stack.events!.poller,
      stack.events!.pollerRole,
      stack.events!.pollSchedule.deadLetterQueue,
    ].map(idOf);
    for (const id of modelled) {
      expect([id, statuses[id]]).toEqual([id, 'CREATE_COMPLETE']);
      expect(physicalIds[id], id).toBeTruthy();
    }
  });

  it('encrypts the report bucket with the archive key it created', async () => {
    const s3 = new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials });
    const bucket = physicalIds[idOf(s.stack.archive.bucket)]!;
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    const rule = encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
    expect(rule?.SSEAlgorithm).toBe('aws:kms');
    expect(rule?.KMSMasterKeyID).toContain(physicalIds[idOf(s.stack.archive.key)]);
  });

  it('creates the event queue as FIFO with the debounce delay and its dead-letter queue as redrive target', async () => {
    const sqs = new SQSClient({ endpoint, region: REGION, credentials });
    const queueUrl = physicalIds[idOf(s.stack.eventQueue!.queue)]!;
    const { Attributes: queue } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
    );
    const dlqUrl = physicalIds[idOf(s.stack.eventQueue!.deadLetterQueue)]!;
    const { Attributes: dlq } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn', 'FifoQueue'] }),
    );
    expect(queue).toMatchObject({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'false',
      DelaySeconds: '30',
      VisibilityTimeout: '1800',
    });
    expect(JSON.parse(queue!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: dlq!.QueueArn, maxReceiveCount: 4 });
    expect(dlq!.FifoQueue).toBe('true');
  });
});
