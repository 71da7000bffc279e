/**
 * G.711 (ITU-T G.711): µ-law (PCMU) and A-law (PCMA) bytes expanded to 16-bit little-endian PCM, by a table of the
 * 256 values each law decodes to.
 */

export type G711Law = 'pcmu' | 'pcma';

/** µ-law: bits inverted, then sign, a 3-bit exponent and a 4-bit mantissa over a bias of 0x84. */
function ulaw(byte: number): number {
  const u = ~byte & 0xff;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u >> 4) & 7)) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

/** A-law: even bits inverted (0x55), then sign (set: positive), a 3-bit exponent and a 4-bit mantissa. */
function alaw(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a >> 4) & 7;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

const TABLES: Record<G711Law, Int16Array> = {
  pcmu: Int16Array.from({ length: 256 }, (_, b) => ulaw(b)),
  pcma: Int16Array.from({ length: 256 }, (_, b) => alaw(b)),
};

/** `bytes` of `law` as 16-bit little-endian PCM (twice as long). */
export function expandG711(bytes: Uint8Array, law: G711Law): Uint8Array {
  const table = TABLES[law];
  const out = Buffer.allocUnsafe(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) out.writeInt16LE(table[bytes[i]!]!, 2 * i);
  return out;
}
