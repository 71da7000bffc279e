/**
 * Concatenates captures as `mergecap -a` does, without mergecap: one pcapng file with a section per input, in
 * order, so 4-tuples repeat and time goes back at every section. A pcapng input is copied as it is (a file may hold
 * several sections); a classic pcap becomes a section of its own (one interface with its link type, snap length
 * and time resolution, one Enhanced Packet Block per record). Written for recorded fixtures: it stops at the
 * first truncated record and does not repair anything.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { epb, idb, shb } from '../../testkit/pcap-writer.ts';

/** One capture file as a pcapng section (or the sections it already holds). */
export function asPcapngSections(file: string): Buffer {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const be = b.readUInt32BE(0);
  if (!le && be !== 0xa1b2c3d4 && be !== 0xa1b23c4d) return b; // pcapng already
  const nanos = (le ? magic : be) === 0xa1b23c4d;
  const u32 = (at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const parts: Uint8Array[] = [shb(), idb(u32(20) & 0xffff, { snaplen: u32(16), tsresol: nanos ? 9 : 6 })];
  const perSecond = nanos ? 1_000_000_000n : 1_000_000n;
  for (let at = 24; at + 16 <= b.length; ) {
    const caplen = u32(at + 8);
    if (at + 16 + caplen > b.length) break;
    const units = BigInt(u32(at)) * perSecond + BigInt(u32(at + 4));
    parts.push(epb(0, units, b.subarray(at + 16, at + 16 + caplen), { origLen: u32(at + 12) }));
    at += 16 + caplen;
  }
  return Buffer.concat(parts);
}

/**
 * Writes `files` one after the other into `out`, then `fill` (default `files`) over and over until at least
 * `minBytes` are written; returns the bytes written.
 */
export function concatenateCaptures(
  out: string,
  files: string[],
  o: { minBytes?: number; fill?: string[] } = {},
): number {
  const fd = openSync(out, 'w');
  let written = 0;
  try {
    for (const f of files) written += writeSync(fd, asPcapngSections(f));
    const fill = (o.fill ?? files).map(asPcapngSections);
    while (written < (o.minBytes ?? 0)) for (const s of fill) written += writeSync(fd, s);
  } finally {
    closeSync(fd);
  }
  return written;
}
