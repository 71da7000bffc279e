/**
 * The country of a mobile country code (MCC), offline: from mcc-mnc-list's networks (Wikipedia's list of MCC/MNC
 * assignments, ITU-T E.212), the country most of an MCC's networks are in (310 → US though Guam's networks share
 * it, 234 → GB beside Jersey and Guernsey), with its ISO 3166-1 numeric code from iso-3166-1: the id world-atlas
 * gives each country outline the dashboard's map draws. Test and international codes (001, 901 …) have no country.
 * The table is built on first use (≈ 3,000 records) and kept.
 */
import { iso3166, mccMncList } from '../lazy-packages.ts';

/** A country as the map highlights it. */
export interface MccCountry {
  mcc: string;
  /** ISO 3166-1 alpha-2 (`CN`). */
  alpha2: string;
  /** ISO 3166-1 numeric, three digits (`156`): world-atlas's feature id. */
  numeric: string;
  /** English name (`China`). */
  name: string;
}

let table: Map<string, MccCountry> | undefined;

function build(): Map<string, MccCountry> {
  const votes = new Map<string, Map<string, number>>();
  for (const n of mccMncList().all()) {
    if (!n.mcc || !n.countryCode) continue;
    // `AU/CC/CX`: one MCC for a country and its territories, the country first.
    const code = n.countryCode.split('/')[0]!;
    const v = votes.get(n.mcc) ?? new Map<string, number>();
    v.set(code, (v.get(code) ?? 0) + 1);
    votes.set(n.mcc, v);
  }
  const out = new Map<string, MccCountry>();
  const iso = iso3166();
  for (const [mcc, v] of votes) {
    const [code] = [...v].sort((a, b) => b[1] - a[1])[0]!;
    const c = iso.whereAlpha2(code);
    if (c) out.set(mcc, { mcc, alpha2: c.alpha2, numeric: c.numeric, name: c.country });
  }
  return out;
}

/** The country of `mcc` (three digits), or undefined for a test, international or unknown code. */
export function countryOfMcc(mcc: string): MccCountry | undefined {
  table ??= build();
  return table.get(mcc);
}
