/**
 * The CA download page the proxy answers itself at a host that cannot be real (`http://ca.toyscope/`, like
 * mitmproxy's mitm.it): the certificate in PEM and DER and install steps for Android (user and system store),
 * iOS and desktops. No token: devices on the test Wi-Fi reach the proxy, not the loopback dashboard. Requests for
 * this host never leave the machine. Not here: recognising the host (connection.ts) or making the CA (ca.ts).
 */
import { createHash } from 'node:crypto';
import forge from 'node-forge';
import type { Ca } from './ca.ts';

/** The magic host: `.toyscope` is no top-level domain, so no real cloud can have this name. */
export const CA_HOST = 'ca.toyscope';

/** One whole HTTP/1.1 response (the connection closes after it). */
export interface PageResponse {
  status: number;
  type: string;
  body: Buffer;
  /** Content-Disposition file name, for downloads. */
  filename?: string;
}

/** The pages of the CA host, rendered once per CA. */
export class CaPage {
  readonly #ca: Ca;
  readonly #html: Buffer;

  constructor(ca: Ca) {
    this.#ca = ca;
    this.#html = Buffer.from(renderHtml(ca), 'utf8');
  }

  /** The answer to `GET path` on the CA host. */
  answer(method: string, path: string): PageResponse {
    if (method !== 'GET' && method !== 'HEAD') return text(405, 'only GET\n');
    const p = path.split('?')[0];
    if (p === '/' || p === '/index.html') return { status: 200, type: 'text/html; charset=utf-8', body: this.#html };
    if (p === '/toyscope-ca.pem') {
      return {
        status: 200,
        type: 'application/x-pem-file',
        body: Buffer.from(this.#ca.certPem),
        filename: 'toyscope-ca.pem',
      };
    }
    if (p === '/toyscope-ca.cer' || p === '/toyscope-ca.crt') {
      return { status: 200, type: 'application/x-x509-ca-cert', body: this.#ca.certDer, filename: 'toyscope-ca.cer' };
    }
    return text(404, 'not found: try / , /toyscope-ca.pem or /toyscope-ca.cer\n');
  }
}

/** The bytes of a response, `Connection: close`; a HEAD gets the head only. */
export function responseBytes(r: PageResponse, head = false): Buffer {
  const lines = [
    `HTTP/1.1 ${r.status} ${REASONS[r.status] ?? 'Error'}`,
    `Content-Type: ${r.type}`,
    `Content-Length: ${r.body.length}`,
    'Cache-Control: no-store',
    'Connection: close',
  ];
  if (r.filename) lines.push(`Content-Disposition: attachment; filename="${r.filename}"`);
  const h = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return head ? h : Buffer.concat([h, r.body]);
}

/** A short plain-text response (errors the proxy answers: 400, 431, 502, 504 …). */
export function text(status: number, body: string): PageResponse {
  return { status, type: 'text/plain; charset=utf-8', body: Buffer.from(body, 'utf8') };
}

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
};

/**
 * Android's system store names a CA file by OpenSSL's old subject hash (`openssl x509 -subject_hash_old`): the
 * first four bytes of the MD5 of the DER subject, read little-endian.
 */
export function androidHashName(ca: Ca): string {
  const cert = forge.pki.certificateFromPem(ca.certPem);
  const der = forge.asn1.toDer(forge.pki.distinguishedNameToAsn1(cert.subject)).getBytes();
  const md5 = createHash('md5').update(Buffer.from(der, 'binary')).digest();
  return `${md5.readUInt32LE(0).toString(16).padStart(8, '0')}.0`;
}

function renderHtml(ca: Ca): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const hash = androidHashName(ca);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>toyscope CA</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46em;margin:1em auto;padding:0 1em}code,pre{background:#f3f3f3}
pre{padding:.5em;overflow-x:auto}a.b{display:inline-block;padding:.5em 1em;margin:.2em;border:1px solid #333;border-radius:4px}</style>
</head><body>
<h1>toyscope interception CA</h1>
<p>This device is using a toyscope proxy. To let toyscope read its HTTPS traffic, install this certificate
authority. Only do this on devices you test; remove it afterwards.</p>
<p><a class="b" href="/toyscope-ca.cer">Download (DER, .cer)</a> <a class="b" href="/toyscope-ca.pem">Download (PEM)</a></p>
<p>Subject: <code>${esc(ca.x509.subject.replace(/\n/g, ', '))}</code><br>
SHA-256: <code>${esc(ca.x509.fingerprint256)}</code><br>Valid until: ${esc(ca.x509.validTo)}</p>
<h2>Android: user store</h2>
<ol><li>Download the .cer file above.</li>
<li>Settings → Security → Encryption &amp; credentials → Install a certificate → CA certificate → pick the file.</li></ol>
<p>Apps targeting Android 7 or later trust user CAs only if their network security config says so; for the
others use the system store.</p>
<h2>Android: system store (rooted device or emulator)</h2>
<pre>openssl x509 -inform DER -in toyscope-ca.cer -out ${esc(hash)}
adb root &amp;&amp; adb remount
adb push ${esc(hash)} /system/etc/security/cacerts/
adb shell chmod 644 /system/etc/security/cacerts/${esc(hash)} &amp;&amp; adb reboot</pre>
<p>On Android 14 and later the store is in <code>/apex/com.android.conscrypt/cacerts</code>: mount a tmpfs copy
of it with the file added (as root) instead.</p>
<h2>iPhone, iPad</h2>
<ol><li>Open this page in Safari and download the .cer file; allow the profile download.</li>
<li>Settings → Profile Downloaded → Install.</li>
<li>Settings → General → About → Certificate Trust Settings → turn on full trust for "toyscope interception CA".</li></ol>
<h2>macOS</h2>
<pre>sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain toyscope-ca.pem</pre>
<h2>Windows</h2>
<pre>certutil -addstore root toyscope-ca.cer</pre>
<h2>Linux (Debian, Ubuntu)</h2>
<pre>sudo cp toyscope-ca.pem /usr/local/share/ca-certificates/toyscope-ca.crt &amp;&amp; sudo update-ca-certificates</pre>
<p>Firefox keeps its own store: Settings → Privacy &amp; Security → Certificates → View Certificates → Authorities → Import.</p>
</body></html>
`;
}
