/**
 * Text helpers for alert builders: tenant text made safe and length-capped (lambda/util/tenant-text.ts), and a last
 * line of defence against anything token-shaped reaching an inbox or a chat channel.
 */
import { escapeUnsafe, safeLines, tenantText } from '../util/tenant-text';

export { truncate } from '../util/tenant-text';

/**
 * One line: line breaks, controls, bidi and other format characters shown escaped (lambda/util/tenant-text.ts), then
 * runs of whitespace collapsed.
 */
export function oneLine(text: string): string {
  return escapeUnsafe(text).replace(/\s+/g, ' ').trim();
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

/** Field text for an alert: secrets redacted, one safe line, length-capped. */
export function field(text: string, max: number): string {
  return tenantText(oneLine(redactSecrets(text)), max);
}

/**
 * Paragraph text for an alert (a fix with numbered steps): secrets redacted, line feeds kept as the only line breaks,
 * everything else unsafe escaped, length-capped.
 */
export function paragraph(text: string, max: number): string {
  return safeLines(redactSecrets(text).trim(), max);
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

  /**
   * Adds a line; false once the budget is spent (callers may stop early). A line is one line: a line break or any
   * other unsafe character inside it is shown escaped, so the text has exactly the lines its builder added.
   */
  add(text: string): boolean {
    if (this.full) return false;
    const line = escapeUnsafe(text);
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
