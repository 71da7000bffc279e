/**
 * Identifiers packed into a device's own identity fields (an MQTT CONNECT's client id and username): firmware
 * builds them from the hardware — `ESP32-A4CF12B3C4D5`, `toy_a4:cf:12:b3:c4:d5`, `862012034567895`,
 * `SN-XY2023000123` — so a MAC, an IMEI or a serial sits inside a larger string. And whether a credential is a
 * token (a JWT, a hex digest, a long random string) rather than a password a person chose. Pure functions; the
 * identifiers analyzer decides what to report. Not for free text: a bare 12-hex run is believed only here,
 * where the field is known to name the device, and only with more of the name around it.
 */
import { luhnValid } from './luhn.ts';
import { matchesIn } from './matches.ts';
import { macOf } from './values.ts';

/** One identifier found inside a field. */
export interface FieldId {
  subtype: 'mac-address' | 'imei' | 'serial-number';
  value: string;
  confidence: number;
}

/** Six separated octets, not part of a longer run (`toy-a4:cf:12:b3:c4:d5` yes, a seventh octet no). */
const MAC_SEPARATED =
  /(?<![0-9A-Fa-f]|[0-9A-Fa-f][:-])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![:-]?[0-9A-Fa-f])/g;
/** 12 hex digits standing alone between non-alphanumerics (or the ends): `ESP_A4CF12B3C4D5`, `a4cf12b3c4d5|x`. */
const MAC_BARE = /(?<![0-9A-Za-z])[0-9A-Fa-f]{12}(?![0-9A-Za-z])/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const IMEI = /(?<!\d)\d{15}(?!\d)/g;
const IMEI_TACS = /^(01|35|86|99|30|33|44|45|49|52|53|54|91)/;
/** `SN-…`, `sn:…`, `serial_…`: a separator is required (`SNOWMAN1` is no serial). */
const SERIAL = /(?<![A-Za-z0-9])(?:sn|s\/n|serial(?:no)?)[:=_-]([A-Za-z0-9][A-Za-z0-9-]{4,31})(?![A-Za-z0-9])/gi;

/** MACs, IMEIs and serials inside an identity field, each once, in that order. */
export function idsInField(value: string): FieldId[] {
  const out: FieldId[] = [];
  const add = (id: FieldId) => {
    if (!out.some((o) => o.subtype === id.subtype && o.value === id.value)) out.push(id);
  };
  for (const m of matchesIn(MAC_SEPARATED, value)) {
    const mac = macOf(m[0]);
    if (mac) add({ subtype: 'mac-address', value: mac, confidence: 0.9 });
  }
  // A UUID's last group is 12 hex digits too: random ids are no MAC.
  const noUuid = value.includes('-') ? value.replace(UUID, '-') : value;
  for (const m of matchesIn(MAC_BARE, noUuid)) {
    // A field that is nothing but 12 hex digits is as often a vendor's device id (Tuya's `6c1234abcdef`): only a
    // run with the device's name around it (`ESP32_…`, `shellyplus1-…`) is believed.
    if (m[0].length === noUuid.length) continue;
    const mac = macOf(m[0], true);
    // A device's burnt-in address is unicast and globally administered (random 12-hex ids are so 1 time in 4).
    if (mac && (Number.parseInt(mac.slice(0, 2), 16) & 0x03) === 0) {
      add({ subtype: 'mac-address', value: mac, confidence: 0.75 });
    }
  }
  for (const m of matchesIn(IMEI, value)) {
    if (IMEI_TACS.test(m[0]) && luhnValid(m[0])) add({ subtype: 'imei', value: m[0], confidence: 0.85 });
  }
  for (const m of matchesIn(SERIAL, value)) {
    const sn = m[1]!;
    if (/\d/.test(sn)) add({ subtype: 'serial-number', value: sn, confidence: 0.8 });
  }
  return out;
}

const JWT = /^eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}$/;
const HEX_SECRET = /^[0-9a-f]{32,}$/i;
const TOKEN_CHARS = /^[A-Za-z0-9+/=_.~-]{20,}$/;
/** Bits per character a random token of 20+ characters reaches and chosen names and passwords rarely do. */
const MIN_TOKEN_BITS = 3.8;

/**
 * Whether a credential is a token a program made (a JWT, a hex digest or key, 20+ random characters with
 * letters and digits) rather than a password or name a person chose.
 */
export function tokenShaped(value: string): boolean {
  if (JWT.test(value) || HEX_SECRET.test(value)) return true;
  if (!TOKEN_CHARS.test(value)) return false;
  let digits = 0;
  let letters = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i) | 0x20;
    if (c >= 0x30 && c <= 0x39) digits++;
    else if (c >= 0x61 && c <= 0x7a) letters++;
  }
  return digits >= 2 && letters >= 2 && charBits(value) >= MIN_TOKEN_BITS;
}

/** Shannon entropy of the characters of `s`, in bits per character. */
function charBits(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
