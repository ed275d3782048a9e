/**
 * Runs the Lambda handler on this machine, against a real AWS account or any AWS-compatible endpoint.
 *
 *   npx tsx scripts/invoke-handler.ts --config runtime-config.json [--scheduled-time 2026-11-26T06:00:00Z]
 *                                     [--endpoint http://127.0.0.1:5000] [--allow-http-loopback]
 *
 * The config is the whole runtime config document (lambda/config/runtime.ts): what the deployed function reads from
 * qag-config.json in its code asset and from `QAG_CONFIG` together. Without --config, `QAG_CONFIG` from the
 * environment is used (alone, unless a lambda/qag-config.json exists). AWS credentials and region come from the usual
 * SDK chain.
 * --scheduled-time sends the event the scheduler sends for that (past) slot, e.g. to run a missed scheduled run; without
 * it the invocation is manual and gets a run id of its own (`manual-<time>`).
 * --endpoint points every client at an emulator (path-style S3); --allow-http-loopback lets the Qlik client reach a
 * simulated tenant on 127.0.0.1 (`npx tsx test/sim/serve.ts`), which the deployed function can never do.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Context } from 'aws-lambda';
import { createAwsClients } from '../lambda/aws/clients';
import { createHandler } from '../lambda/handler';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    'scheduled-time': { type: 'string' },
    endpoint: { type: 'string' },
    'allow-http-loopback': { type: 'boolean', default: false },
    'timeout-seconds': { type: 'string', default: '600' },
  },
});

const config = values.config ? (JSON.parse(await readFile(values.config, 'utf8')) as unknown) : undefined;
const handler = createHandler({
  ...(config !== undefined ? { config } : {}),
  ...(values.endpoint ? { clients: createAwsClients({ endpoint: values.endpoint, forcePathStyle: true }) } : {}),
  allowHttpLoopback: values['allow-http-loopback'],
});

const deadline = Date.now() + Number(values['timeout-seconds']) * 1000;
const context = {
  functionName: 'qlik-access-guard-local',
  awsRequestId: `local-${Date.now()}`,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
} as unknown as Context;

const scheduledTime = values['scheduled-time'];
const summary = await handler(scheduledTime ? { runId: scheduledTime, scheduledTime } : {}, context);
process.stderr.write(`${JSON.stringify(summary, null, 2)}\n`);
