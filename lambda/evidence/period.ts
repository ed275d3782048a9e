/**
 * The audit period from `--from` and `--to`: whole UTC days (`2035-03-01`) or exact instants (`2035-03-01T06:00Z`).
 * A date in `--to` includes that whole day.
 */
import { InputError } from '../errors';
import { DAY_MS } from '../util/time';

export interface PeriodBounds {
  /** First instant (inclusive), epoch ms. */
  readonly startMs: number;
  /** First instant after the period (exclusive), epoch ms. */
  readonly endMs: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

export function parsePeriod(from: string | undefined, to: string | undefined): PeriodBounds {
  const startMs = parseBound(from, '--from', false);
  const endMs = parseBound(to, '--to', true);
  if (endMs <= startMs) {
    throw new InputError('command line', '--to', `a date on or after --from (got --from ${from} --to ${to})`);
  }
  return { startMs, endMs };
}

function parseBound(value: string | undefined, flag: string, isEnd: boolean): number {
  const expected = 'a date such as 2035-03-01 (a whole UTC day) or an ISO date-time such as 2035-03-01T06:00:00Z';
  if (value === undefined) throw new InputError('command line', flag, expected);
  const text = value.trim();
  if (DATE.test(text)) {
    const ms = Date.parse(`${text}T00:00:00.000Z`);
    if (!Number.isNaN(ms) && new Date(ms).toISOString().startsWith(text)) return isEnd ? ms + DAY_MS : ms;
  } else if (DATE_TIME.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return isEnd ? ms + 1 : ms;
  }
  throw new InputError('command line', flag, `${expected} (got ${JSON.stringify(value.slice(0, 40))})`);
}

/** The period as the evidence document states it: both ends inclusive. */
export function periodOf(bounds: PeriodBounds): { from: string; to: string } {
  return { from: new Date(bounds.startMs).toISOString(), to: new Date(bounds.endMs - 1).toISOString() };
}
