/**
 * ISO-8601 durations (`P365D`, `PT24H`, `P1Y2M`, `P2W`), as Qlik uses them for `max_api_key_expiry`.
 *
 * Years and months have no fixed length, so two durations are compared the way ISO 8601 and Temporal do: by adding
 * each to the same instant. The rules use the evaluation time, because that is what the config means in practice: a
 * key created now may live until `now + max_api_key_expiry`.
 */

import { DAY_MS, HOUR_MS } from '../util/time';

export interface IsoDuration {
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

/** ISO-8601 duration, upper case as Qlik writes it; at least one component, a `T` only before a time component. */
export const ISO_DURATION_PATTERN =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/** Parses an ISO-8601 duration; `undefined` when the text is not one. */
export function parseIsoDuration(text: string): IsoDuration | undefined {
  const match = ISO_DURATION_PATTERN.exec(text);
  if (!match) return undefined;
  const whole = (part: string | undefined): number => (part === undefined ? 0 : Number(part));
  return {
    years: whole(match[1]),
    months: whole(match[2]),
    weeks: whole(match[3]),
    days: whole(match[4]),
    hours: whole(match[5]),
    minutes: whole(match[6]),
    seconds: match[7] === undefined ? 0 : Number(match[7].replace(',', '.')),
  };
}

/**
 * The instant `duration` after `start`, in UTC. A month added to the 31st lands on the last day of a shorter month
 * (as Temporal's "constrain"), rather than spilling into the next month as `Date#setUTCMonth` would.
 */
export function addIsoDuration(start: Date, duration: IsoDuration): Date {
  const totalMonths = start.getUTCMonth() + duration.months + duration.years * 12;
  const year = start.getUTCFullYear() + Math.floor(totalMonths / 12);
  const month = ((totalMonths % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const calendar = Date.UTC(
    year,
    month,
    Math.min(start.getUTCDate(), lastDay),
    start.getUTCHours(),
    start.getUTCMinutes(),
    start.getUTCSeconds(),
    start.getUTCMilliseconds(),
  );
  const exactMs =
    ((duration.weeks * 7 + duration.days) * 24 + duration.hours) * HOUR_MS +
    duration.minutes * 60_000 +
    duration.seconds * 1000;
  return new Date(calendar + exactMs);
}

/** Negative when `a` is shorter than `b`, 0 when equal, positive when longer — measured from `relativeTo`. */
export function compareIsoDurations(a: IsoDuration, b: IsoDuration, relativeTo: Date): number {
  return addIsoDuration(relativeTo, a).getTime() - addIsoDuration(relativeTo, b).getTime();
}

/** Length in days from `relativeTo`, rounded to two decimals, for evidence people can read. */
export function durationInDays(duration: IsoDuration, relativeTo: Date): number {
  const ms = addIsoDuration(relativeTo, duration).getTime() - relativeTo.getTime();
  return Math.round((ms / DAY_MS) * 100) / 100;
}
