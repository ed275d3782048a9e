/**
 * Benchmark of `evidence` (`npx tsx test/bench/evidence.ts [tenants] [s3Tenants]`; never part of `npm test`).
 *
 * Writes one year of daily runs per tenant (default 50 tenants: 18,250 runs) with the real archive writer
 * (createRunArchive over a local folder, and over S3 on a moto_server it starts), each run's report.json a valid run
 * report with a handful of findings that open and resolve over the year. Then runs `evidence` over 1, 3, 6 and 12
 * months in a fresh compiled Node process per measurement and records wall time and peak RSS. Replaces the
 * "Evidence" section of test/bench/RESULTS.md. Timings are reported, never asserted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { buildEvidence } from '../../lambda/evidence/evidence';
import { parsePeriod } from '../../lambda/evidence/period';
import { renderJson } from '../../lambda/report/json';
import { type Finding, findingId, type RunReport, type Severity } from '../../lambda/report/model';
import { FsObjectStore } from '../../lambda/store/fs-object-store';
import type { ObjectStore } from '../../lambda/store/object-store';
import { S3ObjectStore } from '../../lambda/store/s3-object-store';
import { createRunArchive } from '../../lambda/store/store';
import { mapWithConcurrency } from '../../lambda/util/concurrency';
import { DAY_MS } from '../../lambda/util/time';
import { freePort } from '../support/net';
import { compileChildren, inputFromParent, memory, removeCompiledChildren, reportToParent, runChild } from './proc';
import { writeResultsSection } from './results-file';

const YEAR_START = Date.parse('2035-01-01T06:00:00.000Z');
const DAYS = 365;
const PERIODS_MONTHS = [1, 3, 6, 12] as const;

interface MeasureInput {
  readonly backend: 'local' | 's3';
  readonly where: string;
  readonly endpoint?: string;
  readonly from: string;
  readonly to: string;
}

interface MeasureResult {
  readonly ms: number;
  readonly peakRssMiB: number;
  readonly tenants: number;
  readonly runs: number;
  readonly findings: number;
  readonly chainOk: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// The archive

/** Findings of one tenant on one day: six long-lived ones, plus one that opens every 10 days and lasts 4. */
function findingsOn(tenantId: string, day: number, at: string): Finding[] {
  const make = (ruleId: string, severity: Severity, subjectId: string, firstDay: number): Finding => ({
    id: findingId(tenantId, ruleId, { type: 'user', id: subjectId }),
    tenantId,
    ruleId,
    title: ruleId,
    severity,
    status: 'fail',
    drift: firstDay === day ? 'new' : 'ongoing',
    subject: { type: 'user', id: subjectId, name: `User ${subjectId}` },
    message: `User ${subjectId} owns an active API key but holds Manage API keys through no path.`,
    evidence: { keys: [`key-${subjectId}`], grantPaths: [], roles: ['SharedSpaceCreator'] },
    remediation: `Assign the role AllowManageAPIKeys: PATCH /api/v1/users/${subjectId}`,
    firstSeen: new Date(YEAR_START + firstDay * DAY_MS).toISOString(),
    lastSeen: at,
  });
  const findings = [0, 1, 2, 3, 4, 5].map((n) =>
    make(n % 2 ? 'api-key-owner-inactive' : 'api-key-expiring', n % 2 ? 'medium' : 'low', `steady-${n}`, 0),
  );
  const wave = Math.floor(day / 10);
  if (day % 10 < 4) findings.push(make('api-key-owner-lacks-manage-permission', 'critical', `wave-${wave}`, wave * 10));
  return findings;
}

function reportOn(tenantId: string, day: number): { runId: string; body: string } {
  const at = new Date(YEAR_START + day * DAY_MS).toISOString();
  const findings = findingsOn(tenantId, day, at);
  const report: RunReport = {
    schemaVersion: '1.0.0',
    runId: at,
    startedAt: at,
    finishedAt: at,
    tool: { name: 'qlik-access-guard', version: 'bench' },
    policy: { name: 'default', sha256: '0'.repeat(64) },
    tenants: [
      {
        tenantUrl: `https://${tenantId}.eu.qlikcloud.com`,
        tenantId,
        name: tenantId,
        status: 'ok',
        errors: [],
        findings,
        resolved: [],
        notifications: [],
        exceptions: [],
        summary: {
          failing: findings.length,
          suppressed: 0,
          errors: 0,
          new: 0,
          ongoing: findings.length,
          reopened: 0,
          resolved: 0,
          bySeverity: { critical: 0, high: 0, medium: 3, low: 3, informational: 0 },
          byRule: {},
        },
      },
    ],
  };
  return { runId: at, body: renderJson(report) };
}

async function writeArchive(store: ObjectStore, tenants: number, concurrency: number): Promise<number> {
  const started = performance.now();
  const archive = createRunArchive(store);
  const ids = Array.from({ length: tenants }, (_, i) => `tenant-${String(i).padStart(3, '0')}`);
  // Tenants in parallel (like the checker); each tenant's runs in order, as a chain must be written.
  await mapWithConcurrency(ids, concurrency, async (tenantId) => {
    for (let day = 0; day < DAYS; day++) {
      const { runId, body } = reportOn(tenantId, day);
      await archive.archiveRun({
        tenantId,
        runId,
        startedAt: runId,
        files: [{ name: 'report.json', body, contentType: 'application/json' }],
      });
    }
  });
  return performance.now() - started;
}

// ---------------------------------------------------------------------------------------------------------------
// moto

async function startMoto(): Promise<{ endpoint: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      return { endpoint, process: child };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  child.kill();
  throw new Error('moto_server did not start');
}

function s3Client(endpoint: string): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Measuring (in a child)

async function measure(): Promise<void> {
  const input = await inputFromParent<MeasureInput>();
  const store: ObjectStore =
    input.backend === 'local'
      ? new FsObjectStore(input.where)
      : new S3ObjectStore(s3Client(input.endpoint as string), input.where);
  const started = performance.now();
  const document = await buildEvidence(store, {
    period: parsePeriod(input.from, input.to),
    now: () => new Date('2036-01-01T00:00:00Z'),
  });
  // The JSON the command prints is part of the work.
  const json = JSON.stringify(document);
  const ms = performance.now() - started;
  reportToParent({
    ms,
    peakRssMiB: memory().peakRssBytes / 2 ** 20,
    tenants: document.tenants.length,
    runs: document.tenants.reduce((n, t) => n + t.runs, 0),
    findings: document.tenants.reduce((n, t) => n + t.findings.length, 0),
    chainOk: document.tenants.every((t) => t.chain.ok) && json.length > 0,
  } satisfies MeasureResult);
}

// ---------------------------------------------------------------------------------------------------------------
// The parent

function periodOfMonths(months: number): { from: string; to: string } {
  const end = new Date(Date.UTC(2035, months, 1) - DAY_MS).toISOString().slice(0, 10);
  return { from: '2035-01-01', to: end };
}

async function measurePeriods(backend: 'local' | 's3', where: string, endpoint?: string) {
  const rows: (MeasureResult & { months: number })[] = [];
  for (const months of PERIODS_MONTHS) {
    const result = await runChild<MeasureResult>('evidence.ts', ['measure'], {
      input: { backend, where, ...(endpoint ? { endpoint } : {}), ...periodOfMonths(months) } satisfies MeasureInput,
    });
    rows.push({ months, ...result });
    process.stderr.write(
      `${backend} ${months} mo: ${(result.ms / 1000).toFixed(1)} s, ${result.peakRssMiB.toFixed(0)} MiB, ${result.runs} runs\n`,
    );
  }
  return rows;
}

function table(rows: readonly (MeasureResult & { months: number })[]): string {
  const base = rows[0] as MeasureResult;
  const lines = [
    '| period | runs read | findings | chain | time | × 1 month | peak RSS | × 1 month |',
    '|---|---:|---:|---|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.months} month${row.months === 1 ? '' : 's'} | ${row.runs.toLocaleString('en')} | ${row.findings.toLocaleString('en')} | ${row.chainOk ? 'ok' : 'problems'} | ${(row.ms / 1000).toFixed(1)} s | ${(row.ms / base.ms).toFixed(2)} | ${row.peakRssMiB.toFixed(0)} MiB | ${(row.peakRssMiB / base.peakRssMiB).toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const tenants = Number(process.argv[2] ?? 50);
  const s3Tenants = Number(process.argv[3] ?? tenants);
  const folder = mkdtempSync(join(tmpdir(), 'qag-evidence-bench-'));
  let moto: { endpoint: string; process: ChildProcess } | undefined;
  try {
    await compileChildren(['evidence.ts']);
    const localWriteMs = await writeArchive(new FsObjectStore(folder), tenants, 4);
    process.stderr.write(`local archive: ${tenants * DAYS} runs written in ${(localWriteMs / 1000).toFixed(1)} s\n`);
    const local = await measurePeriods('local', folder);

    moto = await startMoto();
    const bucket = 'qag-evidence-bench';
    const client = s3Client(moto.endpoint);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const s3WriteMs = await writeArchive(new S3ObjectStore(client, bucket), s3Tenants, 8);
    process.stderr.write(`s3 archive: ${s3Tenants * DAYS} runs written in ${(s3WriteMs / 1000).toFixed(1)} s\n`);
    const s3 = await measurePeriods('s3', bucket, moto.endpoint);

    const section = [
      '## Evidence over a year of daily runs',
      '',
      `\`npx tsx test/bench/evidence.ts ${tenants} ${s3Tenants}\` — ${new Date().toISOString().slice(0, 10)}, ` +
        `${cpus().length} CPUs (shared), ${(totalmem() / 2 ** 30).toFixed(0)} GiB. One year of daily runs per tenant, ` +
        'written with the real archive writer (each run: report.json with 6–7 findings, manifest, chain entry); ' +
        '`evidence` for all tenants over the first 1, 3, 6 and 12 months, each in a fresh compiled Node process ' +
        '(time includes verifying every tenant\u2019s whole chain, which reads every stored object, and the JSON).',
      '',
      `### Local folder: ${tenants} tenants, ${(tenants * DAYS).toLocaleString('en')} runs (written in ${(localWriteMs / 1000).toFixed(0)} s)`,
      '',
      table(local),
      '',
      `### S3 on moto_server: ${s3Tenants} tenants, ${(s3Tenants * DAYS).toLocaleString('en')} runs (written in ${(s3WriteMs / 1000).toFixed(0)} s)`,
      '',
      table(s3),
    ].join('\n');
    writeResultsSection('evidence', section);
    process.stderr.write(`${section}\n`);
  } finally {
    moto?.process.kill();
    rmSync(folder, { recursive: true, force: true });
    removeCompiledChildren();
  }
}

if (process.argv[2] === 'measure') await measure();
else await main();
