/**
 * Every match of a global regex in a text, for scans that run per token: `String#matchAll` copies the RegExp on
 * each call (the spec's species constructor), which cost more than the search on short values.
 */

const NONE: readonly RegExpExecArray[] = Object.freeze([]);

/** The matches of `re` (which must have the `g` flag) in `text`, in order; `re.lastIndex` is left at 0. */
export function matchesIn(re: RegExp, text: string): readonly RegExpExecArray[] {
  re.lastIndex = 0;
  let m = re.exec(text);
  if (m === null) return NONE;
  const out: RegExpExecArray[] = [];
  while (m !== null) {
    out.push(m);
    if (m[0] === '') re.lastIndex++;
    m = re.exec(text);
  }
  re.lastIndex = 0;
  return out;
}
