/**
 * MQTT's field reader for one buffered packet body: bounds-checked integers, variable byte integers, UTF-8
 * strings, binary data and MQTT 5 property blocks (only content type and topic alias kept; the rest skipped by
 * type). Every read returns undefined past the end, so a malformed packet is a value, not a throw.
 * Not here: framing and packet semantics (mqtt.ts).
 */

/** The MQTT 5 properties the decoder keeps. */
export interface Properties {
  contentType?: string;
  topicAlias?: number;
}

/** MQTT 5 property value types by identifier. */
const PROPERTY_TYPES: Record<number, 'u8' | 'u16' | 'u32' | 'varint' | 'string' | 'binary' | 'pair'> = {
  1: 'u8',
  2: 'u32',
  3: 'string',
  8: 'string',
  9: 'binary',
  11: 'varint',
  17: 'u32',
  18: 'string',
  19: 'u16',
  21: 'string',
  22: 'binary',
  23: 'u8',
  24: 'u32',
  25: 'u8',
  26: 'string',
  28: 'string',
  31: 'string',
  33: 'u16',
  34: 'u16',
  35: 'u16',
  36: 'u8',
  37: 'u8',
  38: 'pair',
  39: 'u32',
  40: 'u8',
  41: 'u8',
  42: 'u8',
};

const utf8 = new TextDecoder('utf-8');

/** Bounds-checked reads over one buffered block; every read returns undefined past the end. */
export class Reader {
  #off = 0;
  constructor(readonly b: Uint8Array) {}
  get left(): number {
    return this.b.length - this.#off;
  }
  u8(): number | undefined {
    return this.#off < this.b.length ? this.b[this.#off++] : undefined;
  }
  u16(): number | undefined {
    if (this.left < 2) return undefined;
    const v = (this.b[this.#off]! << 8) | this.b[this.#off + 1]!;
    this.#off += 2;
    return v;
  }
  varint(): number | undefined {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const b = this.u8();
      if (b === undefined) return undefined;
      v += (b & 0x7f) * 128 ** i;
      if ((b & 0x80) === 0) return v;
    }
    return undefined;
  }
  binary(): Uint8Array | undefined {
    const n = this.u16();
    if (n === undefined || n > this.left) return undefined;
    const v = this.b.subarray(this.#off, this.#off + n);
    this.#off += n;
    return v;
  }
  string(): string | undefined {
    const v = this.binary();
    return v === undefined ? undefined : utf8.decode(v);
  }
  skip(n: number): boolean {
    if (n > this.left) return false;
    this.#off += n;
    return true;
  }
  /** An MQTT 5 property block; undefined when malformed. */
  properties(): Properties | undefined {
    const len = this.varint();
    if (len === undefined || len > this.left) return undefined;
    const end = this.#off + len;
    const props: Properties = {};
    while (this.#off < end) {
      const id = this.varint();
      const type = id === undefined ? undefined : PROPERTY_TYPES[id];
      if (type === undefined) return undefined;
      if (id === 0x03) props.contentType = this.string();
      else if (id === 0x23) props.topicAlias = this.u16();
      else if (!this.#skipValue(type)) return undefined;
      if (this.#off > end) return undefined;
    }
    return props;
  }
  #skipValue(type: (typeof PROPERTY_TYPES)[number]): boolean {
    switch (type) {
      case 'u8':
        return this.skip(1);
      case 'u16':
        return this.skip(2);
      case 'u32':
        return this.skip(4);
      case 'varint':
        return this.varint() !== undefined;
      case 'string':
      case 'binary':
        return this.binary() !== undefined;
      case 'pair':
        return this.binary() !== undefined && this.binary() !== undefined;
    }
  }
}
