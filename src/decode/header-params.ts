/**
 * Parameters of a structured header value (`type/sub; a=b; c="d e"`, RFC 9110 §5.6.6, plus RFC 8187 `name*=`),
 * as used by Content-Type and Content-Disposition. Lenient: malformed pieces are skipped, never thrown on.
 * It is not a full MIME parser.
 */

/** The value before the first `;`, trimmed and lowercased (`multipart/form-data`, `form-data`). */
export function headerMainValue(value: string): string {
  const i = value.indexOf(';');
  return (i < 0 ? value : value.slice(0, i)).trim().toLowerCase();
}

/**
 * The parameters after the first `;`, names lowercased. Quoted strings are unescaped; `name*=charset''pct` is
 * percent-decoded (UTF-8 or latin-1) and wins over plain `name=`.
 */
export function headerParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  const extended = new Map<string, string>();
  let i = value.indexOf(';');
  if (i < 0) return out;
  const n = value.length;
  while (i < n) {
    i++; // past ';'
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
    const eq = value.indexOf('=', i);
    const semi = value.indexOf(';', i);
    if (eq < 0 || (semi >= 0 && semi < eq)) {
      i = semi < 0 ? n : semi;
      continue;
    }
    const name = value.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
    let v = '';
    if (value[i] === '"') {
      i++;
      while (i < n && value[i] !== '"') {
        if (value[i] === '\\' && i + 1 < n) i++;
        v += value[i];
        i++;
      }
      const next = value.indexOf(';', i);
      i = next < 0 ? n : next;
    } else {
      const next = value.indexOf(';', i);
      v = value.slice(i, next < 0 ? n : next).trim();
      i = next < 0 ? n : next;
    }
    if (name.endsWith('*')) {
      const decoded = decodeExtValue(v);
      if (decoded !== undefined) extended.set(name.slice(0, -1), decoded);
    } else if (name && !out.has(name)) {
      out.set(name, v);
    }
  }
  for (const [k, v] of extended) out.set(k, v);
  return out;
}

/** RFC 8187 `charset'lang'%xx…`; undefined when malformed. */
function decodeExtValue(v: string): string | undefined {
  const m = /^([\w!#$%&+^`{}~-]*)'[\w-]*'(.*)$/.exec(v);
  if (!m) return undefined;
  const bytes: number[] = [];
  const s = m[2]!;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(s.charCodeAt(i) & 0xff);
    }
  }
  const charset = m[1]!.toLowerCase();
  return Buffer.from(bytes).toString(charset === 'iso-8859-1' ? 'latin1' : 'utf8');
}
