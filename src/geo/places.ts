/**
 * Where a Wi-Fi scan or cell-tower finding puts the device, from the lab's position tables (src/store/positions.ts):
 * each access point or tower the finding carries, looked up; an estimate (the mean of the located ones weighted by
 * 1/accuracy²); and the country of each tower's MCC (src/geo/mcc.ts), which needs no table. A wifi-scan finding
 * carries its BSSIDs in the personal detail `bssids` (up to 32; older findings only the three of their value); a
 * cell-tower finding its towers in `cells` (`mcc,mnc,lac,cid`, up to 32; older findings only the first, in their
 * value). A tower no table holds is placed by its area when the tables hold other cells of the same MCC, MNC and
 * LAC/TAC: their centre, with a radius covering them (at least MIN_AREA_RADIUS_M). The summary (counts,
 * countries) says nothing personal; the points and the estimate are the child's location and leave only with a
 * reveal.
 */
import type { Finding } from '../model/finding.ts';
import type { Position, StorePositions } from '../store/positions.ts';
import { countryOfMcc, type MccCountry } from './mcc.ts';
import { bssidKey } from './position-files.ts';

/** Accuracy assumed for a row whose source gave none: a Wi-Fi access point's reach, a city cell's. */
const DEFAULT_ACCURACY_M = { 'access-point': 50, cell: 1000 } as const;
const EARTH_RADIUS_M = 6_371_000;
/** Cells of an area read to place a tower by it (an urban LAC holds hundreds; their centre settles long before). */
const MAX_AREA_CELLS = 2000;
/**
 * Least radius given to a tower placed by its area: a LAC/TAC spans kilometres, and a table holding one or two of
 * its cells says little of its extent.
 */
const MIN_AREA_RADIUS_M = 3000;

/** The subtypes that can be placed. */
export const PLACED_SUBTYPES = new Set(['wifi-scan', 'cell-tower']);

export interface PlacedPoint extends Position {
  kind: 'access-point' | 'cell';
  /** The BSSID (`3c:37:86:5d:75:d4`) or the cell (`460,0,4566,6758`): personal, as the finding's value. */
  label: string;
  /** A tower no table holds, placed by the centre of this many cells of its area (same MCC, MNC, LAC/TAC). */
  areaCells?: number;
}

/** What can be said without revealing anything. */
export interface PlacesSummary {
  kind: 'access-point' | 'cell';
  /** Access points or towers the finding counted (detail.accessPoints / detail.towers). */
  counted: number;
  /** Of those, the ones the finding kept to look up (none once its values were purged). */
  kept: number;
  /** Of those, the ones the lab's tables place (towers placed by their area not counted). */
  located: number;
  /** Towers no table holds, placed by their area instead (cell-tower findings only). */
  byArea?: number;
  /** Countries of the towers' MCCs. */
  countries: MccCountry[];
}

export interface Places extends PlacesSummary {
  points: PlacedPoint[];
  /** The weighted mean of the points, with a radius that covers their spread and accuracy. */
  estimate?: Position;
}

interface Cell {
  mcc: string;
  key: { mcc: number; mnc: number; lac: number; cid: number };
  label: string;
}

/** The towers a cell-tower finding kept (personal detail `cells`; older findings only the first, in their value). */
function cellsOf(f: Finding): Cell[] {
  const listed = f.evidence.detail?.cells;
  const texts = typeof listed === 'string' ? listed.split(' ') : [f.evidence.value ?? ''];
  return texts.flatMap((text) => {
    const m = /^(\d{3}),(\d{1,3}),(\d{1,6}),(\d{1,10})/.exec(text);
    if (!m) return [];
    const [, mcc, mnc, lac, cid] = m as unknown as [string, string, string, string, string];
    return [{ mcc, key: { mcc: +mcc, mnc: +mnc, lac: +lac, cid: +cid }, label: `${mcc},${+mnc},${+lac},${+cid}` }];
  });
}

function bssidsOf(f: Finding): string[] {
  const listed = f.evidence.detail?.bssids;
  const text = typeof listed === 'string' ? listed : (f.evidence.value ?? '').replaceAll('|', ' ');
  return text.split(' ').filter((b) => bssidKey(b) !== undefined);
}

/** The finding placed (points and estimate included: only for a reveal), or undefined for another subtype. */
export function placesOf(f: Finding, positions: StorePositions): Places | undefined {
  if (f.subtype === 'wifi-scan') {
    const bssids = bssidsOf(f);
    const points: PlacedPoint[] = [];
    for (const label of bssids) {
      const p = positions.wifi(bssidKey(label)!);
      if (p) points.push({ kind: 'access-point', label, ...p });
    }
    const counted = Number(f.detail?.accessPoints) || bssids.length;
    return placed('access-point', counted, bssids.length, points, []);
  }
  if (f.subtype === 'cell-tower') {
    const cells = cellsOf(f);
    const points: PlacedPoint[] = [];
    let byArea = 0;
    for (const c of cells) {
      const p: (Position & { areaCells?: number }) | undefined = positions.cell(c.key) ?? areaOf(c, positions);
      if (p?.areaCells !== undefined) byArea++;
      if (p) points.push({ kind: 'cell', label: c.label, ...p });
    }
    const countries = [...new Set(cells.map((c) => c.mcc))]
      .map(countryOfMcc)
      .filter((c): c is MccCountry => c !== undefined);
    const places = placed('cell', Number(f.detail?.towers) || cells.length, cells.length, points, countries);
    return byArea > 0 ? { ...places, located: places.located - byArea, byArea } : places;
  }
  return undefined;
}

/** Where a tower no table holds may be: the centre of its area's known cells, undefined when none is known. */
function areaOf(c: Cell, positions: StorePositions): (Position & { areaCells: number }) | undefined {
  const known = positions.cellsInArea(c.key, MAX_AREA_CELLS);
  const centre = estimate(known.map((p) => ({ kind: 'cell', label: '', ...p })));
  if (!centre) return undefined;
  return { ...centre, accuracyM: Math.max(MIN_AREA_RADIUS_M, centre.accuracyM ?? 0), areaCells: known.length };
}

/** The summary of `placesOf`: what the page may show before a reveal. */
export function placesSummary(p: Places): PlacesSummary {
  const { kind, counted, kept, located, countries, byArea } = p;
  return { kind, counted, kept, located, ...(byArea ? { byArea } : {}), countries };
}

function placed(
  kind: PlacedPoint['kind'],
  counted: number,
  kept: number,
  points: PlacedPoint[],
  countries: MccCountry[],
): Places {
  return { kind, counted, kept, located: points.length, countries, points, estimate: estimate(points) };
}

/** Weighted mean (1/accuracy²); its radius: the weighted RMS of each point's distance and accuracy. */
export function estimate(points: PlacedPoint[]): Position | undefined {
  if (points.length === 0) return undefined;
  let sw = 0;
  let lat = 0;
  let lon = 0;
  const acc = (p: PlacedPoint) => p.accuracyM ?? DEFAULT_ACCURACY_M[p.kind];
  for (const p of points) {
    const w = 1 / acc(p) ** 2;
    sw += w;
    lat += w * p.lat;
    lon += w * p.lon;
  }
  const at = { lat: lat / sw, lon: lon / sw };
  let spread = 0;
  for (const p of points) spread += (distanceM(at, p) ** 2 + acc(p) ** 2) / acc(p) ** 2;
  return { ...at, accuracyM: Math.round(Math.sqrt(spread / sw)) };
}

/** Metres between two nearby places (equirectangular: exact enough over a few kilometres). */
export function distanceM(a: Position, b: Position): number {
  const rad = Math.PI / 180;
  const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  const y = (b.lat - a.lat) * rad;
  return Math.hypot(x, y) * EARTH_RADIUS_M;
}
