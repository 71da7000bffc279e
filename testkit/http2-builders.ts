/**
 * Hand-made HTTP/2 bytes for the tests and the http2 bench: a frame (9-byte header + payload) and HPACK literal
 * fields (new name, no Huffman; names and values under 127 bytes). Not a codec: nothing here is checked.
 */

/** One HTTP/2 frame as bytes. */
export function h2Frame(type: number, flags: number, stream: number, payload: ArrayLike<number> = []): number[] {
  const n = payload.length;
  const head = [n >> 16, (n >> 8) & 0xff, n & 0xff, type, flags, stream >>> 24, (stream >> 16) & 0xff];
  return [...head, (stream >> 8) & 0xff, stream & 0xff, ...Array.from(payload)];
}

/** An HPACK literal field with a new name: without indexing, or (`indexed`) entering the dynamic table. */
export function hpackLiteral(name: string, value: string, indexed = false): number[] {
  const bytes = (s: string) => Array.from(Buffer.from(s, 'latin1'));
  return [indexed ? 0x40 : 0x00, name.length, ...bytes(name), value.length, ...bytes(value)];
}
