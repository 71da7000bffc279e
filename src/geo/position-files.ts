/**
 * Reading the position files labs have into rows for the store's position tables (src/store/positions.ts), line by
 * line from a stream (gzip or not), never the whole file: OpenCellID's cell export (`radio,mcc,net,area,cell,unit,
 * lon,lat,range,samples,changeable,created,updated,averageSignal`, with that header or, as its per-country files,
 * without), WiGLE's CSV export (`WigleWifi-1.x,…` then `MAC,SSID,…,RSSI,CurrentLatitude,CurrentLongitude,
 * AltitudeMeters,AccuracyMeters,Type`: one row per sighting, by the observer's position) and a plain
 * `bssid,lat,lon[,accuracy_m]` table (header optional). The format is told by the first line; a file it fits none of,
 * or whose first rows are all bad, is a one-line error; a bad row further on is skipped and counted.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../errors.ts';
import type { CellRow, WifiRow } from '../store/positions.ts';
import { searchKey } from '../store/search.ts';

export type PositionFormat = 'opencellid' | 'wigle' | 'bssid-csv';

/** What one line of a file gave. */
export type PositionLine = { wifi: WifiRow } | { cell: CellRow } | { skip: string };

/** Data lines that may all be bad before the file is taken for something else (a one-line error). */
export const MAX_BAD_LEADING_ROWS = 100;
/** Characters of a line read, at most: a longer one is not a position row (and must not cost memory). */
export const MAX_POSITION_LINE_CHARS = 4096;

const OPENCELLID_COLUMNS =
  'radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal';
const RADIOS = new Set(['GSM', 'UMTS', 'LTE', 'CDMA', 'NR']);
const WIGLE_NEEDS = ['MAC', 'RSSI', 'CurrentLatitude', 'CurrentLongitude', 'AccuracyMeters', 'Type'];

/** A line's fields: split on commas, with RFC 4180 quotes (a WiGLE SSID may hold a comma). */
export function csvFields(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/** A latitude/longitude pair, or the reason it is not one. */
function place(latText: string | undefined, lonText: string | undefined): { lat: number; lon: number } | string {
  const lat = Number(latText);
  const lon = Number(lonText);
  if (!latText || !Number.isFinite(lat) || Math.abs(lat) > 90) return `latitude '${latText ?? ''}' is not one`;
  if (!lonText || !Number.isFinite(lon) || Math.abs(lon) > 180) return `longitude '${lonText ?? ''}' is not one`;
  if (lat === 0 && lon === 0) return 'position 0,0 (no fix)';
  return { lat, lon };
}

/** A BSSID as the store keys it (search key: 12 hex digits), or undefined for anything else. */
export function bssidKey(text: string): string | undefined {
  const k = searchKey(text);
  return /^[0-9a-f]{12}$/.test(k) && k !== '000000000000' && k !== 'ffffffffffff' ? k : undefined;
}

const wholeNumber = (s: string | undefined): number | undefined =>
  s !== undefined && /^\d{1,15}$/.test(s.trim()) ? Number(s) : undefined;

/** Reads the lines of one format after its header. */
interface LineReader {
  format: PositionFormat;
  line(fields: string[]): PositionLine;
}

function openCellId(mcc: ReadonlySet<number> | undefined): LineReader {
  return {
    format: 'opencellid',
    line(f) {
      if (f.length < 10) return { skip: `${f.length} fields, expected 14` };
      const [radio, mccText, net, area, cellText, , lon, lat, range, samples] = f;
      const key = [mccText, net, area, cellText].map(wholeNumber);
      if (key.some((x) => x === undefined))
        return { skip: `cell '${[mccText, net, area, cellText].join(',')}' is not numeric` };
      const [m, mnc, lac, cid] = key as number[];
      if (mcc && !mcc.has(m!)) return { skip: 'other MCC' };
      const p = place(lat, lon);
      if (typeof p === 'string') return { skip: p };
      const accuracyM = Number(range);
      return {
        cell: {
          mcc: m!,
          mnc: mnc!,
          lac: lac!,
          cid: cid!,
          radio: radio || undefined,
          ...p,
          accuracyM: accuracyM > 0 ? accuracyM : undefined,
          samples: wholeNumber(samples),
        },
      };
    },
  };
}

function wigle(header: string[]): LineReader {
  const at = Object.fromEntries(header.map((name, i) => [name.trim(), i]));
  const missing = WIGLE_NEEDS.filter((n) => at[n] === undefined);
  if (missing.length > 0) throw new Error(`WiGLE header lacks ${missing.join(', ')}`);
  const col = (f: string[], name: string) => f[at[name] as number];
  return {
    format: 'wigle',
    line(f) {
      const type = col(f, 'Type');
      if (type !== 'WIFI') return { skip: `${type || 'no'} type (Wi-Fi rows only)` };
      const bssid = bssidKey(col(f, 'MAC') ?? '');
      if (!bssid) return { skip: `MAC '${col(f, 'MAC') ?? ''}' is not one` };
      const p = place(col(f, 'CurrentLatitude'), col(f, 'CurrentLongitude'));
      if (typeof p === 'string') return { skip: p };
      const accuracy = Number(col(f, 'AccuracyMeters'));
      const rssi = Number(col(f, 'RSSI'));
      // A stronger sighting was made nearer the access point: weight by the signal's amplitude (−50 dBm ≈ 100×
      // −90 dBm); no signal counts as −100 dBm.
      const dbm = Number.isFinite(rssi) && rssi < 0 ? Math.max(rssi, -120) : -100;
      return { wifi: { bssid, ...p, accuracyM: accuracy > 0 ? accuracy : undefined, weight: 10 ** (dbm / 20) } };
    },
  };
}

const bssidCsv: LineReader = {
  format: 'bssid-csv',
  line(f) {
    const bssid = bssidKey(f[0] ?? '');
    if (!bssid) return { skip: `BSSID '${f[0] ?? ''}' is not one` };
    const p = place(f[1], f[2]);
    if (typeof p === 'string') return { skip: p };
    const accuracy = f[3] === undefined || f[3].trim() === '' ? undefined : Number(f[3]);
    if (accuracy !== undefined && !(accuracy > 0)) return { skip: `accuracy '${f[3]}' is not a distance in metres` };
    return { wifi: { bssid, ...p, accuracyM: accuracy } };
  },
};

/**
 * The reader for a file starting with `first` (and, for WiGLE, its header on `second`), and whether `first` is a
 * header (else it is data). Undefined when it is none of the formats.
 */
export function detectFormat(
  first: string,
  mcc?: ReadonlySet<number>,
): { reader: LineReader; header: 'one' | 'two' | 'none' } | undefined {
  const line = first.replace(/^\uFEFF/, '').trim();
  if (line.startsWith('radio,mcc,net,area,cell')) return { reader: openCellId(mcc), header: 'one' };
  // The column header on the next line makes the reader (readPositionFile).
  if (/^WigleWifi-1\.\d+,/.test(line))
    return { reader: { format: 'wigle', line: () => ({ skip: '' }) }, header: 'two' };
  const f = csvFields(line);
  if (RADIOS.has(f[0] ?? '') && f.length === 14) return { reader: openCellId(mcc), header: 'none' };
  if (/^bssid,lat(itude)?,lon(gitude)?/i.test(line)) return { reader: bssidCsv, header: 'one' };
  if (bssidKey(f[0] ?? '') && f.length >= 3) return { reader: bssidCsv, header: 'none' };
  return undefined;
}

export interface ReadOptions {
  /** Only cells of these MCCs (OpenCellID). */
  mcc?: ReadonlySet<number>;
  /** Called with the bytes of the file read so far (compressed bytes for a .gz). */
  progress?(bytesRead: number): void;
}

/** What a file gave, as it went. */
export interface ReadSummary {
  format: PositionFormat;
  lines: number;
  /** Skipped rows by reason (the first reasons only, then counted under 'other'). */
  skipped: Map<string, number>;
}

const MAX_SKIP_REASONS = 8;

/**
 * Reads `path` line by line and calls `take` for each line's result; throws an InputError (one line) when the
 * file cannot be read, fits no format, or its first MAX_BAD_LEADING_ROWS data rows are all bad.
 */
export async function readPositionFile(
  path: string,
  take: (row: PositionLine) => void,
  opts: ReadOptions = {},
): Promise<ReadSummary> {
  const file = createReadStream(path);
  const opened = new Promise<void>((resolve, reject) => {
    file.once('readable', resolve);
    file.once('error', reject);
  });
  try {
    await opened;
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
  }
  const head = file.read(2) as Buffer | null;
  if (head) file.unshift(head);
  const gzip = head !== null && head[0] === 0x1f && head[1] === 0x8b;
  const text: Readable = gzip ? file.pipe(createGunzip()) : file;
  const lines = createInterface({ input: text, crlfDelay: Number.POSITIVE_INFINITY });
  const fail = (why: string) => new InputError(`${path}: ${why}`);
  let n = 0;
  let reader: LineReader | undefined;
  let wigleHeader = false;
  let good = 0;
  let firstBad = '';
  const skipped = new Map<string, number>();
  try {
    for await (const raw of lines) {
      n++;
      if (n % 4096 === 0) opts.progress?.(file.bytesRead);
      if (raw.length > MAX_POSITION_LINE_CHARS)
        throw fail(`line ${n} is longer than ${MAX_POSITION_LINE_CHARS} characters: not a position table`);
      if (reader === undefined) {
        const d = detectFormat(raw, opts.mcc);
        if (!d) {
          throw fail(
            `not a position table: expected an OpenCellID export (${OPENCELLID_COLUMNS.slice(0, 24)}…), a WiGLE CSV (WigleWifi-1.x) or bssid,lat,lon[,accuracy_m]`,
          );
        }
        reader = d.reader;
        wigleHeader = d.header === 'two';
        if (d.header !== 'none') continue;
      } else if (wigleHeader) {
        wigleHeader = false;
        try {
          reader = wigle(csvFields(raw));
        } catch (e) {
          throw fail(`line ${n}: ${(e as Error).message}`);
        }
        continue;
      }
      if (raw.trim() === '') continue;
      const r = reader.line(csvFields(raw));
      if ('skip' in r) {
        // A reason of ours only: it quotes at most one field of the line, and the caller prints it as text.
        firstBad ||= `line ${n}: ${r.skip}`;
        if (good === 0 && n > MAX_BAD_LEADING_ROWS + 2) throw fail(`no position in the first rows (${firstBad})`);
        const reason = skipped.has(r.skip) || skipped.size < MAX_SKIP_REASONS ? r.skip : 'other';
        skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
      } else good++;
      take(r);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw fail(`cannot read line ${n + 1}: ${(e as Error).message}`);
  } finally {
    lines.close();
    file.destroy();
  }
  if (!reader) throw fail('empty file');
  if (wigleHeader) throw fail('WiGLE export without its column header');
  if (good === 0 && firstBad) throw fail(`no position in the file (${firstBad})`);
  opts.progress?.(file.bytesRead);
  return { format: reader.format, lines: n, skipped };
}
