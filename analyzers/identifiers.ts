/**
 * identifiers: device and account identifiers leaving a device: IMEI (Luhn), IMSI, ICCID, MAC addresses,
 * serial numbers by key name (not vendor device ids: a pseudonym its own cloud assigns), advertising ids, Wi-Fi credentials sent during provisioning, and
 * account tokens / passwords sent in clear text (flow `tls: 'none'`), and an MQTT CONNECT's client id, username and
 * password (a MAC, IMEI or serial built into the id; a token or password as credential). Not location: BSSIDs of scanned access
 * points belong to location's `wifi-scan`. Matches on key names first; bare values only where a checksum or a
 * strong shape (Luhn + prefix, `eyJ…` JWT, `WIFI:S:…;P:…;`) makes a guess safe.
 */
import type { Analyzer, AnalyzerContext, AnalyzerState, Verdict } from '../src/model/analyzer.ts';
import type { Token } from '../src/model/token.ts';
import { idsInField, tokenShaped } from './lib/id-fields.ts';
import {
  classify,
  isWrappedValueKey,
  K,
  K2,
  keyedMinLength,
  keyOf,
  lastKeyOf,
  listOf,
  objectKeyOf,
} from './lib/keys.ts';
import { lineCredentials } from './lib/line-credentials.ts';
import { luhnValid } from './lib/luhn.ts';
import { matchesIn } from './lib/matches.ts';
import { ObjectTable } from './lib/objects.ts';
import { QuietValues } from './lib/quiet-values.ts';
import { Reporter } from './lib/reporter.ts';
import { TextWindow } from './lib/text-window.ts';
import { macOf } from './lib/values.ts';

/** Objects tracked per message for SSID + password pairing. */
const MAX_TRACKED_OBJECTS = 256;
/** The key flags `#keyed` reads: other keys (lat, nickname …) skip it. */
const MY_FLAGS = K.IMEI | K.IMSI | K.ICCID | K.MAC | K.AD_ID | K.SERIAL | K.SSID | K.PASSWORD | K.TOKEN;
const IMEI_TACS = /^(01|35|86|99|30|33|44|45|49|52|53|54|91)/;
const ID_SHAPE = /^[A-Za-z0-9][A-Za-z0-9\-_:.]{4,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * The shortest unkeyed string anything here matches: `WIFI:S:a;P:b;` (13). A bare IMEI has 15 characters, a MAC
 * 17, an ICCID 19, a JWT 31; `IMEI: …` lines are looked for in free text or past 64 characters only.
 */
const MIN_UNKEYED_CHARS = 13;
const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/g;
const WIFI_QR = /WIFI:(?:[^;]*;)*?S:([^;]{1,64});(?:[^;]*;)*?P:([^;]{1,128});/g;
const TEXT_ID = /\b(imei|iccid|imsi)\s*[:=]\s*"?(\d{14,20})/gi;
/** An IMEI as a URN (RFC 7254), as LwM2M devices name themselves: `urn:imei:490154203237518`. */
const URN_IMEI = /\burn:imei:(\d{15})(?!\d)/gi;
/** A field of 15 or 19–20 digits on its own in free text (`*HQ,865205030000000,V1,…`): an IMEI or ICCID candidate. */
const TEXT_DIGIT_FIELD = /(?<![\w.:-])(\d{15}|89\d{17,18})(?![\w.])/g;
/**
 * The shortest value `#keyed` acts on under each of its flags (IMEI and IMSI: 14 digits, ICCID `89` + 16, a bare MAC
 * 12 hex digits, an advertising id 16 hex digits, a serial 5 characters, a token 16). Shorter strings still come by
 * value when MIN_UNKEYED_CHARS long (what `#scanText` reads), so these bound `#keyed` only.
 */
const KEYED_MINS: ReadonlyArray<readonly [number, number]> = [
  [K.IMEI, 14],
  [K.IMSI, 14],
  [K.ICCID, 18],
  [K.MAC, 12],
  [K.AD_ID, 16],
  [K.SERIAL, 5],
  [K.SSID, 1],
  [K.PASSWORD, 1],
  [K.TOKEN, 16],
];
/** An authorization header's credential: a token of 16 characters or more. */
const AUTH_MIN = 16;
/** The token keys of an MQTT CONNECT's identity fields (src/decode/form-tokens.ts `mqttConnectTokens`). */
const CONNECT_ID_KEYS = new Set(['client-id', 'username']);

export const identifiers: Analyzer = {
  name: 'identifiers',
  wants: (head) => head.direction === 'upload',
  // Keyed ids; unkeyed strings only as long as the shortest thing `#bare` or `#scanText` matches, and free text.
  tokens: {
    key: (key) => {
      const c = classify(key);
      return (
        (c.a & MY_FLAGS) !== 0 || (c.b & K2.AUTH_HEADER) !== 0 || isWrappedValueKey(key) || CONNECT_ID_KEYS.has(key)
      );
    },
    keyedMinLength: (key) => {
      if (CONNECT_ID_KEYS.has(key)) return 0;
      const min = keyedMinLength(key, KEYED_MINS);
      return classify(key).b & K2.AUTH_HEADER ? Math.min(min || AUTH_MIN, AUTH_MIN) : min;
    },
    minLength: MIN_UNKEYED_CHARS,
    sources: ['text', 'multipart-field'],
  },
  open: (ctx) => new IdentifierState(ctx),
};

interface Creds {
  ssid?: string;
  password?: string;
  path?: string;
}

class IdentifierState implements AnalyzerState {
  readonly #ctx: AnalyzerContext;
  readonly #out: Reporter;
  readonly #window = new TextWindow();
  readonly #creds = new ObjectTable<Creds>(MAX_TRACKED_OBJECTS);
  /** The last MAC value (as sent) whose address was already reported. */
  #knownMac = '';
  /** Values that came to nothing (QuietValues): the SSID and password keys keep per-object state, so never theirs. */
  readonly #quiet = new QuietValues();
  /** `token` tested the token's path (`#inWifiList`): its answer may differ under another path. */
  #readPath = false;

  constructor(ctx: AnalyzerContext) {
    this.#ctx = ctx;
    this.#out = new Reporter(ctx, 'identifiers');
  }

  token(t: Token): Verdict {
    const plain = QuietValues.takes(t) && (classify(t.key).a & (K.SSID | K.PASSWORD)) === 0;
    if (plain && this.#quiet.has(t)) return undefined;
    const reported = this.#out.reported;
    this.#readPath = false;
    const v = this.#token(t);
    if (plain && v === undefined && !this.#readPath && this.#out.reported === reported) this.#quiet.keep(t);
    return v;
  }

  #token(t: Token): Verdict {
    if (t.kind === 'boolean' || t.kind === 'null') return undefined;
    const c = classify(keyOf(t));
    const whole = t.offset === 0 && !t.more;
    if (whole && t.source === 'header' && t.parent === '$' && this.#ctx.head.mqtt?.packet === 'connect') {
      const v = this.#connectField(t);
      if (v !== 'next') return v;
    }
    if (whole && ((c.a & MY_FLAGS) !== 0 || (c.b & K2.AUTH_HEADER) !== 0)) {
      const v = this.#keyed(t, c.a, c.b);
      if (v) return v;
    }
    if (t.kind !== 'string') return undefined;
    if (whole && c.a === 0 && this.#bare(t) === 'done') return 'done';
    return this.#scanText(t);
  }

  #keyed(t: Token, a: number, b: number): Verdict {
    const v = t.value.trim();
    // The same IMEI in every event: a value reported passed the tests below then (they are pure).
    if (a & K.IMEI && !this.#out.fresh('imei', v)) return undefined;
    const digits = (a & (K.IMEI | K.IMSI | K.ICCID)) !== 0 && /^\d+$/.test(v); // read by those three only
    if (a & K.IMEI && digits && (v.length === 15 || v.length === 14)) {
      const checked = v.length === 15 && luhnValid(v);
      return this.#id(t, 'imei', v, checked ? 0.95 : 0.6, { luhn: checked, digits: v.length });
    }
    if (a & K.IMSI && digits && (v.length === 15 || v.length === 14) && /^[2-7]\d\d/.test(v)) {
      return this.#id(t, 'imsi', v, 0.9, { mcc: v.slice(0, 3) });
    }
    if (a & K.ICCID && /^89\d{16,18}[0-9a-f]?$/i.test(v)) {
      const checked = digits && luhnValid(v);
      return this.#id(t, 'iccid', v, checked ? 0.95 : 0.8, { luhn: checked, digits: v.length });
    }
    if (a & K.MAC && v !== this.#knownMac) {
      // The device's own MAC repeats in every event: the reporter is asked before the path is looked at, and a
      // value already reported is not parsed again.
      const mac = macOf(v, true);
      if (mac && !this.#out.fresh('mac-address', mac)) this.#knownMac = v;
      else if (mac && !this.#inWifiList(t)) return this.#id(t, 'mac-address', mac, 0.9, { key: keyOf(t) });
    }
    if (a & K.AD_ID && (UUID.test(v) || /^[0-9a-f]{16,64}$/i.test(v)) && !/^[0-]+$/.test(v)) {
      return this.#id(t, 'advertising-id', v, 0.9, { key: keyOf(t) });
    }
    if (a & K.SERIAL && ID_SHAPE.test(v) && /\d/.test(v))
      return this.#id(t, 'serial-number', v, 0.85, { key: keyOf(t) });
    if (a & (K.SSID | K.PASSWORD) && v.length > 0) this.#cred(t, a, v);
    if ((a & K.TOKEN || b & K2.AUTH_HEADER) && this.#plaintext()) {
      const bare = v.replace(/^(Bearer|Basic|Token|Digest)\s+/i, '');
      if (bare.length >= 16 && !/\s/.test(bare)) {
        return this.#id(t, 'account-token', bare, 0.85, { key: keyOf(t), tls: this.#ctx.flow.tls });
      }
    }
    return undefined;
  }

  /**
   * An MQTT CONNECT's client id or username: the MACs, IMEIs and serials firmware builds into it, and a token used
   * as username (plaintext only); its password: a token or a password sent in clear. `next` = go on as any token.
   */
  #connectField(t: Token): Verdict | 'next' {
    const v = t.value;
    if (t.key === 'password') {
      if (!this.#plaintext() || v === '') return undefined;
      const token = tokenShaped(v);
      return this.#id(t, token ? 'account-token' : 'password', v, token ? 0.85 : 0.8, { field: t.key, tls: 'none' });
    }
    if (!CONNECT_ID_KEYS.has(t.key)) return 'next';
    for (const id of idsInField(v)) {
      if (this.#id(t, id.subtype, id.value, id.confidence, { field: t.key }) === 'done') return 'done';
    }
    if (t.key === 'username' && this.#plaintext() && tokenShaped(v)) {
      return this.#id(t, 'account-token', v, 0.85, { field: t.key, tls: 'none' });
    }
    return 'next';
  }

  /** Values with no telling key: only shapes a checksum or a prefix makes safe. */
  #bare(t: Token): Verdict {
    const v = t.value;
    if (v.length === 15 && /^\d{15}$/.test(v) && IMEI_TACS.test(v) && luhnValid(v)) {
      return this.#id(t, 'imei', v, 0.7, { luhn: true, keyed: false });
    }
    if ((v.length === 19 || v.length === 20) && /^89\d+$/.test(v) && luhnValid(v)) {
      return this.#id(t, 'iccid', v, 0.8, { luhn: true, keyed: false });
    }
    if (v.length === 17 && !(classify(keyOf(t)).a & (K.BSSID | K.WIFI_LIST)) && !this.#inWifiList(t)) {
      const mac = macOf(v);
      if (mac) return this.#id(t, 'mac-address', mac, 0.75, { keyed: false });
    }
    return undefined;
  }

  /**
   * Free text (and pieces of long strings): JWTs, Wi-Fi QR provisioning strings, passwords in FTP/POP3/IMAP/SMTP
   * commands sent in clear (lib/line-credentials.ts), `IMEI: …` lines; in free text also
   * IMEIs and ICCIDs as fields of their own (a tracker's line protocol), under the bare values' rule (#bare).
   */
  #scanText(t: Token): Verdict {
    const text = this.#window.text(t);
    if (this.#plaintext() && text.includes('eyJ')) {
      for (const m of matchesIn(JWT, text)) if (this.#id(t, 'account-token', m[0], 0.9, { jwt: true })) return 'done';
    }
    if (text.includes('WIFI:')) {
      for (const m of matchesIn(WIFI_QR, text)) {
        const ex = `ssid=${m[1]} password=${m[2]}`;
        if (this.#id(t, 'wifi-credentials', ex, 0.95, { format: 'wifi-qr' })) return 'done';
      }
    }
    if (t.source === 'text' && this.#plaintext()) {
      for (const c of lineCredentials(text)) this.#id(t, 'password', c.password, 0.9, { form: c.form, tls: 'none' });
    }
    if (t.source === 'text' || t.source === 'multipart-field' || t.value.length > 64) {
      for (const m of matchesIn(TEXT_ID, text)) {
        const kind = (m[1] as string).toLowerCase();
        const v = m[2] as string;
        if (kind === 'imei' && v.length === 15 && luhnValid(v) && this.#id(t, 'imei', v, 0.9, { luhn: true })) {
          return 'done';
        }
        if (kind === 'iccid' && v.startsWith('89') && this.#id(t, 'iccid', v, 0.85, { luhn: luhnValid(v) })) {
          return 'done';
        }
        if (kind === 'imsi' && v.length === 15 && this.#id(t, 'imsi', v, 0.85, { mcc: v.slice(0, 3) })) return 'done';
      }
    }
    if (text.length >= 24 && text.includes('imei:')) {
      for (const m of matchesIn(URN_IMEI, text)) {
        const v = m[1] as string;
        if (luhnValid(v) && this.#id(t, 'imei', v, 0.95, { luhn: true, urn: true })) return 'done';
      }
    }
    if (t.source === 'text') {
      for (const m of matchesIn(TEXT_DIGIT_FIELD, text)) {
        const v = m[1] as string;
        const kind = v.length === 15 ? (IMEI_TACS.test(v) ? 'imei' : undefined) : 'iccid';
        if (kind && luhnValid(v) && this.#id(t, kind, v, 0.8, { luhn: true, keyed: false })) return 'done';
      }
    }
    return undefined;
  }

  #cred(t: Token, a: number, v: string): void {
    const parent = objectKeyOf(t);
    let c = this.#creds.get(parent);
    if (!c) {
      if (this.#creds.full) return;
      c = {};
      this.#creds.add(parent, c);
    }
    if (a & K.SSID) c.ssid = v;
    else {
      c.password = v;
      c.path = t.path;
    }
  }

  end(): void {
    for (const c of this.#creds.values()) {
      if (c.password === undefined) continue;
      const path = c.path ?? '';
      if (c.ssid !== undefined) {
        const excerpt = ['ssid=', { personal: c.ssid }, ' password=', { personal: c.password }];
        this.#out.report({ subtype: 'wifi-credentials', confidence: 0.95, excerpt, path, personal: { ssid: c.ssid } });
      } else if (this.#plaintext()) {
        this.#out.report({ subtype: 'password', confidence: 0.8, excerpt: c.password, path, detail: { tls: 'none' } });
      }
    }
  }

  #id(
    t: Token,
    subtype: string,
    excerpt: string,
    confidence: number,
    detail: Record<string, string | number | boolean>,
  ) {
    if (!this.#out.fresh(subtype, excerpt)) return undefined;
    return this.#out.report({ subtype, confidence, excerpt, path: t.path, detail: { ...detail, source: t.source } });
  }

  #plaintext(): boolean {
    return this.#ctx.flow.tls === 'none';
  }

  /** A MAC inside a list of scanned access points (`wifiAccessPoints[2].macAddress`) is location, not the device. */
  #inWifiList(t: Token): boolean {
    this.#readPath = true;
    const arr = listOf(t);
    return arr !== undefined && (classify(lastKeyOf(arr)).a & K.WIFI_LIST) !== 0;
  }
}
