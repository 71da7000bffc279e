/**
 * tnetstrings (`<length>:<data><type>`), the encoding of mitmproxy's flow files (`mitmdump -w`): `,` bytes, `;` text,
 * `#` integer, `^` float, `!` boolean, `~` null, `]` list, `}` dict (key, value, key, value …). `parseTnetstring`
 * reads one value from a buffer that holds it whole; it throws TnetstringError on anything malformed, never reads past
 * the value's declared length, and stops at MAX_TNET_DEPTH nesting.
 */

export type TnetValue = Buffer | string | number | boolean | null | TnetValue[] | { [key: string]: TnetValue };

export class TnetstringError extends Error {}

/** Containers nested deeper than this are refused (a flow is about six deep). */
export const MAX_TNET_DEPTH = 32;
/** Digits a length may have before its `:`. */
export const MAX_LENGTH_DIGITS = 12;

/** The length prefix at `at`: the value's length and where its data starts; undefined when the bytes end first. */
export function tnetLength(b: Uint8Array, at: number): { length: number; data: number } | undefined {
  let n = 0;
  for (let i = at; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x3a) {
      if (i === at) throw new TnetstringError('a length with no digits');
      return { length: n, data: i + 1 };
    }
    if (c < 0x30 || c > 0x39 || i - at >= MAX_LENGTH_DIGITS) throw new TnetstringError('a bad length prefix');
    n = n * 10 + (c - 0x30);
  }
  return undefined;
}

/** The value at `at` and the offset past it. */
export function parseTnetstring(b: Buffer, at = 0, depth = 0): { value: TnetValue; next: number } {
  if (depth > MAX_TNET_DEPTH) throw new TnetstringError(`nested past ${MAX_TNET_DEPTH}`);
  const len = tnetLength(b, at);
  if (!len || len.data + len.length >= b.length) throw new TnetstringError('a value cut short');
  const start = len.data;
  const end = start + len.length;
  const type = b[end]!;
  const next = end + 1;
  const text = () => b.toString('utf8', start, end);
  switch (type) {
    case 0x2c: // ,
      return { value: b.subarray(start, end), next };
    case 0x3b: // ;
      return { value: text(), next };
    case 0x23: // #
    case 0x5e: {
      // ^
      const x = Number(text());
      if (!Number.isFinite(x)) throw new TnetstringError('a bad number');
      return { value: x, next };
    }
    case 0x21: // !
      return { value: text() === 'true', next };
    case 0x7e: // ~
      return { value: null, next };
    case 0x5d: {
      // ]
      const list: TnetValue[] = [];
      for (let i = start; i < end; ) {
        const item = parseTnetstring(b.subarray(0, end), i, depth + 1);
        list.push(item.value);
        i = item.next;
      }
      return { value: list, next };
    }
    case 0x7d: {
      // }
      const dict: { [key: string]: TnetValue } = Object.create(null);
      for (let i = start; i < end; ) {
        const key = parseTnetstring(b.subarray(0, end), i, depth + 1);
        const value = parseTnetstring(b.subarray(0, end), key.next, depth + 1);
        const k = key.value;
        if (typeof k !== 'string' && !Buffer.isBuffer(k)) throw new TnetstringError('a dict key that is no string');
        dict[k.toString()] = value.value;
        i = value.next;
      }
      return { value: dict, next };
    }
    default:
      throw new TnetstringError(`an unknown type '${String.fromCharCode(type)}'`);
  }
}
