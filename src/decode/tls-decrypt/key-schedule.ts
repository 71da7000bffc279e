/**
 * Keys from logged secrets. TLS 1.3 (RFC 8446 §7): HKDF-Expand-Label turns a traffic secret into the record
 * key and IV, and gives the next secret on KeyUpdate. TLS 1.2 (RFC 5246 §5, §6.3): the PRF (P_SHA256 or
 * P_SHA384) expands the master secret and both randoms into the key block. Pure functions over node:crypto's
 * HMAC; nothing here reads records or key logs.
 *
 * HKDF-Expand is written out with HMAC because `crypto.hkdfSync` always runs HKDF-Extract first, and a traffic
 * secret is already a pseudorandom key.
 */
import { createHmac } from 'node:crypto';
import type { CipherSuite } from './suites.ts';

/** The key and IV of one direction. */
export interface TrafficKeys {
  key: Uint8Array;
  /** TLS 1.3 and ChaCha20: the 12-byte per-record nonce base; TLS 1.2 GCM/CCM: the 4-byte salt; CBC: empty. */
  iv: Uint8Array;
  /** TLS 1.2 CBC: the HMAC key; empty otherwise. */
  macKey: Uint8Array;
}

/** The keys of both directions of a TLS 1.2 session. */
export interface KeyBlock {
  client: TrafficKeys;
  server: TrafficKeys;
}

const HASH_LEN = { sha256: 32, sha384: 48 } as const;
const EMPTY = new Uint8Array(0);

/** HKDF-Expand (RFC 5869 §2.3) of a pseudorandom key. */
export function hkdfExpand(hash: 'sha256' | 'sha384', prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  let prev: Uint8Array = EMPTY;
  for (let i = 1, off = 0; off < length; i++) {
    prev = createHmac(hash, prk).update(prev).update(info).update(Uint8Array.of(i)).digest();
    off += Buffer.from(prev).copy(out, off);
  }
  return out;
}

/** HKDF-Expand-Label (RFC 8446 §7.1): label prefixed with "tls13 ". */
export function hkdfExpandLabel(
  hash: 'sha256' | 'sha384',
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([
    Uint8Array.of(length >> 8, length & 0xff, full.length),
    full,
    Uint8Array.of(context.length),
    context,
  ]);
  return hkdfExpand(hash, secret, info, length);
}

/** The record key and IV of a TLS 1.3 traffic secret (RFC 8446 §7.3). */
export function tls13TrafficKeys(suite: CipherSuite, secret: Uint8Array): TrafficKeys {
  return {
    key: hkdfExpandLabel(suite.hash, secret, 'key', EMPTY, suite.keyLen),
    iv: hkdfExpandLabel(suite.hash, secret, 'iv', EMPTY, suite.ivLen),
    macKey: EMPTY,
  };
}

/** The traffic secret after a KeyUpdate (RFC 8446 §7.2). */
export function tls13NextSecret(suite: CipherSuite, secret: Uint8Array): Buffer {
  return hkdfExpandLabel(suite.hash, secret, 'traffic upd', EMPTY, HASH_LEN[suite.hash]);
}

/** The TLS 1.2 PRF (RFC 5246 §5): P_hash(secret, label + seed) cut to `length` bytes. */
export function prf12(
  hash: 'sha256' | 'sha384',
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
  length: number,
): Buffer {
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out = Buffer.alloc(length);
  let a: Uint8Array = labelSeed;
  for (let off = 0; off < length; ) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(labelSeed).digest();
    off += block.copy(out, off);
  }
  return out;
}

/** The TLS 1.2 key block (RFC 5246 §6.3): MAC keys, then encryption keys, then IVs, client before server. */
export function tls12KeyBlock(
  suite: CipherSuite,
  masterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): KeyBlock {
  const { macLen, keyLen, ivLen } = suite;
  const block = prf12(
    suite.hash,
    masterSecret,
    'key expansion',
    Buffer.concat([serverRandom, clientRandom]),
    2 * (macLen + keyLen + ivLen),
  );
  let at = 0;
  const take = (n: number) => {
    at += n;
    return block.subarray(at - n, at);
  };
  const clientMac = take(macLen);
  const serverMac = take(macLen);
  const clientKey = take(keyLen);
  const serverKey = take(keyLen);
  return {
    client: { macKey: clientMac, key: clientKey, iv: take(ivLen) },
    server: { macKey: serverMac, key: serverKey, iv: take(ivLen) },
  };
}
