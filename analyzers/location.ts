/**
 * location: where a device (a child) is. Latitude/longitude pairs by key name within one object (range-checked,
 * at least MIN_DECIMALS decimals), `"location":"116.48,39.99"` strings and `[lon, lat]` arrays under location
 * keys, NMEA sentences with valid checksums, geohashes by key, Wi-Fi scan lists (`macs=mac,rssi,ssid|…`,
 * `wifiAccessPoints[]`) and cell towers (`bts=`/`nearbts=`, `cellTowers[]` with MCC/MNC/LAC/CID): a toy that
 * never sends a coordinate still sends its location this way. In free text (a GPS watch's or tracker's line protocol
 * over raw TCP/UDP, a text body) also positions with hemisphere letters and access points with their signal.
 * Not IP geolocation, not a device's own MAC.
 */
import type { Analyzer, AnalyzerContext, AnalyzerState, Verdict } from '../src/model/analyzer.ts';
import type { Token, TokenSource } from '../src/model/token.ts';
import {
  classify,
  isWrappedValueKey,
  K,
  keyedMinLength,
  keyOf,
  lastKeyOf,
  listOf,
  objectKeyOf,
  objectPathOf,
} from './lib/keys.ts';
import { matchesIn } from './lib/matches.ts';
import { ObjectTable } from './lib/objects.ts';
import { Reporter } from './lib/reporter.ts';
import { TextWindow } from './lib/text-window.ts';
import { decimalOf, MAC_WITH_SIGNAL, macOf } from './lib/values.ts';

/** Decimals a coordinate needs: 3 decimals ≈ 110 m; fewer is a region, or not a coordinate at all. */
const MIN_DECIMALS = 3;
/** Objects tracked per message (pairing, access points, cell towers); past it new objects are ignored. */
const MAX_TRACKED_OBJECTS = 1024;
/** Distinct BSSIDs a message must carry to be a Wi-Fi scan (geolocation services need at least two). */
const MIN_ACCESS_POINTS = 2;
const MAX_COUNTED = 256;
/**
 * BSSIDs a wifi-scan finding keeps (personal detail `bssids`) and towers a cell-tower finding keeps (`cells`), for
 * placing it on a map.
 */
const MAX_PLACED_BSSIDS = 32;
const MAX_PLACED_CELLS = 32;
/** The key flags `#keyed` reads. */
const MY_FLAGS =
  K.LAT | K.LON | K.COORDS | K.GEOHASH | K.WIFI_LIST | K.CELL_LIST | K.BSSID | K.SIGNAL | K.MCC | K.MNC | K.LAC | K.CID;
/**
 * The shortest value `#keyed` acts on under each of its flags: a coordinate with MIN_DECIMALS decimals (`1.234`), a
 * coordinate pair string (`1.2,3.4`), a geohash (5), a `mac,rssi` scan string (19), a `mcc,mnc,lac,cid` tower (9),
 * a bare MAC (12); signals and cell fields any.
 */
const KEYED_MINS: ReadonlyArray<readonly [number, number]> = [
  [K.LAT | K.LON, 2 + MIN_DECIMALS],
  [K.COORDS, 7],
  [K.GEOHASH, 5],
  [K.WIFI_LIST, 19],
  [K.CELL_LIST, 9],
  [K.BSSID, 12],
  [K.SIGNAL | K.MCC | K.MNC | K.LAC | K.CID, 1],
];
const GEOHASH = /^[0-9bcdefghjkmnpqrstuvwxyz]{5,12}$/;
const COORD_STRING = /^\s*([-+]?\d{1,3}\.\d+)\s*[,;| ]\s*([-+]?\d{1,3}\.\d+)\s*$/;
const NMEA = /\$(?:G[PNLAB]|BD)(GGA|RMC|GLL|GNS),([^*\r\n$]{10,90})\*([0-9A-Fa-f]{2})/g;
const BTS = /(?<!\d)([2-7]\d\d),(\d{1,3}),(\d{1,6}),(\d{1,10})(?:,(-?\d{1,3}))?/g;
/**
 * Positions in free text with hemisphere letters, as trackers' and kids' watches' line protocols send them, in
 * decimal degrees or NMEA's (d)ddmm.mmmm: `22.570733,N,113.862608,E` (letters after, as fields), `N22.570733,
 * E113.862608` (before), `2233.0000N,11356.0000E` (attached after). Without the letters a pair of decimals in text
 * is anything (a version, a price, a ratio); with them it is a position.
 */
const HEMI_TEXT = [
  /(?<![\w.])(\d{1,4}\.\d+)\s*,\s*([NS])\s*,\s*(\d{1,5}\.\d+)\s*,\s*([EW])(?![A-Za-z])/g,
  /(?<![\w.])([NS])(\d{1,4}\.\d+)\s*[,; ]\s*([EW])(\d{1,5}\.\d+)(?![\w.])/g,
  /(?<![\w.])(\d{1,4}\.\d+)([NS])\s*[,; ]\s*(\d{1,5}\.\d+)([EW])(?![A-Za-z])/g,
] as const;
/** Where each HEMI_TEXT pattern has its latitude, its hemisphere, its longitude and its hemisphere. */
const HEMI_GROUPS = [
  [1, 2, 3, 4],
  [2, 1, 4, 3],
  [1, 2, 3, 4],
] as const;
/** NMEA-shaped sentences, checksum right or not: their fields are the `nmea` subtype's or nobody's. */
const NMEA_SPAN = /\$(?:G[PNLAB]|BD)[A-Z]{3},[^\r\n$]*/g;
/**
 * A position report of the line protocol most children's GPS watches speak (`[3G*8800000015*00CD*UD,date,time,A,
 * lat,N,lon,E,speed,course,altitude,satellites,gsm,battery,steps,rolls,status,cells,ta,mcc,mnc,lac,cid,rssi,…,
 * wifis,ssid,bssid,rssi,…]`; the maker's two letters first): its cell towers are fields by position, with no name.
 * The position and access points are found by HEMI_TEXT and TEXT_AP like any text's.
 */
const WATCH_REPORT = /\[[A-Z0-9]{2}\*\d{10,15}\*[0-9A-Fa-f]{4}\*(?:UD|UD2|UD_LTE|UD_WCDMA|AL|AL_LTE),([^\]]{20,})\]/g;
/** Field of WATCH_REPORT's body holding the number of cells; MCC and MNC follow its timing advance, then the cells. */
const WATCH_CELL_COUNT = 16;
/** An access point in free text: a BSSID followed by its (negative) signal, `ac:84:c6:0d:27:91,-70`. */
const TEXT_AP = /(?<![\w:-])([0-9a-f]{2}(?::[0-9a-f]{2}){5}|[0-9a-f]{2}(?:-[0-9a-f]{2}){5})\s*,\s*-\d{2,3}(?!\d)/gi;

export const location: Analyzer = {
  name: 'location',
  wants: (head) => head.direction === 'upload',
  // Location keys, `[lon, lat]` array elements, strings with a `$` (NMEA), and free text.
  tokens: {
    key: (key) => (classify(key).a & MY_FLAGS) !== 0 || isWrappedValueKey(key),
    keyedMinLength: (key) => keyedMinLength(key, KEYED_MINS),
    elements: true,
    chars: '$',
    sources: ['text'],
  },
  open: (ctx) => new LocationState(ctx),
};

interface Obj {
  lat?: { x: number; decimals: number; path: string };
  lon?: { x: number; decimals: number; path: string };
  /** `[lon, lat]` array elements under a location key. */
  first?: { x: number; decimals: number };
  second?: { x: number; decimals: number };
  bssid?: string;
  /** The BSSID came under a key that only names access points (`bssid`, not the generic `mac`). */
  namedBssid?: boolean;
  signal?: boolean;
  mcc?: string;
  mnc?: string;
  lac?: string;
  cid?: string;
  done?: boolean;
}

class LocationState implements AnalyzerState {
  readonly #out: Reporter;
  readonly #window = new TextWindow();
  readonly #objects = new ObjectTable<Obj>(MAX_TRACKED_OBJECTS);
  readonly #bssids = new Set<string>();
  #bssidPath = '';
  #towers = 0;
  #towerExcerpt = '';
  /** `mcc,mnc,lac,cid` of the towers seen, up to MAX_PLACED_CELLS. */
  readonly #cells: string[] = [];
  #towerPath = '';
  #nmea = 0;
  #nmeaFirst: { sentence: string; path: string } | undefined;

  constructor(ctx: AnalyzerContext) {
    this.#out = new Reporter(ctx, 'location');
  }

  token(t: Token): Verdict {
    if (t.kind === 'boolean' || t.kind === 'null') return undefined;
    const whole = t.offset === 0 && !t.more;
    const a = classify(keyOf(t)).a;
    if (whole && a !== 0) {
      const v = this.#keyed(t, a);
      if (v) return v;
    } else if (whole && t.key === '' && t.kind === 'number') {
      this.#arrayElement(t);
    }
    if (t.kind !== 'string') return undefined;
    const nmea = t.value.includes('$G');
    if (!nmea && t.source !== 'text') return undefined;
    const text = this.#window.text(t);
    if (nmea) this.#scanNmea(t, text);
    return t.source === 'text' ? this.#scanFreeText(t, text) : undefined;
  }

  #keyed(t: Token, a: number): Verdict {
    const v = t.value;
    if (a & (K.LAT | K.LON)) {
      const d = decimalOf(v);
      const limit = a & K.LAT ? 90 : 180;
      if (d && d.decimals >= MIN_DECIMALS && Math.abs(d.x) <= limit) {
        const o = this.#obj(t);
        if (o) {
          if (a & K.LAT) o.lat = { ...d, path: t.path };
          else o.lon = { ...d, path: t.path };
          return this.#pair(o, t);
        }
      }
      return undefined;
    }
    if (a & K.COORDS && t.kind === 'string') {
      const m = COORD_STRING.exec(v);
      if (m) return this.#coordString(t.path, t.source, m[1] as string, m[2] as string);
    }
    if (a & K.GEOHASH && GEOHASH.test(v)) {
      const confidence = v.length >= 6 ? 0.9 : 0.75;
      return this.#out.report({
        subtype: 'geohash',
        confidence,
        excerpt: v,
        path: t.path,
        detail: { chars: v.length },
      });
    }
    if (a & K.WIFI_LIST && t.kind === 'string') this.#wifiString(t);
    if (a & K.CELL_LIST && t.kind === 'string') this.#btsString(t);
    if (a & K.BSSID) {
      const mac = macOf(v, true);
      const o = mac ? this.#obj(t) : undefined;
      if (o && mac) {
        o.bssid = mac;
        o.namedBssid = (a & K.MAC) === 0;
        this.#apObject(t, o);
      }
    }
    if (a & K.SIGNAL && isSignal(v)) {
      const o = this.#obj(t);
      if (o) {
        o.signal = true;
        this.#apObject(t, o);
      }
    }
    if (a & (K.MCC | K.MNC | K.LAC | K.CID) && /^\d{1,10}$/.test(v.trim())) this.#cellField(t, a, v.trim());
    return undefined;
  }

  #pair(o: Obj, t: Token): Verdict {
    const { lat, lon } = o;
    if (!lat || !lon || o.done) return undefined;
    o.done = true;
    if (lat.x === 0 && lon.x === 0) return undefined;
    const decimals = Math.min(lat.decimals, lon.decimals);
    return this.#out.report({
      subtype: 'coordinates',
      confidence: decimals >= 4 ? 0.9 : 0.75,
      excerpt: `${lat.x},${lon.x}`,
      path: objectPathOf(t),
      detail: { decimals, source: t.source },
      personal: { lat: lat.x, lon: lon.x },
    });
  }

  #coordString(path: string, source: TokenSource, s1: string, s2: string): Verdict {
    const a = decimalOf(s1);
    const b = decimalOf(s2);
    if (!a || !b || Math.min(a.decimals, b.decimals) < MIN_DECIMALS) return undefined;
    if (Math.abs(a.x) > 180 || Math.abs(b.x) > 180 || (Math.abs(a.x) > 90 && Math.abs(b.x) > 90)) return undefined;
    if (a.x === 0 && b.x === 0) return undefined;
    const decimals = Math.min(a.decimals, b.decimals);
    return this.#out.report({
      subtype: 'coordinates',
      confidence: decimals >= 4 ? 0.85 : 0.7,
      excerpt: `${s1},${s2}`,
      path,
      detail: { decimals, source },
      personal: { first: a.x, second: b.x },
    });
  }

  /** `"location": [116.481488, 39.990464]`: two numbers in an array under a location key. */
  #arrayElement(t: Token): void {
    const arr = t.parent;
    if (!(classify(lastKeyOf(arr)).a & K.COORDS)) return;
    const d = decimalOf(t.value);
    if (!d) return;
    const o = this.#objAt(objectKeyOf(t));
    if (!o) return;
    if (t.path.endsWith('[0]')) o.first = d;
    else if (t.path.endsWith('[1]') && o.first && !o.done) {
      o.done = true;
      this.#coordString(arr, t.source, String(o.first.x), t.value);
    }
  }

  #wifiString(t: Token): void {
    for (const m of matchesIn(MAC_WITH_SIGNAL, t.value)) {
      const mac = macOf(m[1] as string);
      if (mac) this.#addBssid(mac, t.path);
    }
  }

  #btsString(t: Token): void {
    for (const m of matchesIn(BTS, t.value)) {
      this.#addCell(`${m[1]},${m[2]},${m[3]},${m[4]}`);
      if (this.#towers === 0) {
        this.#towerExcerpt = m[0];
        this.#towerPath = t.path;
      }
      this.#towers++;
    }
  }

  /** An access point object in an array: counted once it has a BSSID and either a signal or a Wi-Fi list key. */
  #apObject(t: Token, o: Obj): void {
    if (!o.bssid) return;
    const arr = listOf(t);
    if (arr === undefined) return;
    if (o.signal || o.namedBssid || classify(lastKeyOf(arr)).a & K.WIFI_LIST) {
      this.#addBssid(o.bssid, arr);
    }
  }

  #addBssid(mac: string, path: string): void {
    if (this.#bssids.size >= MAX_COUNTED) return;
    if (this.#bssids.size === 0) this.#bssidPath = path;
    this.#bssids.add(mac);
  }

  #cellField(t: Token, a: number, v: string): void {
    const o = this.#obj(t);
    if (!o) return;
    if (a & K.MCC) o.mcc = v;
    if (a & K.MNC) o.mnc = v;
    if (a & K.LAC) o.lac = v;
    if (a & K.CID) o.cid = v;
    if (o.done || !o.mcc || !o.cid || o.lac === undefined || o.mnc === undefined) return;
    const mcc = Number(o.mcc);
    if (mcc < 200 || mcc > 799 || Number(o.cid) === 0) return;
    o.done = true;
    const cell = `${o.mcc},${o.mnc},${o.lac},${o.cid}`;
    this.#addCell(cell);
    if (this.#towers === 0) {
      this.#towerExcerpt = cell;
      this.#towerPath = objectPathOf(t);
    }
    this.#towers++;
  }

  /** The cells of a watch's position report (WATCH_REPORT): `n,ta,mcc,mnc` then n × `lac,cid,rssi`. */
  #watchCells(t: Token, body: string): void {
    const f = body.split(',');
    const n = Number(f[WATCH_CELL_COUNT]);
    const mcc = Number(f[WATCH_CELL_COUNT + 2]);
    const mnc = f[WATCH_CELL_COUNT + 3] ?? '';
    if (!(n > 0 && n <= 16) || !(mcc >= 200 && mcc <= 799) || !/^\d{1,3}$/.test(mnc)) return;
    for (let i = 0; i < n; i++) {
      const at = WATCH_CELL_COUNT + 4 + 3 * i;
      const lac = f[at] ?? '';
      const cid = f[at + 1] ?? '';
      if (!/^\d{1,6}$/.test(lac) || !/^\d{1,10}$/.test(cid) || Number(cid) === 0) return;
      const cell = `${mcc},${mnc},${lac},${cid}`;
      if (this.#towers === 0) {
        this.#towerExcerpt = cell;
        this.#towerPath = t.path;
      }
      this.#addCell(cell);
      this.#towers++;
    }
  }

  #addCell(cell: string): void {
    if (this.#cells.length < MAX_PLACED_CELLS) this.#cells.push(cell);
  }

  #scanNmea(t: Token, text: string): void {
    for (const m of matchesIn(NMEA, text)) {
      if (!nmeaChecksumOk(m[0]) || !hasPosition(m[1] as string, m[2] as string)) continue;
      this.#nmea++;
      this.#nmeaFirst ??= { sentence: m[0], path: t.path };
    }
  }

  /** Free text: positions with hemisphere letters (outside NMEA sentences) and access points with a signal. */
  #scanFreeText(t: Token, text: string): Verdict {
    if (text.includes(',')) {
      for (const m of matchesIn(TEXT_AP, text)) {
        const mac = macOf(m[1] as string);
        if (mac) this.#addBssid(mac, t.path);
      }
    }
    if (text.includes('*')) for (const m of matchesIn(WATCH_REPORT, text)) this.#watchCells(t, m[1] as string);
    if (!/\d[NSEW]|[NSEW]\s*,|[NS]\d/.test(text)) return undefined;
    const sentences = text.includes('$') ? [...matchesIn(NMEA_SPAN, text)] : [];
    const inSentence = (at: number) => sentences.some((s) => at >= s.index && at < s.index + s[0].length);
    for (let p = 0; p < HEMI_TEXT.length; p++) {
      const [la, ns, lo, ew] = HEMI_GROUPS[p]!;
      for (const m of matchesIn(HEMI_TEXT[p]!, text)) {
        if (inSentence(m.index)) continue;
        const lat = degreesOf(m[la] as string, 90);
        const lon = degreesOf(m[lo] as string, 180);
        if (!lat || !lon || (lat.x === 0 && lon.x === 0)) continue;
        const y = m[ns] === 'S' ? -lat.x : lat.x;
        const x = m[ew] === 'W' ? -lon.x : lon.x;
        const v = this.#out.report({
          subtype: 'coordinates',
          confidence: 0.9,
          excerpt: m[0],
          path: t.path,
          detail: { decimals: Math.min(lat.decimals, lon.decimals), source: t.source, form: lat.form },
          personal: { lat: round6(y), lon: round6(x) },
        });
        if (v) return v;
      }
    }
    return undefined;
  }

  #obj(t: Token): Obj | undefined {
    return this.#objAt(objectKeyOf(t));
  }

  #objAt(key: number): Obj | undefined {
    let o = this.#objects.get(key);
    if (!o && !this.#objects.full) {
      o = {};
      this.#objects.add(key, o);
    }
    return o;
  }

  end(): void {
    if (this.#bssids.size >= MIN_ACCESS_POINTS) {
      const n = this.#bssids.size;
      const bssids = [...this.#bssids];
      this.#out.report({
        subtype: 'wifi-scan',
        confidence: n >= 3 ? 0.95 : 0.85,
        excerpt: bssids.slice(0, 3).join('|'),
        path: this.#bssidPath,
        detail: { accessPoints: n },
        // Every BSSID (up to MAX_PLACED_BSSIDS), for the dashboard's map to place from the lab's position tables.
        personal: { bssids: bssids.slice(0, MAX_PLACED_BSSIDS).join(' ') },
      });
    }
    if (this.#towers > 0) {
      this.#out.report({
        subtype: 'cell-tower',
        confidence: 0.85,
        excerpt: this.#towerExcerpt,
        path: this.#towerPath,
        detail: { towers: this.#towers },
        // Every tower (up to MAX_PLACED_CELLS), for the dashboard's map, as for a scan's BSSIDs.
        personal: { cells: this.#cells.join(' ') },
      });
    }
    if (this.#nmeaFirst) {
      const { sentence, path } = this.#nmeaFirst;
      this.#out.report({
        subtype: 'nmea',
        confidence: 0.95,
        excerpt: sentence,
        path,
        detail: { sentences: this.#nmea },
      });
    }
  }
}

/** A signal level: 1 to 3 digits, a minus sign allowed (`/^-?\d{1,3}$/` once trimmed), read by hand: it runs per access point. */
function isSignal(value: string): boolean {
  const v = value.trim();
  const from = v.charCodeAt(0) === 0x2d ? 1 : 0;
  if (v.length - from < 1 || v.length - from > 3) return false;
  for (let i = from; i < v.length; i++) if ((v.charCodeAt(i) - 0x30) >>> 0 > 9) return false;
  return true;
}

/**
 * A latitude (`limit` 90) or longitude (180) written in decimal degrees (`22.570733`, at least MIN_DECIMALS
 * decimals) or NMEA's (d)ddmm.mm (`2233.0000`, `11356.0000`: four or five digits before the point, minutes under
 * 60), as a positive number of degrees; undefined when out of range or too coarse. `decimals` is the decimal
 * degrees' count, or for minutes the count that gives the same precision (0.01′ ≈ 18 m ≈ 4 decimals of a degree).
 */
function degreesOf(s: string, limit: number): { x: number; decimals: number; form: 'degrees' | 'ddmm' } | undefined {
  const point = s.indexOf('.');
  const places = s.length - point - 1;
  let x: number;
  let decimals: number;
  let form: 'degrees' | 'ddmm';
  if (point <= (limit === 90 ? 2 : 3)) {
    if (places < MIN_DECIMALS) return undefined;
    x = Number(s);
    decimals = places;
    form = 'degrees';
  } else if (point === 4 || point === 5) {
    const minutes = Number(s.slice(point - 2));
    if (places < 2 || minutes >= 60) return undefined;
    x = Number(s.slice(0, point - 2)) + minutes / 60;
    decimals = places + 2;
    form = 'ddmm';
  } else {
    return undefined;
  }
  return x <= limit ? { x, decimals, form } : undefined;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** XOR of the characters between `$` and `*` equals the two hex digits after `*`. */
export function nmeaChecksumOk(sentence: string): boolean {
  const star = sentence.lastIndexOf('*');
  let x = 0;
  for (let i = 1; i < star; i++) x ^= sentence.charCodeAt(i);
  return x === Number.parseInt(sentence.slice(star + 1, star + 3), 16);
}

/** The sentence carries a latitude field (`ddmm.mmmm`) with a hemisphere: not an empty fix. */
function hasPosition(type: string, body: string): boolean {
  const f = body.split(',');
  const at = type === 'RMC' ? 2 : type === 'GLL' ? 0 : 1;
  return /^\d{4}\.\d+$/.test(f[at] ?? '') && /^[NS]$/.test(f[at + 1] ?? '');
}
