/**
 * Independent checks for the tenant-text tests: code point lists spelled out here, not taken from the module under
 * test, so a gap in the module cannot hide itself.
 */

/** Every character some line reader treats as a line break (Python's str.splitlines is the widest). */
export const LINE_BREAKS = [0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029] as const;

/** Unicode bidi controls: marks, embeddings, overrides, isolates. */
export const BIDI_CONTROLS = [
  0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
] as const;

/** Full-width forms of the formula starters. */
export const FULL_WIDTH_FORMULA = ['\uff1d', '\uff0b', '\uff0d', '\uff20'] as const;

/** Every C0 and C1 control and DEL. */
export const CONTROLS: readonly number[] = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  0x7f,
  ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i),
];

function codePoints(text: string): number[] {
  return [...text].map((char) => char.codePointAt(0) ?? 0);
}

/** Splits on every line break any reader knows (CRLF counts once). */
export function splitAllLineBreaks(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if ((LINE_BREAKS as readonly number[]).includes(code)) {
      lines.push(current);
      current = '';
      if (code === 0x0d && text.charCodeAt(i + 1) === 0x0a) i += 1;
    } else {
      current += text[i];
    }
  }
  lines.push(current);
  return lines;
}

export function hasBidiControl(text: string): boolean {
  return codePoints(text).some((code) => (BIDI_CONTROLS as readonly number[]).includes(code));
}

/** A C0/C1 control or DEL other than the line feed: ESC, CSI, OSC, BEL, CR, NUL... */
export function hasTerminalControl(text: string): boolean {
  return codePoints(text).some((code) => code !== 0x0a && CONTROLS.includes(code));
}

/** A character {@link hasTerminalControl} or {@link hasBidiControl} flags, or a line separator. */
export function hasUnsafeCharacter(text: string): boolean {
  return hasTerminalControl(text) || hasBidiControl(text) || codePoints(text).some((c) => c === 0x2028 || c === 0x2029);
}
