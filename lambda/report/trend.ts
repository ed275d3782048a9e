/**
 * The failing-findings trend of one tenant over its recent runs, as an inline SVG bar chart for the HTML report. Pure
 * string building: no script, no external resource, readable when printed, and described for screen readers (role
 * "img" with a <title> and a <desc>, a <title> per bar) with the numbers also given as a table by the caller.
 */
import { escapeHtml } from './escape';
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
  const points = [...history].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
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
  const spanDays = valid.length > 1 ? (Math.max(...valid) - Math.min(...valid)) / 86_400_000 : 0;
  return points.map((p, i) => {
    const t = times[i]!;
    if (Number.isNaN(t)) return p.runId.slice(0, 10);
    const iso = new Date(t).toISOString();
    if (points.length === 1) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
    return spanDays < 2 ? iso.slice(11, 16) : iso.slice(5, 10);
  });
}

function describePoint(point: TrendPoint): string {
  const when = Number.isNaN(Date.parse(point.at)) ? point.at : new Date(point.at).toISOString().slice(0, 16).replace('T', ' ');
  return `${when} UTC (run ${point.runId}): ${point.failing} failing, ${point.new} new, ${point.resolved} resolved`;
}

export function renderTrendSvg(points: readonly TrendPoint[], options: TrendChartOptions = {}): string {
  const id = options.idPrefix ?? 'trend';
  const shown = points.slice(-(options.maxPoints ?? DEFAULT_TREND_POINTS));
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  const open = `<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="${escapeHtml(titleId)} ${escapeHtml(descId)}" data-points="${shown.length}">`;
  if (shown.length === 0) {
    return `${open}<title id="${escapeHtml(titleId)}">Failing findings per run</title><desc id="${escapeHtml(descId)}">No runs recorded yet.</desc><text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" class="axis-label">No runs recorded yet</text></svg>`;
  }

  const first = shown[0]!;
  const last = shown[shown.length - 1]!;
  const top = niceMax(Math.max(...shown.map((p) => p.failing)));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = plotWidth / shown.length;
  const barWidth = Math.max(2, Math.min(40, slot * 0.7));
  const y = (value: number) => MARGIN.top + plotHeight - (value / top) * plotHeight;
  const round = (n: number) => Math.round(n * 10) / 10;
  const parts: string[] = [open];

  parts.push(`<title id="${escapeHtml(titleId)}">Failing findings over the last ${shown.length} run${shown.length === 1 ? '' : 's'}</title>`);
  parts.push(
    `<desc id="${escapeHtml(descId)}">${escapeHtml(
      `From ${describePoint(first)} to ${describePoint(last)}. Highest: ${Math.max(...shown.map((p) => p.failing))} failing.`,
    )}</desc>`,
  );

  // Horizontal grid with the count on the left: 0, half and the top of the scale.
  for (const tick of [0, top / 2, top]) {
    const ty = round(y(tick));
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ty}" y2="${ty}"/>`);
    parts.push(`<text class="tick" x="${MARGIN.left - 6}" y="${round(ty + 4)}" text-anchor="end">${round(tick)}</text>`);
  }
  parts.push(
    `<text class="axis-label" transform="translate(12 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">Failing</text>`,
  );

  const labels = labelsFor(shown);
  const labelEvery = Math.ceil(shown.length / MAX_X_LABELS);
  shown.forEach((point, index) => {
    const x = MARGIN.left + index * slot + (slot - barWidth) / 2;
    const barTop = y(point.failing);
    // A run with nothing failing still gets a visible (green) stub: a missing bar would read as a missing run.
    const height = Math.max(point.failing > 0 ? 1 : 2, MARGIN.top + plotHeight - barTop);
    const isLast = index === shown.length - 1;
    parts.push(
      `<rect class="bar${isLast ? ' bar-current' : ''}${point.failing === 0 ? ' bar-zero' : ''}" data-run-id="${escapeHtml(point.runId)}" x="${round(x)}" y="${round(MARGIN.top + plotHeight - height)}" width="${round(barWidth)}" height="${round(height)}"><title>${escapeHtml(describePoint(point))}</title></rect>`,
    );
    if (barWidth >= 12 || isLast) {
      parts.push(
        `<text class="value" x="${round(x + barWidth / 2)}" y="${round(MARGIN.top + plotHeight - height - 4)}" text-anchor="middle">${point.failing}</text>`,
      );
    }
    // Label every n-th run counting back from the latest, so the current run always has its label.
    if ((shown.length - 1 - index) % labelEvery === 0) {
      parts.push(
        `<text class="tick" x="${round(x + barWidth / 2)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${escapeHtml(labels[index]!)}</text>`,
      );
    }
  });
  parts.push(
    `<line class="axis" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}"/>`,
  );
  parts.push(
    `<text class="axis-label" x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 6}" text-anchor="middle">Run (UTC)</text>`,
  );
  parts.push('</svg>');
  return parts.join('');
}
