/** Drives a TlsDecryptSession in tests: feeds the two sides in a given interleaving and logs what it reported. */
import { type TlsDecryptLimits, TlsDecryptSession } from '../../../src/decode/tls-decrypt/session.ts';
import { KeyLog } from '../../../src/decode/tls-keylog.ts';
import type { TlsSide } from '../../../src/decode/tls-records.ts';

/** What a session reported: events other than data in order, the clear bytes per side, and its counters. */
export interface SessionLog {
  events: string[];
  data: Record<TlsSide, Buffer>;
  status: string;
  decrypted: Record<TlsSide, number>;
  undecrypted: Record<TlsSide, number>;
}

/** One write: a side and its bytes (or a gap of `gap` bytes). */
export type Step = { side: TlsSide; bytes: Uint8Array } | { side: TlsSide; gap: number };

export function runSession(keyLog: string, steps: Step[], limits?: TlsDecryptLimits): SessionLog {
  const log = new KeyLog();
  log.add(keyLog);
  const events: string[] = [];
  const data: Record<TlsSide, Buffer[]> = { client: [], server: [] };
  const s = new TlsDecryptSession(
    (r) => log.lookup(r),
    {
      decrypting: (i) => events.push(`decrypting ${i.version} ${i.suite}`),
      data: (side, b) => data[side].push(Buffer.from(b)),
      alert: (side, level, d) => events.push(`alert ${side} ${level} ${d}`),
      keyUpdate: (side) => events.push(`key-update ${side}`),
      earlyData: (n) => events.push(`early-data ${n}`),
      violation: (v) => events.push(`violation ${v.code}`),
    },
    limits,
  );
  for (const st of steps) {
    if ('gap' in st) s.gap(st.side, st.gap);
    else s.write(st.side, st.bytes);
  }
  s.end();
  return {
    events,
    data: { client: Buffer.concat(data.client), server: Buffer.concat(data.server) },
    status: s.status,
    decrypted: s.decrypted,
    undecrypted: s.undecrypted,
  };
}

/** Each side's records, whole, in the order client, server, client, server … (`flights` pairs). */
export function interleave(flights: Array<[TlsSide, string[]]>): Step[] {
  return flights.flatMap(([side, records]) => records.map((r) => ({ side, bytes: Buffer.from(r, 'hex') })));
}

/** All the bytes of one side cut into pieces at `cuts` (offsets into the side's stream). */
export function cutSide(side: TlsSide, bytes: Uint8Array, cuts: number[]): Step[] {
  const out: Step[] = [];
  let prev = 0;
  for (const c of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    if (c > prev) out.push({ side, bytes: bytes.subarray(prev, c) });
    prev = c;
  }
  return out;
}
