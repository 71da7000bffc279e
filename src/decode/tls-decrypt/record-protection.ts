/**
 * Opening protected TLS records of one direction with known keys: TLS 1.3 AEAD (RFC 8446 §5.2–5.3: nonce = IV ⊕
 * sequence number, the record header as additional data, content type and padding inside), TLS 1.2 AEAD (RFC 5288
 * GCM and RFC 6655 CCM with an 8-byte explicit nonce; RFC 7905 ChaCha20-Poly1305 with the 1.3-style nonce), and
 * TLS 1.2 CBC with HMAC (RFC 5246 §6.2.3.2, MAC-then-encrypt, or RFC 7366 encrypt-then-MAC). Each opener counts
 * its own sequence number. An authentication failure or a record that cannot hold its tag, MAC or padding is
 * returned as such, never thrown. It does not frame records or know which keys apply when (session.ts does).
 */
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import type { TrafficKeys } from './key-schedule.ts';
import type { CipherSuite } from './suites.ts';

/** A record's content in clear: its real content type (TLS 1.3 hides it inside) and its bytes. */
export interface OpenedRecord {
  type: number;
  data: Uint8Array;
}

/** Why a record did not open: its tag or MAC is wrong, or it is too short or badly padded to be a record. */
export type OpenFailure = 'auth-failed' | 'malformed';

/** Opens the records of one direction in order; one instance per key (TLS 1.3) or per direction (TLS 1.2). */
export interface RecordOpener {
  /** `header` is the 5-byte record header, `body` what follows it. */
  open(header: Uint8Array, body: Uint8Array): OpenedRecord | OpenFailure;
}

/** An opener for the suite and keys: TLS 1.3 when `suite.family` is 13, else TLS 1.2 (`etm`: RFC 7366 in use). */
export function recordOpener(suite: CipherSuite, keys: TrafficKeys, etm = false): RecordOpener {
  if (suite.family === 13) return new Tls13Opener(suite, keys);
  if (suite.protection === 'cbc') return new Tls12CbcOpener(suite, keys, etm);
  return new Tls12AeadOpener(suite, keys);
}

/** Writes the 8-byte big-endian sequence number at `at`. */
function writeSeq(b: Buffer, at: number, seq: number): void {
  b.writeUInt32BE(Math.floor(seq / 2 ** 32), at);
  b.writeUInt32BE(seq >>> 0, at + 4);
}

/** IV ⊕ sequence number, right-aligned (RFC 8446 §5.3, RFC 7905 §2), into `nonce` (reused per record). */
function xorNonce(nonce: Buffer, iv: Uint8Array, seq: number): Buffer {
  nonce.set(iv);
  const at = nonce.length - 8;
  nonce.writeUInt32BE((nonce.readUInt32BE(at) ^ Math.floor(seq / 2 ** 32)) >>> 0, at);
  nonce.writeUInt32BE((nonce.readUInt32BE(at + 4) ^ seq) >>> 0, at + 4);
  return nonce;
}

/** The TLS 1.2 additional data / MAC header (seq_num, type, version, length) into `h` (13 bytes, reused). */
function header12(h: Buffer, seq: number, type: number, version: number, length: number): Buffer {
  writeSeq(h, 0, seq);
  h[8] = type;
  h.writeUInt16BE(version, 9);
  h.writeUInt16BE(length, 11);
  return h;
}

/** AEAD decryption with node:crypto; undefined when the tag does not verify. */
function aeadOpen(
  suite: CipherSuite,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
): Buffer | undefined {
  try {
    if (suite.protection === 'ccm') {
      const d = createDecipheriv(suite.cipher as 'aes-128-ccm', key, nonce, { authTagLength: suite.tagLen });
      d.setAuthTag(tag);
      d.setAAD(aad, { plaintextLength: ciphertext.length });
      const out = d.update(ciphertext);
      d.final();
      return out;
    }
    const d = createDecipheriv(suite.cipher as 'aes-128-gcm', key, nonce, { authTagLength: suite.tagLen });
    d.setAAD(aad);
    d.setAuthTag(tag);
    const out = d.update(ciphertext);
    d.final();
    return out;
  } catch {
    return undefined;
  }
}

class Tls13Opener implements RecordOpener {
  #seq = 0;
  readonly #nonce = Buffer.alloc(12);
  constructor(
    readonly suite: CipherSuite,
    readonly keys: TrafficKeys,
  ) {}

  open(header: Uint8Array, body: Uint8Array): OpenedRecord | OpenFailure {
    const tagLen = this.suite.tagLen;
    if (body.length < tagLen + 1) return 'malformed';
    const nonce = xorNonce(this.#nonce, this.keys.iv, this.#seq);
    const split = body.length - tagLen;
    const inner = aeadOpen(this.suite, this.keys.key, nonce, header, body.subarray(0, split), body.subarray(split));
    if (inner === undefined) return 'auth-failed';
    this.#seq++;
    let end = inner.length - 1;
    while (end >= 0 && inner[end] === 0) end--;
    if (end < 0) return 'malformed';
    return { type: inner[end] as number, data: inner.subarray(0, end) };
  }
}

class Tls12AeadOpener implements RecordOpener {
  #seq = 0;
  readonly #nonce = Buffer.alloc(12);
  readonly #aad = Buffer.alloc(13);
  /** GCM and CCM carry an 8-byte explicit nonce before the ciphertext; ChaCha20-Poly1305 does not. */
  readonly #explicit: number;
  constructor(
    readonly suite: CipherSuite,
    readonly keys: TrafficKeys,
  ) {
    this.#explicit = suite.protection === 'chacha20-poly1305' ? 0 : 8;
  }

  open(header: Uint8Array, body: Uint8Array): OpenedRecord | OpenFailure {
    const { tagLen } = this.suite;
    const ctLen = body.length - this.#explicit - tagLen;
    if (ctLen < 0) return 'malformed';
    let nonce: Buffer;
    if (this.#explicit === 0) nonce = xorNonce(this.#nonce, this.keys.iv, this.#seq);
    else {
      nonce = this.#nonce;
      nonce.set(this.keys.iv);
      nonce.set(body.subarray(0, this.#explicit), this.keys.iv.length);
    }
    const type = header[0] as number;
    const version = ((header[1] as number) << 8) | (header[2] as number);
    const aad = header12(this.#aad, this.#seq, type, version, ctLen);
    const ct = body.subarray(this.#explicit, this.#explicit + ctLen);
    const out = aeadOpen(this.suite, this.keys.key, nonce, aad, ct, body.subarray(this.#explicit + ctLen));
    if (out === undefined) return 'auth-failed';
    this.#seq++;
    return { type, data: out };
  }
}

const AES_BLOCK = 16;

class Tls12CbcOpener implements RecordOpener {
  #seq = 0;
  readonly #head = Buffer.alloc(13);
  constructor(
    readonly suite: CipherSuite,
    readonly keys: TrafficKeys,
    readonly etm: boolean,
  ) {}

  open(header: Uint8Array, body: Uint8Array): OpenedRecord | OpenFailure {
    const { macLen } = this.suite;
    const type = header[0] as number;
    const version = ((header[1] as number) << 8) | (header[2] as number);
    const encLen = this.etm ? body.length - macLen : body.length;
    if (encLen < 2 * AES_BLOCK || encLen % AES_BLOCK !== 0) return 'malformed';
    if (this.etm) {
      const mac = this.#mac(header12(this.#head, this.#seq, type, version, encLen), body.subarray(0, encLen));
      if (!timingSafeEqual(mac, body.subarray(encLen))) return 'auth-failed';
    }
    const d = createDecipheriv(this.suite.cipher, this.keys.key, body.subarray(0, AES_BLOCK));
    d.setAutoPadding(false);
    const plain = d.update(body.subarray(AES_BLOCK, encLen));
    d.final(); // whole blocks and no auto-padding: nothing more comes out
    const pad = plain[plain.length - 1] as number;
    const contentLen = plain.length - pad - 1 - (this.etm ? 0 : macLen);
    if (contentLen < 0) return this.etm ? 'malformed' : 'auth-failed';
    for (let i = plain.length - pad - 1; i < plain.length; i++) if (plain[i] !== pad) return 'auth-failed';
    const data = plain.subarray(0, contentLen);
    if (!this.etm) {
      const mac = this.#mac(header12(this.#head, this.#seq, type, version, contentLen), data);
      if (!timingSafeEqual(mac, plain.subarray(contentLen, contentLen + macLen))) return 'auth-failed';
    }
    this.#seq++;
    return { type, data };
  }

  #mac(head: Uint8Array, content: Uint8Array): Buffer {
    return createHmac(this.suite.mac as string, this.keys.macKey)
      .update(head)
      .update(content)
      .digest();
  }
}
