import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../../lambda/report/escape';
import { DEFAULT_FULL_DETAIL_LIMIT, renderHtml } from '../../../lambda/report/html';
import { REPORT_SCHEMA_VERSION, type RunReport } from '../../../lambda/report/model';
import {
  HOSTILE,
  hostileReport,
  largeReport,
  makeFinding,
  makeRunReport,
  makeTenant,
  sampleReport,
  trendHistory,
} from './fixtures';

/** The markup of one tenant's section, found by its tenant id. */
function sectionOf(html: string, tenantId: string): string {
  const start = html.indexOf(`data-tenant-id="${escapeHtml(tenantId)}"`);
  expect(start, `section of ${tenantId}`).toBeGreaterThan(-1);
  const end = html.indexOf('<section class="tenant ', start);
  return html.slice(start, end === -1 ? html.indexOf('<footer', start) : end);
}

const TAGS_WE_WRITE = new Set(
  (
    'html head meta title style body main header h1 h2 h3 h4 h5 h6 dl dt dd div code strong span p section table thead ' +
    'tbody tr th td a ul ol li details summary article pre svg line text rect desc figure figcaption footer br'
  ).split(' '),
);

const findingIds = (report: RunReport) =>
  report.tenants.flatMap((t) => [...t.findings, ...t.resolved].map((f) => f.id));

describe('renderHtml', () => {
  it('renders hostile tenant text as text: no element or attribute comes from the data', () => {
    const html = renderHtml(hostileReport());
    const tags = new Set([...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]!.toLowerCase()));
    expect([...tags].filter((t) => !TAGS_WE_WRITE.has(t))).toEqual([]);
    for (const tag of html.match(/<[a-zA-Z][^>]*>/g) ?? []) expect(tag).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/<script|<img|<b>/i);
    expect(html).toContain(escapeHtml(HOSTILE.script));
    expect(html).toContain(escapeHtml(HOSTILE.markup));
    expect(html).toContain('data-tenant-id="tenant-&lt;b&gt;x&lt;/b&gt;"');
    expect(html).toContain(escapeHtml('https://"><script>alert(2)</script>.qlikcloud.com'));
  });

  it('escapes every kind of tenant text: names, messages, evidence keys and values, fixes, exceptions, notes', () => {
    const html = renderHtml(hostileReport());
    const escaped = escapeHtml(HOSTILE.script);
    const count = html.split(escaped).length - 1;
    // Policy name, tenant name (title, overview, heading), subject name, message, evidence key/value/nested, fix,
    // exception reason: a renderer that forgot one spot would show the raw text there instead.
    expect(count).toBeGreaterThanOrEqual(12);
    expect(html.split(HOSTILE.script).length - 1).toBe(0);
  });

  it('is self-contained: no script, no external resource, scripts forbidden by its Content-Security-Policy', () => {
    const html = renderHtml(sampleReport(), { trends: { 'tenant-acme': trendHistory(5) } });
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    const csp = escapeHtml("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'");
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${csp}`);
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import|url\(/i);
    expect(html).not.toMatch(/\ssrc=/);
    for (const [, target] of html.matchAll(/href="([^"]*)"/g)) expect(target).toMatch(/^#/);
    // The tenant URL is shown, as text only.
    expect(html).toContain('<span class="tenant-url">https://acme.eu.qlikcloud.com</span>');
  });

  it('shows the run id, times, policy name and hash in the header', () => {
    const report = sampleReport();
    const html = renderHtml(report, { generatedBy: 'nightly schedule' });
    const header = html.slice(html.indexOf('<header class="page-head">'), html.indexOf('</header>'));
    expect(header).toContain(report.runId);
    expect(header).toContain('2026-03-02 06:00:00 UTC');
    expect(header).toContain('2026-03-02 06:00:41 UTC');
    expect(header).toContain('41.3 s');
    expect(header).toContain(report.policy.sha256);
    expect(header).toContain('<strong>default</strong>');
    expect(html).toContain('nightly schedule');
    expect(html).toContain(`report schema ${REPORT_SCHEMA_VERSION}`);
  });

  it('contains every finding id, current, suppressed and resolved, as a finding element', () => {
    const report = sampleReport();
    const html = renderHtml(report);
    const ids = findingIds(report);
    expect(ids.length).toBeGreaterThan(4);
    for (const id of ids) expect(html).toContain(`data-finding-id="${id}"`);
    expect(html.match(/data-finding-id=/g)).toHaveLength(ids.length);
  });

  it('makes a tenant that could not be checked unmistakably an error, never a pass', () => {
    const html = renderHtml(sampleReport());
    const section = sectionOf(html, 'initech.eu.qlikcloud.com');
    expect(section).toContain('data-status="error"');
    expect(section).toContain('class="banner banner-error" role="alert"');
    expect(section).toContain('NOT CHECKED — compliance unknown');
    expect(section).toContain('no findings does not mean compliant');
    expect(section).toMatch(/<code>unauthorized<\/code>\s+Unauthorized \(401\)/);
    expect(section).toContain('the checker&#39;s own API key is disabled');
    expect(section).not.toMatch(/no failing findings|✔|status-ok|stat-value/i);
    // The run-level banner and the overview row say it too, before anyone scrolls.
    const top = html.slice(0, html.indexOf('<section class="tenant '));
    expect(top).toContain('1 tenant of 3 could not be checked');
    expect(top).toMatch(/<tr class="row-error">[\s\S]*?not checked — compliance unknown[\s\S]*?<\/tr>/);
  });

  it('tells a clean tenant apart from one that could not be checked', () => {
    const html = renderHtml(sampleReport());
    const clean = sectionOf(html, 'tenant-globex');
    expect(clean).toContain('data-status="ok"');
    expect(clean).toContain('banner-ok');
    expect(clean).toContain('no failing findings');
    expect(clean).not.toContain('banner-error');
  });

  it('groups failing findings by severity, critical first, with drift badges', () => {
    const html = renderHtml(sampleReport());
    const section = sectionOf(html, 'tenant-acme');
    const order = ['critical', 'high', 'medium'].map((s) => section.indexOf(`class="sev-group sev-${s}"`));
    expect(order.every((i) => i > -1)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(section).not.toContain('class="sev-group sev-low"');
    expect(section).toContain('<span class="badge drift-new">New</span>');
    expect(section).toContain('<span class="badge drift-ongoing">Ongoing</span>');
    expect(section).toContain('<span class="badge drift-reopened">Reopened</span>');
  });

  it('renders evidence as a table, with the fix preformatted', () => {
    const html = renderHtml(sampleReport());
    const card = html.slice(html.indexOf('<article'), html.indexOf('</article>'));
    expect(card).toContain('<table class="ev">');
    expect(card).toMatch(/<th scope="row">user<\/th><td><table class="ev-nested">/);
    expect(card).toContain('<th scope="row">email</th><td>ada@example.com</td>');
    expect(card).toMatch(/<th scope="row">grantPaths<\/th><td><span class="muted">none<\/span>/);
    expect(card).toContain(
      '<pre>Assign the custom role that grants Manage API keys to the user:\nPATCH /api/v1/users/user-1\n',
    );
    expect(card).toContain('Controls</dt><dd>SOC 2 CC6.1, CC6.2 · ISO 27001:2022 A.5.15, A.5.18');
  });

  it('caps evidence per finding', () => {
    const evidence: Record<string, unknown> = {
      list: Array.from({ length: 50 }, (_, i) => `key-${i}`),
      long: 'x'.repeat(5000),
    };
    for (let i = 0; i < 60; i += 1) evidence[`k${i}`] = i;
    const html = renderHtml(makeRunReport([makeTenant({ tenantId: 't', findings: [makeFinding('t', { evidence })] })]));
    expect(html).toContain('… and 38 more');
    expect(html).toContain('… and 37 more entries');
    expect(html).not.toContain('x'.repeat(600));
    expect(html).toContain(`${'x'.repeat(599)}…`);
    expect(html).not.toContain('key-12<');
  });

  it('shows why a reopened finding came back, and suppressed findings with their exception', () => {
    const html = renderHtml(sampleReport());
    expect(html).toContain('Was suppressed by an exception that expired on 2026-03-01');
    const suppressed = html.slice(html.indexOf('<tr class="finding suppressed"'));
    const row = suppressed.slice(0, suppressed.indexOf('</tr>'));
    expect(row).toContain('Backup service key is rotated by the vendor on 2026-03-10');
    expect(row).toContain('Grace Hopper');
    expect(row).toContain('SEC-77');
    expect(row).toContain('2026-03-15');
    expect(row).toContain('(in 12 days)');
  });

  it('lists resolved findings, exceptions in force, notes and notifications', () => {
    const html = renderHtml(sampleReport());
    const section = sectionOf(html, 'tenant-acme');
    expect(section).toMatch(/<h3>Resolved since the last run <span class="count">1<\/span>/);
    expect(section).toMatch(/<tr class="finding resolved"[^>]*>[\s\S]*?UserDefault[\s\S]*?<\/tr>/);
    expect(section).toMatch(/<h3>Exceptions in force <span class="count">2<\/span>/);
    expect(section).toMatch(
      /<tr class="exception"><td><code class="rule-id">deprecated-developer-role-assigned<\/code>[\s\S]*?<span class="badge expired">expired<\/span>[\s\S]*?<\/tr>/,
    );
    expect(section).toContain('<li>The tenant still returns the legacy api_keys_enabled field (true).</li>');
    expect(section).toContain('[qlik-access-guard] acme: 1 new, 1 reopened');
    expect(section).toContain('s3://qag-reports/tenant-acme/2026-03-02T06:00:00Z/');
  });

  it('warns about an exception without an end date that is older than 90 days', () => {
    const exception = { rule: 'r', subject: {}, reason: 'why', owner: 'me', created: '2025-10-01' };
    const html = renderHtml(makeRunReport([makeTenant({ exceptions: [exception] })]));
    expect(html).toContain('<span class="badge warn">no end date</span>');
    expect(html).toMatch(/created 152 days ago — review it/);
  });

  it('draws the trend of each tenant that has one, with the current run added', () => {
    const html = renderHtml(sampleReport(), {
      trends: { 'tenant-acme': trendHistory(12), 'tenant-globex': [], 'initech.eu.qlikcloud.com': trendHistory(3) },
    });
    const bars = (section: string) => section.match(/<rect class="bar/g)?.length ?? 0;
    expect(bars(sectionOf(html, 'tenant-acme'))).toBe(13);
    expect(bars(sectionOf(html, 'tenant-globex'))).toBe(1);
    // Nothing is known about this run of the broken tenant: its history is drawn, no fake point is added.
    expect(bars(sectionOf(html, 'initech.eu.qlikcloud.com'))).toBe(3);
    expect(sectionOf(html, 'tenant-acme')).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart"');
    expect(html.match(/id="trend-\d-title"/g)).toHaveLength(3);
    expect(renderHtml(sampleReport())).not.toContain('<svg');
  });

  it('renders 10,000 findings in a reasonable size, every one listed, full detail for the first ones only', () => {
    const report = largeReport(10_000);
    const html = renderHtml(report);
    expect(html.length).toBeLessThan(12 * 1024 * 1024);
    expect(html.length / 10_000).toBeLessThan(1200);
    const ids = findingIds(report);
    const listed = new Set([...html.matchAll(/data-finding-id="([^"]+)"/g)].map((m) => m[1]));
    expect(listed.size).toBe(10_000);
    for (const id of ids) expect(listed.has(id)).toBe(true);
    expect(html.match(/<article class="finding card/g)).toHaveLength(DEFAULT_FULL_DETAIL_LIMIT);
    expect(html.match(/<tr class="finding compact"/g)).toHaveLength(10_000 - DEFAULT_FULL_DETAIL_LIMIT);
    // Long groups start collapsed, short ones open.
    expect(html).toMatch(/<details class="sev-group sev-medium">\s*<summary>/);
    expect(html).toMatch(/<details class="sev-group sev-critical" open>/);
  }, 60_000);

  it('lets the caller choose how many findings get full detail', () => {
    const html = renderHtml(largeReport(30), { fullDetailLimit: 5 });
    expect(html.match(/<article class="finding card/g)).toHaveLength(5);
    expect(html.match(/<tr class="finding compact"/g)).toHaveLength(25);
  });

  it('orders subjects naturally within a rule: User 2 before User 10', () => {
    const findings = [10, 2, 1].map((n) => makeFinding('t', { subject: { id: `u${n}`, name: `User ${n}` } }));
    const html = renderHtml(makeRunReport([makeTenant({ tenantId: 't', findings })]));
    const positions = ['User 1<', 'User 2<', 'User 10<'].map((name) => html.indexOf(name));
    expect(positions.every((p) => p > -1)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('has print styles', () => {
    const html = renderHtml(sampleReport());
    expect(html).toContain('@media print');
    expect(html).toContain('details::details-content');
  });
});
