/**
 * Tenant text is data, never structure (docs/tenant-text.md). Tenant users choose their own names, emails and key
 * descriptions; tenant admins name roles, groups and the tenant; error bodies come from the tenant's servers. Any of
 * them may hold a line break that forges a numbered fix step, a terminal escape sequence, a bidi override that
 * reorders what an alert says, or an invisible character that hides part of a name. This module is the one place
 * that turns such a string into text an output can show:
 *
 * - {@link tenantText}: one line. Line breaks (LF, CR, VT, FF, NEL, U+2028, U+2029), every other C0 and C1 control,
 *   DEL, bidi controls and the other invisible format characters are shown escaped (`\n`, `\u202E`), a tab becomes a
 *   space, and the result is capped with an ellipsis without splitting a character.
 * - {@link quoted}: the same, inside “curly quotes”, for a value that sits in one of our sentences, so that it cannot
 *   read as part of the sentence (quotes inside the value are escaped too).
 * - {@link safeLines}: our own multi-line text (numbered fix steps) whose line feeds are structure: each line is made
 *   safe, nothing but LF separates lines.
 * - {@link escapeJsonText}: JSON text with the same characters escaped, for machine outputs that keep the exact value
 *   (report.json, OCSF, the chat JSON and the API bodies inside fix steps).
 *
 * Output-specific escaping (HTML entities, Slack mrkdwn, CSV quoting and its formula guard) still applies on top.
 */

/** A tenant value shown in prose: long enough for any real name, short enough that a megabyte name stays small. */
export const TENANT_TEXT_MAX = 200;
/** One of our sentences with tenant values in it (a finding's message), as the reports show it. */
export const PROSE_MAX = 4_000;
/** A fix with its numbered steps, as the reports show it. */
export const FIX_MAX = 8_000;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Characters that are never shown as they are: C0 and C1 controls and DEL (Cc), format characters (Cf: bidi
 * embeddings, overrides and isolates, U+061C, U+200E/F, zero-width space, word joiner, BOM, tag characters...), line
 * and paragraph separators (Zl, Zp) and lone surrogates (Cs). Zero-width joiner and non-joiner (U+200C, U+200D) are
 * let through: emoji sequences and several scripts need them, and they neither reorder nor hide text.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
/** Anything {@link tenantText} or {@link quoted} would change; most names have none and take the fast path. */
const NEEDS_WORK = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}“”]/u;
const KEPT_FORMAT = new Set(['\u200c', '\u200d']);
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': ' ' };

/** `\u202E`, `\u{E0041}`: the code point, readable and inert. */
function codePointEscape(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const hex = code.toString(16).toUpperCase();
  return code > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
}

function escapeChar(char: string): string {
  if (KEPT_FORMAT.has(char)) return char;
  return SHORT_ESCAPES[char] ?? codePointEscape(char);
}

/** Every unsafe character escaped, line breaks included; no length cap. Idempotent. */
export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/**
 * Cuts `text` to at most `max` UTF-16 code units, ending with `ellipsis` when cut. Cuts fall between grapheme
 * clusters, so a surrogate pair, an emoji sequence or a letter with its accents is never split. UTF-16 units are the
 * strictest common count: a result within `max` is within `max` code points and `max` user-perceived characters too.
 */
export function truncate(text: string, max: number, ellipsis = '…'): string {
  if (text.length <= max) return text;
  const budget = max - ellipsis.length;
  if (budget <= 0) return ellipsis.slice(0, Math.max(0, max));
  let out = '';
  // Only the start can survive the cut: segmenting a multi-megabyte value whole would cost time for nothing.
  for (const { segment } of graphemes.segment(text.slice(0, max + 16))) {
    if (out.length + segment.length > budget) break;
    out += segment;
  }
  return out + ellipsis;
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  return String(value);
}

/**
 * A tenant value as one safe line of at most `max` UTF-16 code units. Escapes only lengthen text, so the value is
 * cut before escaping (a multi-megabyte name costs no more than a short one) and the result cut again after.
 */
export function tenantText(value: unknown, max: number = TENANT_TEXT_MAX): string {
  const text = toText(value);
  if (text.length <= max && !NEEDS_WORK.test(text)) return text;
  const head = text.length > max + 1 ? `${text.slice(0, max + 1)}…` : text;
  const escaped = escapeUnsafe(head);
  if (escaped.length <= max) return escaped;
  // An escape cut in half would read as something else: cut before it instead (again, if that uncovers another).
  let cut = truncate(escaped, max);
  while (PARTIAL_ESCAPE_AT_END.test(cut)) cut = cut.replace(PARTIAL_ESCAPE_AT_END, '…');
  return cut;
}

const PARTIAL_ESCAPE_AT_END = /\\(u(\{[0-9A-F]*|[0-9A-F]{0,3}))?…$/;

/**
 * A tenant value inside one of our sentences: one safe line in “curly quotes”. Curly quotes inside the value are
 * escaped, so the closing quote is always ours.
 */
export function quoted(value: unknown, max: number = TENANT_TEXT_MAX): string {
  const text = toText(value);
  if (text.length <= max && !NEEDS_WORK.test(text)) return `“${text}”`;
  return `“${tenantText(text.replace(/[“”]/g, codePointEscape), max)}”`;
}

/**
 * Our own multi-line text (a fix with numbered steps): line feeds are structure and stay; every other line break
 * (CR, CRLF, VT, FF, NEL, U+2028, U+2029) and unsafe character is escaped within its line, and the whole is capped.
 * Tenant values inside must already be {@link tenantText} or {@link quoted}: this cannot tell our line feeds from
 * theirs.
 */
export function safeLines(text: string, max: number): string {
  const head = text.length > max + 1 ? `${text.slice(0, max + 1)}…` : text;
  const lines = escapeUnsafeKeepingLines(head);
  return lines.length <= max ? lines : truncate(lines, max);
}

/** {@link escapeUnsafe} except for the line feed; no cap. For markup where a line feed is only whitespace. */
export function escapeUnsafeKeepingLines(text: string): string {
  if (!NEEDS_WORK.test(text)) return text;
  return text.split('\n').map(escapeUnsafe).join('\n');
}

/**
 * JSON text with unsafe characters escaped as `\uXXXX`: the parsed value is unchanged, but no raw line separator,
 * control or bidi character is in the bytes, so line readers, terminals and viewers see one inert line. Valid because
 * outside strings JSON text holds only ASCII punctuation, digits, letters and whitespace.
 */
export function escapeJsonText(json: string): string {
  return json.replace(UNSAFE, (char) => {
    if (KEPT_FORMAT.has(char) || char === '\n') return char;
    const code = char.codePointAt(0) ?? 0;
    if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
    // An astral format character (a tag character): JSON spells it as its surrogate pair.
    return char
      .split('')
      .map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .join('');
  });
}

/** JSON.stringify whose output holds no raw control, format or separator character (see {@link escapeJsonText}). */
export function safeJson(value: unknown, replacer?: (key: string, value: unknown) => unknown, space?: number): string {
  return escapeJsonText(JSON.stringify(value, replacer, space) ?? 'null');
}
