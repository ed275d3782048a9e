/**
 * Text helpers for alert builders: length limits that never break a character, and a last line of defence against
 * anything token-shaped reaching an inbox or a chat channel.
 */

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

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
  for (const { segment } of graphemes.segment(text)) {
    if (out.length + segment.length > budget) break;
    out += segment;
  }
  return out + ellipsis;
}

/** One line: control characters and line breaks become spaces, runs of whitespace collapse. */
export function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ').trim();
}

/** Keeps line breaks but drops other control characters (a stray ESC or NUL in a name must not reach a terminal). */
export function stripControls(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/[^\P{Cc}\n\t]/gu, ' ');
}

const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
const SECRET_ASSIGNMENT =
  /\b(client_secret|access_token|refresh_token|api_?key|password)(["']?\s*[:=]\s*["']?)[^\s"'&,;]{4,}/gi;

/**
 * Replaces token-shaped text (JWTs such as Qlik API keys, Authorization header values, `secret=` pairs) with
 * `[redacted]`. Builders render only whitelisted fields; this catches a token pasted where no one expects it, such as
 * an API key's description.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(JWT, '[redacted]')
    .replace(AUTH_SCHEME, '$1 [redacted]')
    .replace(SECRET_ASSIGNMENT, '$1$2[redacted]');
}

/** Field text for an alert: secrets redacted, one line, length-capped. */
export function field(text: string, max: number): string {
  return truncate(oneLine(redactSecrets(text)), max);
}

/** Paragraph text for an alert: secrets redacted, control characters removed, length-capped. */
export function paragraph(text: string, max: number): string {
  return truncate(stripControls(redactSecrets(text)).trim(), max);
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** UTF-16 code units: how Slack and most chat limits count characters. */
export function utf16Length(text: string): number {
  return text.length;
}

/**
 * Collects lines up to a size budget, measured by `measure` (UTF-8 bytes by default, as SNS counts). Once a line
 * does not fit, nothing more is added and the text ends with `overflowLine`, whose size is reserved up front so the
 * final text always fits.
 */
export class BoundedText {
  private readonly lines: string[] = [];
  private size = 0;
  private full = false;
  private readonly reserve: number;

  constructor(
    private readonly max: number,
    private readonly overflowLine: string,
    private readonly measure: (text: string) => number = utf8Bytes,
  ) {
    this.reserve = measure(overflowLine) + 1;
  }

  /** Adds a line; false once the budget is spent (callers may stop early). */
  add(line: string): boolean {
    if (this.full) return false;
    const cost = this.measure(line) + 1;
    if (this.size + cost + this.reserve > this.max) {
      this.full = true;
      return false;
    }
    this.lines.push(line);
    this.size += cost;
    return true;
  }

  /** Adds lines in order until one does not fit. */
  addAll(lines: Iterable<string>): boolean {
    for (const line of lines) if (!this.add(line)) return false;
    return true;
  }

  get truncated(): boolean {
    return this.full;
  }

  toString(): string {
    return (this.full ? [...this.lines, this.overflowLine] : this.lines).join('\n');
  }
}
