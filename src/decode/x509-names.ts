/**
 * Just enough DER to read a certificate's subject and issuer (CN, O, OU, C) and validity: the TLS metadata shows
 * who a server claimed to be. It verifies nothing (no signature, no chain, no extensions) and returns undefined
 * on bytes it does not understand, never throws.
 */

/** Names and validity of one X.509 certificate. */
export interface CertNames {
  /** `CN=api.example, O=Example Ltd` in certificate order; only CN, O, OU and C attributes. */
  subject: string;
  issuer: string;
  /** ISO 8601 (UTC). */
  notBefore?: string;
  notAfter?: string;
}

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** Attribute OIDs (2.5.4.x) kept, by their last arc. */
const ATTRS: Record<number, string> = { 3: 'CN', 6: 'C', 10: 'O', 11: 'OU' };

/** One DER TLV at `pos` within `[pos, limit)`; undefined when it does not fit. */
function tlv(b: Uint8Array, pos: number, limit: number): Tlv | undefined {
  if (pos + 2 > limit) return undefined;
  const tag = b[pos] as number;
  let len = b[pos + 1] as number;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[start + i] as number);
    start += n;
  }
  return start + len > limit ? undefined : { tag, start, end: start + len };
}

/** The children of a constructed TLV. */
function children(b: Uint8Array, t: Tlv): Tlv[] | undefined {
  const out: Tlv[] = [];
  for (let p = t.start; p < t.end; ) {
    const c = tlv(b, p, t.end);
    if (!c) return undefined;
    out.push(c);
    p = c.end;
  }
  return out;
}

export function parseCertNames(der: Uint8Array): CertNames | undefined {
  const cert = tlv(der, 0, der.length);
  const tbs = cert?.tag === 0x30 ? tlv(der, cert.start, cert.end) : undefined;
  const fields = tbs?.tag === 0x30 ? children(der, tbs) : undefined;
  if (!fields) return undefined;
  // [0] version is optional; then serial, signature algorithm, issuer, validity, subject.
  const f = fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
  const [, , issuer, validity, subject] = f;
  if (!issuer || !validity || !subject) return undefined;
  const names = { subject: nameString(der, subject), issuer: nameString(der, issuer) };
  if (names.subject === undefined || names.issuer === undefined) return undefined;
  const times = validity.tag === 0x30 ? children(der, validity) : undefined;
  const notBefore = times?.[0] && timeString(der, times[0]);
  const notAfter = times?.[1] && timeString(der, times[1]);
  return {
    subject: names.subject,
    issuer: names.issuer,
    ...(notBefore ? { notBefore } : {}),
    ...(notAfter ? { notAfter } : {}),
  };
}

/** Name ::= SEQUENCE OF SET OF SEQUENCE { OID, value } → `CN=…, O=…`. */
function nameString(b: Uint8Array, name: Tlv): string | undefined {
  if (name.tag !== 0x30) return undefined;
  const parts: string[] = [];
  for (const set of children(b, name) ?? []) {
    for (const atv of children(b, set) ?? []) {
      const [oid, value] = children(b, atv) ?? [];
      if (oid?.tag !== 0x06 || !value) continue;
      const o = b.subarray(oid.start, oid.end);
      const key = o.length === 3 && o[0] === 0x55 && o[1] === 0x04 ? ATTRS[o[2] as number] : undefined;
      if (key) parts.push(`${key}=${text(b, value)}`);
    }
  }
  return parts.join(', ');
}

function text(b: Uint8Array, t: Tlv): string {
  const bytes = Buffer.from(b.buffer, b.byteOffset + t.start, t.end - t.start);
  if (t.tag === 0x1e && bytes.length % 2 === 0) return Buffer.from(bytes).swap16().toString('utf16le');
  return t.tag === 0x0c ? bytes.toString('utf8') : bytes.toString('latin1');
}

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) → ISO 8601. */
function timeString(b: Uint8Array, t: Tlv): string | undefined {
  const s = Buffer.from(b.buffer, b.byteOffset + t.start, t.end - t.start).toString('latin1');
  const m = (
    t.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/
  ).exec(s);
  if (!m || (t.tag !== 0x17 && t.tag !== 0x18)) return undefined;
  const yy = Number(m[1]);
  const year = t.tag === 0x17 ? (yy < 50 ? 2000 + yy : 1900 + yy) : yy;
  return `${year}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}Z`;
}
