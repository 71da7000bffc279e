/**
 * The interception CA on disk: `DATA_DIR/ca/toyscope-ca.pem` (the certificate testers install on devices) and
 * `DATA_DIR/ca/toyscope-ca-key.pem` (mode 0600, never leaves the machine). Created on first use (`toyscope ca
 * init` or the first `toyscope proxy`), read at every start. It does not mint leaves (cert-cache.ts) nor serve
 * the download page (ca-page.ts).
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../src/errors.ts';
import { caCertificate } from './x509.ts';

/** The CA certificate's common name, as devices list it among their trusted credentials. */
export const CA_COMMON_NAME = 'toyscope interception CA';
/** Ten years: long enough for a lab, and every leaf expires before it. */
const CA_DAYS = 3650;
const CERT_FILE = 'toyscope-ca.pem';
const KEY_FILE = 'toyscope-ca-key.pem';

/** The CA as the proxy and `toyscope ca` use it. */
export interface Ca {
  certPem: string;
  /** The same certificate in DER (what Android's and Windows' installers prefer). */
  certDer: Buffer;
  key: KeyObject;
  /** node's view of the certificate: subject, validity, fingerprints. */
  x509: X509Certificate;
  certFile: string;
  keyFile: string;
}

/** The paths of the CA files in a `ca/` folder. */
export function caFiles(caDir: string): { certFile: string; keyFile: string } {
  return { certFile: join(caDir, CERT_FILE), keyFile: join(caDir, KEY_FILE) };
}

/** Reads the CA from `caDir`; undefined when it was never created. Throws InputError when a file is damaged. */
export function loadCa(caDir: string): Ca | undefined {
  const { certFile, keyFile } = caFiles(caDir);
  if (!existsSync(certFile) && !existsSync(keyFile)) return undefined;
  let certPem: string;
  let key: KeyObject;
  let x509: X509Certificate;
  try {
    certPem = readFileSync(certFile, 'utf8');
    x509 = new X509Certificate(certPem);
    key = createPrivateKey(readFileSync(keyFile, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new InputError(
      `the CA in ${caDir} cannot be read (${e.code ?? e.message}); move the folder away to make a new one`,
    );
  }
  if (!x509.checkPrivateKey(key)) throw new InputError(`the CA key in ${keyFile} does not match ${certFile}`);
  return { certPem, certDer: Buffer.from(x509.raw), key, x509, certFile, keyFile };
}

/** Creates a new CA in `caDir` (mode 0700; the key 0600). Refuses to replace one that exists. */
export function createCa(caDir: string): Ca {
  const { certFile, keyFile } = caFiles(caDir);
  if (existsSync(certFile) || existsSync(keyFile)) throw new InputError(`a CA already exists in ${caDir}`);
  mkdirSync(caDir, { recursive: true, mode: 0o700 });
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const certPem = caCertificate(keys, CA_COMMON_NAME, CA_DAYS);
  writeFileSync(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, {
    mode: 0o600,
    flag: 'wx',
  });
  chmodSync(keyFile, 0o600); // the umask cannot widen it, but a looser umask-less filesystem might
  writeFileSync(certFile, certPem, { mode: 0o644, flag: 'wx' });
  const ca = loadCa(caDir);
  if (!ca) throw new InputError(`the CA written to ${caDir} cannot be read back`);
  return ca;
}

/** The CA in `caDir`, created on first use; `created` says which. */
export function loadOrCreateCa(caDir: string): { ca: Ca; created: boolean } {
  const ca = loadCa(caDir);
  return ca ? { ca, created: false } : { ca: createCa(caDir), created: true };
}

/** SHA-256 fingerprint as devices show it (`AB:CD:…`). */
export function fingerprint(ca: Ca): string {
  return ca.x509.fingerprint256;
}
