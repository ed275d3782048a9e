/**
 * Scenario dates are relative to the simulator's clock (`P10D` = ten days from now, `-P1D` = yesterday) so tests do not
 * rot; an absolute ISO date-time is also accepted. They are resolved on every response, against `now()`.
 */

/** An ISO-8601 date-time, or a signed ISO-8601 duration relative to the sim clock (`P10D`, `-P1D`, `-PT36H`). */
export type TimeRef = string;

const DURATION = /^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** Milliseconds of a signed ISO-8601 duration in weeks, days, hours, minutes and seconds; undefined if it is not one. */
export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text.endsWith('P') || text.endsWith('T')) return undefined;
  const [, sign, weeks, days, hours, minutes, seconds] = match;
  const ms =
    Number(weeks ?? 0) * 604_800_000 +
    Number(days ?? 0) * 86_400_000 +
    Number(hours ?? 0) * 3_600_000 +
    Number(minutes ?? 0) * 60_000 +
    Number(seconds ?? 0) * 1000;
  return sign === '-' ? -ms : ms;
}

export function isTimeRef(text: string): boolean {
  return durationMs(text) !== undefined || (ISO_DATE_TIME.test(text) && !Number.isNaN(Date.parse(text)));
}

export function resolveTime(ref: TimeRef, now: Date): Date {
  const offset = durationMs(ref);
  if (offset !== undefined) return new Date(now.getTime() + offset);
  const absolute = Date.parse(ref);
  if (Number.isNaN(absolute)) throw new RangeError(`not a date-time or duration: ${JSON.stringify(ref)}`);
  return new Date(absolute);
}

/** Qlik's ISO form with milliseconds, e.g. `2024-01-12T09:14:03.511Z`. */
export function isoAt(ref: TimeRef, now: Date): string {
  return resolveTime(ref, now).toISOString();
}

/** The api-keys service prints seconds without milliseconds, e.g. `2026-12-31T00:00:00Z`. */
export function isoSecondsAt(ref: TimeRef, now: Date): string {
  return resolveTime(ref, now)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
}
