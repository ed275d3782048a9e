/**
 * A JSON path as people read it in error messages: `tenants[0].url`, `rules.api-key-expiring.windowDays`.
 * By default a key that is not a plain name is quoted in brackets (`findings["a b"]`); `dashesInNames: false` quotes
 * keys with dashes too (ids such as `findings["qag-1"]`), `quoteOddKeys: false` writes every key after a dot.
 */
export function formatPath(
  path: readonly PropertyKey[],
  options: { readonly quoteOddKeys?: boolean; readonly dashesInNames?: boolean } = {},
): string {
  const { quoteOddKeys = true, dashesInNames = true } = options;
  const plainName = dashesInNames ? /^[A-Za-z_$][\w$-]*$/ : /^[A-Za-z_$][\w$]*$/;
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (!quoteOddKeys || (typeof key === 'string' && plainName.test(key)))
      text += text ? `.${String(key)}` : String(key);
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}
