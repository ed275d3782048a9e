/**
 * The evidence report in Debian's headless Chromium, like report.html: the DOM the browser builds has the coverage
 * strip, one row per finding, the chain verdict and the control matrix, and hostile tenant text stays text.
 * Chromium is required (the test fails and says how to install it).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInRuleControls } from '../../../lambda/evidence/evidence';
import { renderEvidenceHtml } from '../../../lambda/evidence/html';
import { EVIDENCE_SCHEMA_VERSION, type EvidenceDocument } from '../../../lambda/evidence/model';
import { TenantEvidenceBuilder } from '../../../lambda/evidence/tenant-evidence';
import type { Finding, TenantReport } from '../../../lambda/report/model';
import { DAY_MS } from '../../../lambda/util/time';
import { checkedTenant, failingFinding, tenantSummary } from '../../support/report';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const START = Date.parse('2035-01-01T00:00:00Z');
const HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>\u202Eevil';

let workDir: string;
let profiles = 0;

function chromium(args: string[]): Promise<string> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  }
  profiles += 1;
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];
  return new Promise((resolve, reject) => {
    execFile(
      CHROMIUM,
      [...flags, `--user-data-dir=${join(workDir, `profile-${profiles}`)}`, ...args],
      { timeout: 90_000, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`chromium failed: ${error.message}\n${stderr.slice(-2000)}`)) : resolve(stdout),
    );
  });
}

function finding(id: string, name: string): Finding {
  return failingFinding({ id, subject: { type: 'user', id: `u-${id}`, name } });
}

function tenant(status: 'ok' | 'error', findings: Finding[]): TenantReport {
  return checkedTenant(status, findings, {
    name: HOSTILE,
    errors: status === 'error' ? [{ code: 'timeout', message: 'did not answer' }] : [],
    exceptions: [
      { rule: 'api-key-owner-inactive', subject: { type: 'apiKey', name: HOSTILE }, reason: HOSTILE, owner: 'o@x' },
    ],
    summary: tenantSummary({ failing: findings.length }),
  });
}

/** Ten daily runs: day 3 missing, day 5 could not check the tenant, three findings (one with a hostile name). */
function document(): EvidenceDocument {
  const builder = new TenantEvidenceBuilder({
    tenantId: 't',
    startMs: START,
    endMs: START + 10 * DAY_MS,
    nowMs: START + 20 * DAY_MS,
    ruleControls: builtInRuleControls(),
  });
  const all = [finding('qag-a', HOSTILE), finding('qag-b', 'Ravi'), finding('qag-c', 'Mia')];
  for (let day = 0; day < 10; day++) {
    if (day === 3) continue;
    const findings = day < 6 ? all : all.slice(1);
    builder.addRun({
      runId: `run-${day}`,
      startedAt: new Date(START + day * DAY_MS + 6 * 3_600_000).toISOString(),
      tenant: tenant(day === 5 ? 'error' : 'ok', findings),
    });
  }
  builder.addRemediation({
    runId: 'fix-1',
    planId: 'plan-1',
    appliedAt: '2035-01-07T09:00:00.000Z',
    credentialKind: 'oauth-client',
    actions: [
      { id: 'a1', kind: 'assign-role', target: { name: HOSTILE }, role: 'AllowManageAPIKeys', outcome: 'applied' },
    ],
  });
  const evidence = builder.finish({
    ok: false,
    problems: [{ kind: 'altered-file', key: 'reports/tenant=t/x/report.json', detail: HOSTILE }],
  });
  return {
    schemaVersion: EVIDENCE_SCHEMA_VERSION,
    period: { from: new Date(START).toISOString(), to: new Date(START + 10 * DAY_MS - 1).toISOString() },
    generatedAt: new Date(START + 20 * DAY_MS).toISOString(),
    archive: '/archive/reports/',
    tenants: [evidence],
  };
}

describe('evidence HTML in headless Chromium', () => {
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'qag-evidence-browser-'));
  });
  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('builds the coverage strip, finding rows, chain verdict and controls, with tenant text as text', async () => {
    const file = join(workDir, 'evidence.html');
    const page = renderEvidenceHtml(document());
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;`);
    await writeFile(file, page);
    const dom = await chromium(['--dump-dom', pathToFileURL(file).href]);

    const states = [...dom.matchAll(/data-state="([a-z]+)"/g)].map((m) => m[1]);
    expect(states).toEqual([
      'present',
      'present',
      'present',
      'missing',
      'present',
      'failed',
      'present',
      'present',
      'present',
      'present',
    ]);
    expect(new Set([...dom.matchAll(/data-finding-id="([^"]+)"/g)].map((m) => m[1]))).toEqual(
      new Set(['qag-a', 'qag-b', 'qag-c']),
    );
    expect(dom).toContain('data-chain="broken"');
    expect(dom).toContain('data-control="SOC 2 CC6.1"');
    expect(dom).toContain('data-outcome="applied"');
    expect(dom).not.toMatch(/<script|<img/i);
    expect(dom).toContain('&lt;script&gt;alert("pwned")&lt;/script&gt;');
  });

  it('takes a screenshot that is not blank', async () => {
    const file = join(workDir, 'shot.html');
    await writeFile(file, renderEvidenceHtml(document()));
    const png = join(workDir, 'evidence.png');
    await chromium([`--screenshot=${png}`, '--window-size=1280,1600', pathToFileURL(file).href]);
    expect((await stat(png)).size).toBeGreaterThan(20 * 1024);
  });
});
