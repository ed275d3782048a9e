import { describe, expect, it } from 'vitest';
import { DEFAULT_TREND_POINTS, renderTrendSvg, trendWithCurrentRun } from '../../../lambda/report/trend';
import { trendHistory as history, makeFinding, makeRunReport, makeTenant, RUN_ID, STARTED_AT } from './fixtures';

const bars = (svg: string) =>
  [...svg.matchAll(/<rect class="bar[^"]*"[^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));

describe('renderTrendSvg', () => {
  it('draws one bar per run with a title for the chart and for each bar', () => {
    const svg = renderTrendSvg(history(7), { idPrefix: 't1' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-labelledby="t1-title t1-desc"');
    expect(svg).toMatch(/<title id="t1-title">Failing findings over the last 7 runs<\/title>/);
    expect(bars(svg)).toHaveLength(7);
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(7);
    expect(svg).toContain('data-points="7"');
  });

  it('scales bars to the counts and marks the latest run', () => {
    const svg = renderTrendSvg(history(4, (i) => [2, 4, 8, 1][i]!));
    const heights = bars(svg);
    expect(heights[2]).toBeGreaterThan(heights[1]!);
    expect(heights[1]).toBeCloseTo(heights[2]! / 2, 0);
    expect(heights[0]).toBeCloseTo(heights[2]! / 4, 0);
    expect(svg.match(/bar-current/g)).toHaveLength(1);
    expect(svg).toMatch(/class="bar bar-current"[^>]*data-run-id="run-003"/);
  });

  it('labels the axes: counts on the left, run dates below', () => {
    const svg = renderTrendSvg(history(3, () => 7));
    expect(svg).toContain('>Failing</text>');
    expect(svg).toContain('>Run (UTC)</text>');
    expect(svg).toContain('>01-03</text>');
    expect(svg).toMatch(/>10<\/text>/);
    expect(svg).toMatch(/>0<\/text>/);
  });

  it('keeps a visible stub for runs with nothing failing', () => {
    const heights = bars(renderTrendSvg(history(3, () => 0)));
    expect(heights.every((h) => h > 0)).toBe(true);
  });

  it('draws only the most recent points', () => {
    const svg = renderTrendSvg(history(45));
    expect(bars(svg)).toHaveLength(DEFAULT_TREND_POINTS);
    expect(svg).toContain('data-run-id="run-044"');
    expect(svg).not.toContain('data-run-id="run-014"');
    expect(bars(renderTrendSvg(history(45), { maxPoints: 10 }))).toHaveLength(10);
  });

  it('escapes run ids', () => {
    const svg = renderTrendSvg([{ runId: '"><script>x</script>', at: STARTED_AT, failing: 1, new: 1, resolved: 0 }]);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('data-run-id="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
  });

  it('says so when there is no run yet', () => {
    const svg = renderTrendSvg([]);
    expect(bars(svg)).toHaveLength(0);
    expect(svg).toContain('No runs recorded yet');
  });
});

describe('trendWithCurrentRun', () => {
  const tenant = makeTenant({
    tenantId: 't',
    findings: [makeFinding('t'), makeFinding('t', { subject: { id: 'u2' } })],
  });
  const report = makeRunReport([tenant]);

  it('adds this run from the tenant summary when the history does not have it', () => {
    const points = trendWithCurrentRun(history(3), report, tenant);
    expect(points).toHaveLength(4);
    expect(points.at(-1)).toEqual({ runId: RUN_ID, at: STARTED_AT, failing: 2, new: 2, resolved: 0 });
  });

  it('does not add this run twice', () => {
    const withCurrent = [...history(3), { runId: RUN_ID, at: STARTED_AT, failing: 2, new: 2, resolved: 0 }];
    expect(trendWithCurrentRun(withCurrent, report, tenant)).toHaveLength(4);
  });

  it('does not invent a point for a tenant that could not be checked', () => {
    const broken = makeTenant({ tenantId: 't', errors: [{ code: 'timeout', message: 'deadline' }] });
    expect(trendWithCurrentRun(history(3), makeRunReport([broken]), broken)).toHaveLength(3);
  });

  it('sorts oldest first and keeps the most recent points', () => {
    const points = trendWithCurrentRun([...history(40)].reverse(), report, tenant, 10);
    expect(points).toHaveLength(10);
    expect(points.at(-1)!.runId).toBe(RUN_ID);
    expect(points[0]!.runId).toBe('run-031');
  });
});
