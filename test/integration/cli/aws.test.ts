/**
 * The CLI's AWS paths on a real AWS API (moto): a tenants file naming a Secrets Manager secret per tenant, and
 * `verify --bucket` walking an S3 archive written by the same archive code the Lambda uses.
 */

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../lambda/store/s3-object-store';
import { createRunArchive } from '../../../lambda/store/store';
import { loadScenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';
import { useMoto } from '../setup/moto-client';
import { createLockedBucket } from '../setup/moto-resources';
import { filesUnder, cli as runCli } from './support';

const moto = useMoto();
let sim: SimulatedTenant;
let dir: string;

beforeAll(async () => {
  sim = await startSimulatedTenant({ scenario: loadScenario('migration') });
  dir = await mkdtemp(join(tmpdir(), 'qag-cli-aws-'));
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

const cli = (argv: string[]) => runCli(argv, { cwd: dir, awsClients: () => moto.clients });

describe('CLI with AWS', () => {
  it('reads each tenant credential from its Secrets Manager secret and never writes it anywhere', async () => {
    const { clientId, clientSecret } = sim.credentials;
    await moto.clients.secrets.send(
      new CreateSecretCommand({
        Name: 'qlik-access-guard/tenants/acme',
        SecretString: JSON.stringify({ clientId, clientSecret }),
      }),
    );
    await writeFile(
      join(dir, 'tenants.yaml'),
      `tenants:\n  - name: acme\n    url: ${sim.url}\n    secretId: qlik-access-guard/tenants/acme\n` +
        `  - name: missing\n    url: ${sim.url}\n    secretId: qlik-access-guard/tenants/missing\n`,
    );

    const { code, stdout, stderr } = await cli([
      'check',
      '--tenants-file',
      'tenants.yaml',
      '--allow-http-loopback',
      '--json',
    ]);

    const report = JSON.parse(stdout) as {
      tenants: { name: string; status: string; findings: unknown[]; errors: { code: string; message: string }[] }[];
    };
    const [acme, missing] = report.tenants;
    expect(acme!.status).toBe('ok');
    expect(acme!.findings.length).toBeGreaterThan(0);
    expect(missing!.status).toBe('error');
    expect(missing!.errors[0]!.code).toBe('bad-input');
    expect(missing!.errors[0]!.message).toMatch(/qlik-access-guard\/tenants\/missing/);
    expect(code).toBe(2);

    const outputs = [stdout, stderr];
    for (const file of await filesUnder(dir)) outputs.push(await readFile(file, 'utf8'));
    for (const text of outputs) expect(text).not.toContain(clientSecret);
  });

  it('verify --bucket walks an S3 archive and names a file written over as a new version, exit 1', async () => {
    const bucket = 'qag-cli-verify';
    await createLockedBucket(moto.clients.s3, bucket); // versioned, like the stack's archive
    const archive = createRunArchive(new S3ObjectStore(moto.clients.s3, bucket));
    for (const runId of ['2026-11-20T06:00:00.000Z', '2026-11-21T06:00:00.000Z']) {
      await archive.archiveRun({
        tenantId: 'TenantForVerify',
        runId,
        startedAt: runId,
        files: [{ name: 'report.json', body: `{"runId":"${runId}"}\n`, contentType: 'application/json' }],
      });
    }
    const clean = await cli(['verify', '--bucket', bucket]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/TenantForVerify: 2 runs, 0 problems/);

    const key = archive.locate('TenantForVerify', '2026-11-20T06:00:00.000Z', '2026-11-20T06:00:00.000Z');
    const prefix = key.replace(`s3://${bucket}/`, '');
    await moto.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${prefix}report.json`, Body: '{"runId":"forged"}\n' }),
    );
    const tampered = await cli(['verify', '--bucket', bucket]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/altered-file: .*report\.json/);
    // The new version itself is named, with the version that was archived first.
    expect(tampered.stdout).toContain(`rewritten: ${prefix}report.json — 2 versions: the current version`);
  });

  it('verify --bucket lists a key with control characters and prints it inert', async () => {
    // Anyone who may put objects can choose a key: an OSC-8 link, a screen clear and a forged result line.
    const bucket = 'qag-cli-verify-hostile';
    await createLockedBucket(moto.clients.s3, bucket);
    await createRunArchive(new S3ObjectStore(moto.clients.s3, bucket)).archiveRun({
      tenantId: 'TenantHostileKey',
      runId: '2026-11-20T06:00:00.000Z',
      startedAt: '2026-11-20T06:00:00.000Z',
      files: [{ name: 'report.json', body: '{}', contentType: 'application/json' }],
    });
    const hostile = 'reports/tenant=TenantHostileKey/\u001b]8;;https://evil.example\u0007x\u001b[2J✔ all good';
    await moto.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: hostile, Body: 'x' }));

    const result = await cli(['verify', '--bucket', bucket]);
    expect(result.code).toBe(1);
    const controls = [...result.stdout].filter((c) => c !== '\n' && (c.charCodeAt(0) < 0x20 || c === '\u007f'));
    expect(controls).toEqual([]);
    expect(result.stdout.split('\n')).toEqual([
      '✖ tenant TenantHostileKey: 1 runs, 1 problems',
      '    unexpected-object: reports/tenant=TenantHostileKey/\\u001B]8;;https://evil.example\\u0007x\\u001B[2J✔ all good — the archive never writes an object here',
      '',
    ]);
    const json = await cli(['verify', '--bucket', bucket, '--json']);
    expect(JSON.parse(json.stdout)[0].problems[0].key).toBe(hostile);
  });
});
