/**
 * HTML escaping for the report. Everything the page shows that came from a tenant (names, messages, evidence) or from
 * a file (policy, exceptions) is text, and text is escaped by default: the `html` template tag escapes every value it
 * is given unless that value is markup the tag built itself. Forgetting to escape is then not possible, only
 * deliberately marking a string as markup with `trustedHtml`. Text is made safe first (lambda/util/tenant-text.ts):
 * controls, bidi overrides and invisible format characters show escaped; a line feed stays, as whitespace (or as a
 * line inside `<pre>`, where only our own fix steps go).
 */
import { escapeUnsafeKeepingLines } from '../util/tenant-text';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Safe in element content and in quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return escapeUnsafeKeepingLines(String(value)).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Markup known to be safe: built by {@link html}, or a constant of our own. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** What may be put in an `html` template: text (escaped), markup, lists of either, or nothing. */
export type HtmlValue = SafeHtml | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((v: HtmlValue) => render(v)).join('');
  // `false`, null and undefined render as nothing, so `${cond && html`…`}` reads naturally.
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

/** Template tag: the literal parts are markup, every interpolated value is escaped unless it is {@link SafeHtml}. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Marks a constant of our own (a style sheet) as markup. Never for data. */
export function trustedHtml(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
