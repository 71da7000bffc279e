/**
 * The cipher suites the decryptor reads, as data: per IANA code, the TLS version family, the record protection
 * (AEAD: GCM, CCM, ChaCha20-Poly1305; or CBC + HMAC), key and IV sizes, and the hash of the PRF / HKDF and of
 * the MAC. Suites absent here (RC4, 3DES, CAMELLIA, ARIA, NULL, export …) are reported unsupported by the
 * session, never guessed.
 */

/** How records are protected. */
export type Protection = 'gcm' | 'ccm' | 'chacha20-poly1305' | 'cbc';

/** One cipher suite as the key schedule and the record layer need it. */
export interface CipherSuite {
  /** IANA code, e.g. 0x1301. */
  code: number;
  /** IANA name without the `TLS_` prefix, e.g. `AES_128_GCM_SHA256`. */
  name: string;
  /** 13 = TLS 1.3 suite (HKDF key schedule); 12 = TLS 1.2 suite (PRF key block). */
  family: 12 | 13;
  protection: Protection;
  /** node:crypto cipher name: `aes-128-gcm`, `chacha20-poly1305`, `aes-256-cbc` … */
  cipher: string;
  keyLen: number;
  /** TLS 1.3: the 12-byte IV; TLS 1.2 AEAD: the implicit part (4 for GCM/CCM, 12 for ChaCha); CBC: 0. */
  ivLen: number;
  /** AEAD tag bytes (16, or 8 for CCM_8); 0 for CBC. */
  tagLen: number;
  /** Hash of the PRF (TLS 1.2) or HKDF (TLS 1.3). */
  hash: 'sha256' | 'sha384';
  /** CBC only: the HMAC hash and its length. */
  mac?: 'sha1' | 'sha256' | 'sha384';
  macLen: number;
}

type Row = [number, string, Protection, number, 'sha256' | 'sha384', ('sha1' | 'sha256' | 'sha384')?, number?];

const aead = (p: Protection, bits: number) => (p === 'chacha20-poly1305' ? p : `aes-${bits}-${p}`);
const MAC_LEN = { sha1: 20, sha256: 32, sha384: 48 } as const;

// [code, name, protection, key bits, PRF/HKDF hash, CBC MAC hash, AEAD tag length]
const TLS13: Row[] = [
  [0x1301, 'AES_128_GCM_SHA256', 'gcm', 128, 'sha256'],
  [0x1302, 'AES_256_GCM_SHA384', 'gcm', 256, 'sha384'],
  [0x1303, 'CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 256, 'sha256'],
  [0x1304, 'AES_128_CCM_SHA256', 'ccm', 128, 'sha256'],
  [0x1305, 'AES_128_CCM_8_SHA256', 'ccm', 128, 'sha256', undefined, 8],
];

const TLS12: Row[] = [
  [0x009c, 'RSA_WITH_AES_128_GCM_SHA256', 'gcm', 128, 'sha256'],
  [0x009d, 'RSA_WITH_AES_256_GCM_SHA384', 'gcm', 256, 'sha384'],
  [0x009e, 'DHE_RSA_WITH_AES_128_GCM_SHA256', 'gcm', 128, 'sha256'],
  [0x009f, 'DHE_RSA_WITH_AES_256_GCM_SHA384', 'gcm', 256, 'sha384'],
  [0xc02b, 'ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'gcm', 128, 'sha256'],
  [0xc02c, 'ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'gcm', 256, 'sha384'],
  [0xc02f, 'ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'gcm', 128, 'sha256'],
  [0xc030, 'ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'gcm', 256, 'sha384'],
  [0x00a8, 'PSK_WITH_AES_128_GCM_SHA256', 'gcm', 128, 'sha256'],
  [0x00a9, 'PSK_WITH_AES_256_GCM_SHA384', 'gcm', 256, 'sha384'],
  [0xcca8, 'ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 256, 'sha256'],
  [0xcca9, 'ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 256, 'sha256'],
  [0xccaa, 'DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 256, 'sha256'],
  [0xccab, 'PSK_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 256, 'sha256'],
  [0xc09c, 'RSA_WITH_AES_128_CCM', 'ccm', 128, 'sha256'],
  [0xc09d, 'RSA_WITH_AES_256_CCM', 'ccm', 256, 'sha256'],
  [0xc0a0, 'RSA_WITH_AES_128_CCM_8', 'ccm', 128, 'sha256', undefined, 8],
  [0xc0a1, 'RSA_WITH_AES_256_CCM_8', 'ccm', 256, 'sha256', undefined, 8],
  [0xc0a4, 'PSK_WITH_AES_128_CCM', 'ccm', 128, 'sha256'],
  [0xc0a8, 'PSK_WITH_AES_128_CCM_8', 'ccm', 128, 'sha256', undefined, 8],
  [0xc0ac, 'ECDHE_ECDSA_WITH_AES_128_CCM', 'ccm', 128, 'sha256'],
  [0xc0ad, 'ECDHE_ECDSA_WITH_AES_256_CCM', 'ccm', 256, 'sha256'],
  [0xc0ae, 'ECDHE_ECDSA_WITH_AES_128_CCM_8', 'ccm', 128, 'sha256', undefined, 8],
  [0xc0af, 'ECDHE_ECDSA_WITH_AES_256_CCM_8', 'ccm', 256, 'sha256', undefined, 8],
  [0x002f, 'RSA_WITH_AES_128_CBC_SHA', 'cbc', 128, 'sha256', 'sha1'],
  [0x0035, 'RSA_WITH_AES_256_CBC_SHA', 'cbc', 256, 'sha256', 'sha1'],
  [0x003c, 'RSA_WITH_AES_128_CBC_SHA256', 'cbc', 128, 'sha256', 'sha256'],
  [0x003d, 'RSA_WITH_AES_256_CBC_SHA256', 'cbc', 256, 'sha256', 'sha256'],
  [0x0033, 'DHE_RSA_WITH_AES_128_CBC_SHA', 'cbc', 128, 'sha256', 'sha1'],
  [0x0039, 'DHE_RSA_WITH_AES_256_CBC_SHA', 'cbc', 256, 'sha256', 'sha1'],
  [0x0067, 'DHE_RSA_WITH_AES_128_CBC_SHA256', 'cbc', 128, 'sha256', 'sha256'],
  [0x006b, 'DHE_RSA_WITH_AES_256_CBC_SHA256', 'cbc', 256, 'sha256', 'sha256'],
  [0x008c, 'PSK_WITH_AES_128_CBC_SHA', 'cbc', 128, 'sha256', 'sha1'],
  [0x00ae, 'PSK_WITH_AES_128_CBC_SHA256', 'cbc', 128, 'sha256', 'sha256'],
  [0xc009, 'ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'cbc', 128, 'sha256', 'sha1'],
  [0xc00a, 'ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'cbc', 256, 'sha256', 'sha1'],
  [0xc013, 'ECDHE_RSA_WITH_AES_128_CBC_SHA', 'cbc', 128, 'sha256', 'sha1'],
  [0xc014, 'ECDHE_RSA_WITH_AES_256_CBC_SHA', 'cbc', 256, 'sha256', 'sha1'],
  [0xc023, 'ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 'cbc', 128, 'sha256', 'sha256'],
  [0xc024, 'ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'cbc', 256, 'sha384', 'sha384'],
  [0xc027, 'ECDHE_RSA_WITH_AES_128_CBC_SHA256', 'cbc', 128, 'sha256', 'sha256'],
  [0xc028, 'ECDHE_RSA_WITH_AES_256_CBC_SHA384', 'cbc', 256, 'sha384', 'sha384'],
];

function suite(family: 12 | 13, [code, name, protection, bits, hash, mac, tag]: Row): CipherSuite {
  const cbc = protection === 'cbc';
  const ivLen = family === 13 || protection === 'chacha20-poly1305' ? 12 : cbc ? 0 : 4;
  return {
    code,
    name,
    family,
    protection,
    cipher: cbc ? `aes-${bits}-cbc` : aead(protection, bits),
    keyLen: bits / 8,
    ivLen,
    tagLen: cbc ? 0 : (tag ?? 16),
    hash,
    ...(mac ? { mac } : {}),
    macLen: mac ? MAC_LEN[mac] : 0,
  };
}

const SUITES = new Map<number, CipherSuite>([
  ...TLS13.map((r): [number, CipherSuite] => [r[0], suite(13, r)]),
  ...TLS12.map((r): [number, CipherSuite] => [r[0], suite(12, r)]),
]);

/** The suite for an IANA code, or undefined when the decryptor does not read it. */
export const cipherSuite = (code: number): CipherSuite | undefined => SUITES.get(code);
