/**
 * For test files that use the shared moto server: `useMoto()` (call at the top of a file) holds a cross-worker lock
 * from beforeAll to afterAll and resets moto's state when it takes it, so each file starts from an empty AWS and no
 * other file's reset can wipe its resources mid-test. Also builds real SDK clients pointed at moto.
 */

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, inject } from 'vitest';
import type { AwsClients } from '../../../lambda/aws/clients';

export const REGION = 'us-east-1';
/** Moto's default account. */
export const ACCOUNT_ID = '123456789012';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export interface MotoClients extends AwsClients {
  readonly sqs: SQSClient;
}

export interface MotoHandle {
  readonly endpoint: string;
  readonly clients: MotoClients;
}

export function useMoto(): MotoHandle {
  const endpoint = inject('motoEndpoint');
  const lockDir = inject('motoLockDir');
  const handle: MotoHandle = { endpoint, clients: motoClients(endpoint) };
  let token: string | undefined;
  beforeAll(async () => {
    token = await acquireLock(lockDir);
    await resetMoto(endpoint);
  });
  afterAll(async () => {
    if (token) await releaseLock(lockDir, token);
  });
  return handle;
}

export function motoClients(endpoint: string): MotoClients {
  const common = { region: REGION, endpoint, credentials: CREDENTIALS, maxAttempts: 1 };
  return {
    s3: new S3Client({ ...common, forcePathStyle: true }),
    sns: new SNSClient(common),
    secrets: new SecretsManagerClient(common),
    sqs: new SQSClient(common),
  };
}

/** Empties every moto backend. */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
}

async function acquireLock(lockDir: string): Promise<string> {
  const token = `${process.pid}:${Math.random().toString(36).slice(2)}`;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, 'owner'), token);
      return token;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
    // A worker that died holding the lock must not stall every later file.
    const owner = await readFile(join(lockDir, 'owner'), 'utf8').catch(() => undefined);
    const pid = owner ? Number(owner.split(':')[0]) : undefined;
    if (pid !== undefined && pid !== process.pid && !isAlive(pid)) {
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    await new Promise((done) => setTimeout(done, 200));
  }
}

async function releaseLock(lockDir: string, token: string): Promise<void> {
  const owner = await readFile(join(lockDir, 'owner'), 'utf8').catch(() => undefined);
  if (owner === token) await rm(lockDir, { recursive: true, force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}
