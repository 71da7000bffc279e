/** Small value shapes the analyzers share: MAC addresses, decimal coordinates, dates. Pure functions. */

const MAC_SEP = /^([0-9a-f]{2})([:-])[0-9a-f]{2}(\2[0-9a-f]{2}){4}$/i;
const MAC_BARE = /^[0-9a-f]{12}$/i;

/** A MAC address in `aa:bb:cc:dd:ee:ff` / `aa-bb-…` form (or 12 bare hex digits when `bare`), lower-case with colons. */
export function macOf(value: string, bare = false): string | undefined {
  const v = value.trim();
  if (v.length === 17 && MAC_SEP.test(v)) {
    // Already in pairs: lower-case it and make the separators colons (no regex replace on the usual form).
    const lower = v.toLowerCase();
    const mac = lower.charCodeAt(2) === 0x3a ? lower : lower.replaceAll('-', ':');
    return mac === '00:00:00:00:00:00' || mac === 'ff:ff:ff:ff:ff:ff' ? undefined : mac;
  }
  if (!bare || v.length !== 12 || !MAC_BARE.test(v) || !/[a-f]/i.test(v) || !/\d/.test(v)) return undefined;
  const hex = v.toLowerCase();
  if (hex === '000000000000' || hex === 'ffffffffffff') return undefined;
  return hex.replace(/(..)(?!$)/g, '$1:');
}

/** MAC addresses inside a string (`macs=a4:…,-48,ssid|…`), each followed by a signal value. */
export const MAC_WITH_SIGNAL = /([0-9a-f]{2}(?::[0-9a-f]{2}){5}|[0-9a-f]{2}(?:-[0-9a-f]{2}){5}),\s*-?\d{1,3}/gi;

/** A decimal number with its count of decimals (`39.990464` → 6), or undefined for anything else. */
export function decimalOf(value: string): { x: number; decimals: number } | undefined {
  const v = value.trim();
  if (v.length < 3 || v.length > 24 || !/^[-+]?\d{1,3}\.\d+$/.test(v)) return undefined;
  return { x: Number(v), decimals: v.length - v.indexOf('.') - 1 };
}

/** Year of a date-looking value (`2018-05-02`, `20180502`, `2018/5/2`, `2018年5月2日`, ISO date-time). */
export function dateYear(value: string): number | undefined {
  const m = /^((?:19|20)\d{2})(?:[-/.年]?)(\d{1,2})(?:[-/.月]?)(\d{1,2})日?(?:[T ][\d:.]+Z?)?$/.exec(value.trim());
  if (!m) return undefined;
  const month = Number(m[2]);
  const day = Number(m[3]);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 ? Number(m[1]) : undefined;
}
