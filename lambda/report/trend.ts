/**
 * The failing-findings trend of one tenant over its recent runs, as an inline SVG bar chart for the HTML report. Pure
 * string building: no script, no external resource, readable when printed, and described for screen readers (role
 * "img" with a <title> and a <desc>, a <title> per bar) with the numbers also given as a table by the caller.
 */

import { compareText } from '../util/text';
import { DAY_MS } from '../util/time';
import { html, type SafeHtml } from './escape';
import type { RunReport, TenantReport } from './model';

export interface TrendPoint {
  readonly runId: string;
  /** When the run happened (ISO 8601). */
  readonly at: string;
  readonly failing: number;
  readonly new: number;
  readonly resolved: number;
}

export interface TrendChartOptions {
  /** Prefix for element ids, unique within the page (one chart per tenant). */
  readonly idPrefix?: string;
  /** Only the most recent points are drawn. */
  readonly maxPoints?: number;
}

export const DEFAULT_TREND_POINTS = 30;

const WIDTH = 640;
const HEIGHT = 200;
const MARGIN = { top: 16, right: 12, bottom: 44, left: 48 } as const;
const MAX_X_LABELS = 8;

/**
 * The points to draw for a tenant: its history, plus this run when the history does not end with it yet (a renderer
 * given an older history still shows where the tenant stands now). Oldest first, at most `maxPoints`.
 */
export function trendWithCurrentRun(
  history: readonly TrendPoint[],
  report: RunReport,
  tenant: TenantReport,
  maxPoints = DEFAULT_TREND_POINTS,
): TrendPoint[] {
  const points = [...history].sort((a, b) => compareText(a.at, b.at));
  if (tenant.status === 'ok' && !points.some((p) => p.runId === report.runId)) {
    points.push({
      runId: report.runId,
      at: report.startedAt,
      failing: tenant.summary.failing,
      new: tenant.summary.new,
      resolved: tenant.summary.resolved,
    });
  }
  return points.slice(-maxPoints);
}

function niceMax(value: number): number {
  if (value <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

/** "03-02" across days, "06:00" within one day: short enough for a bar, and never locale-dependent. */
function labelsFor(points: readonly TrendPoint[]): string[] {
  const times = points.map((p) => Date.parse(p.at));
  const valid = times.filter((t) => !Number.isNaN(t));
  const spanDays = valid.length > 1 ? (Math.max(...valid) - Math.min(...valid)) / DAY_MS : 0;
  return points.map((p, i) => {
    const t = times[i]!;
    if (Number.isNaN(t)) return p.runId.slice(0, 10);
    const iso = new Date(t).toISOString();
    if (points.length === 1) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
    return spanDays < 2 ? iso.slice(11, 16) : iso.slice(5, 10);
  });
}

function describePoint(point: TrendPoint): string {
  const ms = Date.parse(point.at);
  const when = Number.isNaN(ms) ? point.at : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  return `${when} UTC (run ${point.runId}): ${point.failing} failing, ${point.new} new, ${point.resolved} resolved`;
}

const round = (n: number) => Math.round(n * 10) / 10;

export function renderTrendSvg(points: readonly TrendPoint[], options: TrendChartOptions = {}): string {
  const id = options.idPrefix ?? 'trend';
  const shown = points.slice(-(options.maxPoints ?? DEFAULT_TREND_POINTS));
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  const svg = (title: string, desc: string, body: SafeHtml | SafeHtml[]) =>
    html`<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}"
height="${HEIGHT}" role="img" aria-labelledby="${titleId} ${descId}" data-points="${shown.length}">
<title id="${titleId}">${title}</title><desc id="${descId}">${desc}</desc>${body}</svg>`.value;

  if (shown.length === 0) {
    const empty = html`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" class="axis-label">No runs recorded yet</text>`;
    return svg('Failing findings per run', 'No runs recorded yet.', empty);
  }

  const failing = shown.map((p) => p.failing);
  const top = niceMax(Math.max(...failing));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const baseline = MARGIN.top + plotHeight;
  const slot = plotWidth / shown.length;
  const barWidth = Math.max(2, Math.min(40, slot * 0.7));
  const y = (value: number) => baseline - (value / top) * plotHeight;
  const parts: SafeHtml[] = [];

  // Horizontal grid with the count on the left: 0, half and the top of the scale.
  for (const tick of [0, top / 2, top]) {
    const ty = round(y(tick));
    parts.push(html`<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ty}" y2="${ty}"/>
<text class="tick" x="${MARGIN.left - 6}" y="${round(ty + 4)}" text-anchor="end">${round(tick)}</text>`);
  }
  parts.push(html`<text class="axis-label" transform="translate(12 ${MARGIN.top + plotHeight / 2}) rotate(-90)"
text-anchor="middle">Failing</text>`);

  const labels = labelsFor(shown);
  const labelEvery = Math.ceil(shown.length / MAX_X_LABELS);
  shown.forEach((point, index) => {
    const x = MARGIN.left + index * slot + (slot - barWidth) / 2;
    const centre = round(x + barWidth / 2);
    // A run with nothing failing still gets a visible (green) stub: a missing bar would read as a missing run.
    const height = Math.max(point.failing > 0 ? 1 : 2, baseline - y(point.failing));
    const isLast = index === shown.length - 1;
    const classes = ['bar', isLast ? 'bar-current' : '', point.failing === 0 ? 'bar-zero' : '']
      .filter(Boolean)
      .join(' ');
    parts.push(html`<rect class="${classes}" data-run-id="${point.runId}" x="${round(x)}" y="${round(baseline - height)}"
width="${round(barWidth)}" height="${round(height)}"><title>${describePoint(point)}</title></rect>`);
    if (barWidth >= 12 || isLast) {
      parts.push(
        html`<text class="value" x="${centre}" y="${round(baseline - height - 4)}" text-anchor="middle">${point.failing}</text>`,
      );
    }
    // Label every n-th run counting back from the latest, so the current run always has its label.
    if ((shown.length - 1 - index) % labelEvery === 0) {
      parts.push(
        html`<text class="tick" x="${centre}" y="${baseline + 16}" text-anchor="middle">${labels[index]}</text>`,
      );
    }
  });
  parts.push(html`<line class="axis" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${baseline}" y2="${baseline}"/>
<text class="axis-label" x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 6}" text-anchor="middle">Run (UTC)</text>`);

  const title = `Failing findings over the last ${shown.length === 1 ? 'run' : `${shown.length} runs`}`;
  const desc = `From ${describePoint(shown[0]!)} to ${describePoint(shown.at(-1)!)}. Highest: ${Math.max(...failing)} failing.`;
  return svg(title, desc, parts);
}
