/**
 * ClientHello and ServerHello bodies (the handshake message after its 4-byte header, as tls-records.ts hands it
 * over) → typed values, plus the JA3 string/md5 and the JA4 fingerprint of a ClientHello (FoxIO's spec:
 * technical_details/JA4.md). GREASE values are dropped everywhere. Bad bytes give an error code, never a throw.
 * It does not read records, certificates or anything encrypted.
 */
import { createHash } from 'node:crypto';

export const EXT_SERVER_NAME = 0x0000;
export const EXT_SUPPORTED_GROUPS = 0x000a;
export const EXT_EC_POINT_FORMATS = 0x000b;
export const EXT_SIGNATURE_ALGORITHMS = 0x000d;
export const EXT_ALPN = 0x0010;
export const EXT_SUPPORTED_VERSIONS = 0x002b;

/** SHA-256("HelloRetryRequest"): the ServerHello random that marks a HelloRetryRequest (RFC 8446 §4.1.3). */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

/** A parsed ClientHello; every list in wire order with GREASE values removed. */
export interface ClientHello {
  /** The `legacy_version` field (0x0303 for TLS 1.2 and 1.3). */
  legacyVersion: number;
  /** The 32-byte client random: what a key log names the session by (a view into the body). */
  random: Uint8Array;
  ciphers: number[];
  /** Extension types in wire order. */
  extensions: number[];
  sni?: string;
  alpn: string[];
  /** supported_versions (ext 43), empty when absent. */
  supportedVersions: number[];
  groups: number[];
  pointFormats: number[];
  sigAlgs: number[];
}

export interface ServerHello {
  legacyVersion: number;
  /** The 32-byte server random (a view into the body). */
  random: Uint8Array;
  /** supported_versions' selected version when present (TLS 1.3), else `legacyVersion`. */
  version: number;
  cipher: number;
  /** This is a HelloRetryRequest. */
  helloRetry: boolean;
  /** Extension types in wire order. */
  extensions: number[];
}

/** An error code for a hello that does not parse. */
export type HelloError = { error: 'truncated-hello' | 'bad-extension' };

/** GREASE (RFC 8701): 0x?a?a with both bytes equal. */
export const isGrease = (v: number): boolean => (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);

/** A bounds-checked big-endian reader over one hello body; every read past the end sets `bad`. */
class Reader {
  pos = 0;
  bad = false;
  constructor(
    readonly b: Uint8Array,
    readonly end = b.length,
  ) {}
  u8(): number {
    if (this.pos + 1 > this.end) return this.#short();
    return this.b[this.pos++] as number;
  }
  u16(): number {
    if (this.pos + 2 > this.end) return this.#short();
    const v = ((this.b[this.pos] as number) << 8) | (this.b[this.pos + 1] as number);
    this.pos += 2;
    return v;
  }
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.end) {
      this.#short();
      return new Uint8Array(0);
    }
    this.pos += n;
    return this.b.subarray(this.pos - n, this.pos);
  }
  /** A sub-reader over the next `n` bytes, advancing past them. */
  sub(n: number): Reader {
    const r = new Reader(this.b.subarray(0, Math.min(this.pos + n, this.end)), Math.min(this.pos + n, this.end));
    r.pos = this.pos;
    if (this.pos + n > this.end) this.#short();
    this.pos = Math.min(this.pos + n, this.end);
    return r;
  }
  u16List(lenBytes: 1 | 2): number[] {
    const r = this.sub(lenBytes === 1 ? this.u8() : this.u16());
    const out: number[] = [];
    while (r.pos + 2 <= r.end) out.push(r.u16());
    if (r.pos !== r.end) this.bad = true;
    return out;
  }
  get left(): number {
    return this.end - this.pos;
  }
  #short(): number {
    this.bad = true;
    this.pos = this.end;
    return 0;
  }
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
const noGrease = (xs: number[]): number[] => xs.filter((x) => !isGrease(x));

export function parseClientHello(body: Uint8Array): ClientHello | HelloError {
  const r = new Reader(body);
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  r.bytes(r.u8());
  const ciphers = noGrease(r.u16List(2));
  r.bytes(r.u8());
  const hello: ClientHello = {
    legacyVersion,
    random,
    ciphers,
    extensions: [],
    alpn: [],
    supportedVersions: [],
    groups: [],
    pointFormats: [],
    sigAlgs: [],
  };
  if (r.bad) return { error: 'truncated-hello' };
  if (r.left === 0) return hello;
  const exts = r.sub(r.u16());
  while (!exts.bad && exts.left > 0) {
    const type = exts.u16();
    const e = exts.sub(exts.u16());
    if (!isGrease(type)) hello.extensions.push(type);
    readClientExtension(type, e, hello);
    if (e.bad) return { error: 'bad-extension' };
  }
  return exts.bad || r.bad ? { error: 'truncated-hello' } : hello;
}

function readClientExtension(type: number, e: Reader, h: ClientHello): void {
  switch (type) {
    case EXT_SERVER_NAME: {
      const list = e.sub(e.u16());
      while (list.left > 0 && !list.bad) {
        const kind = list.u8();
        const name = list.bytes(list.u16());
        if (kind === 0 && h.sni === undefined) h.sni = latin1(name).toLowerCase();
      }
      if (list.bad) e.bad = true;
      return;
    }
    case EXT_ALPN: {
      const list = e.sub(e.u16());
      while (list.left > 0 && !list.bad) h.alpn.push(latin1(list.bytes(list.u8())));
      if (list.bad) e.bad = true;
      return;
    }
    case EXT_SUPPORTED_VERSIONS:
      h.supportedVersions = noGrease(e.u16List(1));
      return;
    case EXT_SUPPORTED_GROUPS:
      h.groups = noGrease(e.u16List(2));
      return;
    case EXT_EC_POINT_FORMATS:
      h.pointFormats = [...e.bytes(e.u8())];
      return;
    case EXT_SIGNATURE_ALGORITHMS:
      h.sigAlgs = noGrease(e.u16List(2));
      return;
  }
}

export function parseServerHello(body: Uint8Array): ServerHello | HelloError {
  const r = new Reader(body);
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  r.bytes(r.u8());
  const cipher = r.u16();
  r.u8();
  if (r.bad) return { error: 'truncated-hello' };
  const hello: ServerHello = {
    legacyVersion,
    random,
    version: legacyVersion,
    cipher,
    helloRetry: Buffer.compare(random, HRR_RANDOM) === 0,
    extensions: [],
  };
  if (r.left === 0) return hello;
  const exts = r.sub(r.u16());
  while (!exts.bad && exts.left > 0) {
    const type = exts.u16();
    const e = exts.sub(exts.u16());
    hello.extensions.push(type);
    if (type === EXT_SUPPORTED_VERSIONS) hello.version = e.u16();
    if (e.bad) return { error: 'bad-extension' };
  }
  return exts.bad ? { error: 'truncated-hello' } : hello;
}

/** `TLSv1.3`, `TLSv1.2` … `SSLv3`, or `0x7f1c` for anything else. */
export function versionName(v: number): string {
  if (v === 0x0300) return 'SSLv3';
  if (v >= 0x0301 && v <= 0x0304) return `TLSv1.${v - 0x0301}`.replace('TLSv1.0', 'TLSv1');
  return hex4(v, '0x');
}

export const hex4 = (v: number, prefix = ''): string => prefix + v.toString(16).padStart(4, '0');

/** The JA3 string: version,ciphers,extensions,groups,point formats — decimal, dash-joined, GREASE removed. */
export function ja3String(h: ClientHello): string {
  const j = (xs: number[]) => xs.join('-');
  return [h.legacyVersion, j(h.ciphers), j(h.extensions), j(h.groups), j(h.pointFormats)].join(',');
}

export const md5Hex = (s: string): string => createHash('md5').update(s).digest('hex');
const sha12 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);

const JA4_VERSIONS = new Map<number, string>([
  [0x0304, '13'],
  [0x0303, '12'],
  [0x0302, '11'],
  [0x0301, '10'],
  [0x0300, 's3'],
  [0x0002, 's2'],
  [0xfeff, 'd1'],
  [0xfefd, 'd2'],
  [0xfefc, 'd3'],
]);

/** JA4 (FoxIO): `t13d1516h2_<sha256(sorted ciphers)[:12]>_<sha256(sorted exts w/o SNI, ALPN _ sigalgs)[:12]>`. */
export function ja4(h: ClientHello, protocol: 't' | 'q' | 'd' = 't'): string {
  const version = h.supportedVersions.length > 0 ? Math.max(...h.supportedVersions) : h.legacyVersion;
  const two = (n: number) => String(Math.min(n, 99)).padStart(2, '0');
  const a =
    protocol +
    (JA4_VERSIONS.get(version) ?? '00') +
    (h.extensions.includes(EXT_SERVER_NAME) ? 'd' : 'i') +
    two(h.ciphers.length) +
    two(h.extensions.length) +
    alpnChars(h.alpn[0] ?? '');
  const sorted = (xs: number[]) => xs.map((x) => hex4(x)).sort();
  const ciphers = sorted(h.ciphers).join(',');
  const exts = sorted(h.extensions.filter((x) => x !== EXT_SERVER_NAME && x !== EXT_ALPN)).join(',');
  const sig = h.sigAlgs.map((x) => hex4(x)).join(',');
  const b = ciphers ? sha12(ciphers) : '000000000000';
  const c = exts ? sha12(sig ? `${exts}_${sig}` : exts) : '000000000000';
  return `${a}_${b}_${c}`;
}

/** JA4's two ALPN characters: first and last of the first value, or of its hex when either is not alphanumeric. */
function alpnChars(alpn: string): string {
  if (alpn.length === 0) return '00';
  const alnum = (c: string) => /^[0-9A-Za-z]$/.test(c);
  const first = alpn[0] as string;
  const last = alpn[alpn.length - 1] as string;
  if (alnum(first) && alnum(last)) return first + last;
  const hex = Buffer.from(alpn, 'latin1').toString('hex');
  return (hex[0] as string) + (hex[hex.length - 1] as string);
}
