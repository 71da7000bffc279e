/**
 * Key names and token paths, shared by the analyzers: a key is normalised once (lower case, no `_ - . space`)
 * and classified once into bit flags, cached, so the hot path per token is one Map lookup. Not a detector: it
 * says what a key is called, never whether its value is personal data.
 */
import type { Token } from '../../src/model/token.ts';

/** What a key name says about its value. One key may carry several flags (`mac` is both a MAC and a BSSID key). */
export const K = {
  LAT: 1 << 0,
  LON: 1 << 1,
  GEOHASH: 1 << 2,
  COORDS: 1 << 3,
  WIFI_LIST: 1 << 4,
  CELL_LIST: 1 << 5,
  MCC: 1 << 6,
  MNC: 1 << 7,
  LAC: 1 << 8,
  CID: 1 << 9,
  BSSID: 1 << 10,
  SIGNAL: 1 << 11,
  PHONE: 1 << 12,
  EMAIL: 1 << 13,
  PERSON_NAME: 1 << 14,
  RELATION: 1 << 15,
  IMEI: 1 << 16,
  IMSI: 1 << 17,
  ICCID: 1 << 18,
  MAC: 1 << 19,
  SERIAL: 1 << 20,
  AD_ID: 1 << 22,
  SSID: 1 << 23,
  PASSWORD: 1 << 24,
  TOKEN: 1 << 25,
  CHILD_NAME: 1 << 26,
  BIRTHDAY: 1 << 27,
  AGE: 1 << 28,
  GENDER: 1 << 29,
  SCHOOL: 1 << 30,
} as const;
/** Flags past 31 bits live in a second word. */
export const K2 = {
  CLASS: 1 << 0,
  PHOTO: 1 << 1,
  NAME: 1 << 2,
  AUTH_HEADER: 1 << 3,
} as const;

const POS_PREFIX = '(gps|wgs84|wgs|gcj02|gcj|bd09|cur|current|last|my|user|device|dev|loc|location|geo|g|b|m)?';

/** [pattern on the normalised key, word-1 flags, word-2 flags]. */
const RULES: ReadonlyArray<readonly [RegExp, number, number]> = [
  [new RegExp(`^${POS_PREFIX}(lat|latitude|lati)$`), K.LAT, 0],
  [new RegExp(`^${POS_PREFIX}(lng|lon|long|longitude|longi|lgt)$`), K.LON, 0],
  [/^(geohash|geohashcode|ghash|gh)$/, K.GEOHASH, 0],
  [
    /^(location|loc|gps|coord|coords|coordinate|coordinates|latlng|lnglat|latlon|lonlat|position|pos|geo|gpsinfo|位置|坐标|定位)$/,
    K.COORDS,
    0,
  ],
  [
    /^(macs|mmac|wifi|wifis|wifilist|wifiscan|wifiaccesspoints|accesspoints|aps|wifiaps|bssids|scanlist)$/,
    K.WIFI_LIST,
    0,
  ],
  [/^(bts|nearbts|cell|cells|celltowers|celllist|basestations|lbs)$/, K.CELL_LIST, 0],
  [/^(mcc|mobilecountrycode)$/, K.MCC, 0],
  [/^(mnc|mobilenetworkcode)$/, K.MNC, 0],
  [/^(lac|tac|locationareacode)$/, K.LAC, 0],
  [/^(cid|cellid|ci|cellidentity)$/, K.CID, 0],
  [/^(bssid|mac|macaddress|macaddr|apmac)$/, K.BSSID, 0],
  [/^(rssi|signal|signalstrength|level|dbm|strength)$/, K.SIGNAL, 0],
  [
    /^(phone|phonenumber|phoneno|phonenum|mobile|mobilephone|mobileno|mobilenumber|tel|telephone|telno|cellphone|msisdn|contactphone|contactnumber|parentphone|guardianphone|emergencyphone|sosnumber|sos|number|手机|手机号|手机号码|电话|电话号码|号码|联系电话|联系方式)$/,
    K.PHONE,
    0,
  ],
  [/^(email|emailaddress|mail|useremail|parentemail|邮箱|电子邮箱)$/, K.EMAIL, 0],
  [
    /^(name|contactname|displayname|fullname|nickname|relation|relationship|role|称呼|关系|名字|姓名)$/,
    K.PERSON_NAME,
    0,
  ],
  [/^(relation|relationship|role|称呼|关系|家庭角色)$/, K.RELATION, 0],
  [/^(imei|imei1|imei2|deviceimei|meid)$/, K.IMEI, 0],
  [/^(imsi|simimsi|subscriberid)$/, K.IMSI, 0],
  [/^(iccid|simiccid|simserial|simserialnumber|iccidnumber)$/, K.ICCID, 0],
  [/^(mac|macaddress|macaddr|devicemac|devmac|wifimac|btmac|bluetoothmac|blemac|ethmac|hwaddr|stamac)$/, K.MAC, 0],
  [
    /^(sn|serial|serialno|serialnum|serialnumber|devicesn|devsn|deviceserial|hardwaresn|序列号|设备序列号)$/,
    K.SERIAL,
    0,
  ],
  [/^(idfa|gaid|adid|advertisingid|oaid|aaid|googleadid|vaid)$/, K.AD_ID, 0],
  [/^(ssid|wifissid|wifiname|apname|networkname)$/, K.SSID, 0],
  [/^(password|passwd|pwd|pass|psk|wifipassword|wifipwd|wifipass|wifikey|appassword|passphrase|密码)$/, K.PASSWORD, 0],
  [
    /^(token|accesstoken|authtoken|refreshtoken|sessiontoken|sessionid|session|sid|jsessionid|phpsessid|apikey|secret|secretkey|usertoken|logintoken|idtoken)$/,
    K.TOKEN,
    0,
  ],
  [
    /^(childname|kidname|babyname|studentname|nickname|realname|childnickname|babynickname|昵称|姓名|名字|宝宝名字|孩子名字|宝宝昵称|孩子姓名|孩子昵称|小名)$/,
    K.CHILD_NAME,
    0,
  ],
  [
    /^(birthday|birth|birthdate|dob|dateofbirth|bday|childbirthday|babybirthday|生日|出生日期|出生年月)$/,
    K.BIRTHDAY,
    0,
  ],
  [/^(age|childage|kidage|babyage|年龄|岁数)$/, K.AGE, 0],
  [/^(gender|sex|childgender|babygender|性别)$/, K.GENDER, 0],
  [/^(school|schoolname|kindergarten|nursery|学校|幼儿园|学校名称)$/, K.SCHOOL, 0],
  [/^(class|classname|grade|gradename|classroom|班级|年级)$/, 0, K2.CLASS],
  [
    /^(avatar|avatarurl|photo|photourl|headimg|headimgurl|headimage|headurl|headpic|portrait|picture|pic|image|img|imageurl|childphoto|babyphoto|kidphoto|facephoto|selfie|头像|照片|图片)$/,
    0,
    K2.PHOTO,
  ],
  [/^(name|username|fullname|firstname)$/, 0, K2.NAME],
  [/^(authorization|proxyauthorization|xauthtoken|xaccesstoken|xtoken)$/, 0, K2.AUTH_HEADER],
];

/** A key's classification: two flag words. */
export interface KeyClass {
  a: number;
  b: number;
}

const NONE: KeyClass = Object.freeze({ a: 0, b: 0 });
const MAX_CACHED_KEYS = 4096;
const cache = new Map<string, KeyClass>();

/** Lower case without `_ - . space`: `Wifi_Access-Points` → `wifiaccesspoints`. */
export function normKey(key: string): string {
  return key.toLowerCase().replace(/[_\-. ]/g, '');
}

/** The last key classified: every analyzer classifies the same token's key in turn, so most calls stop here. */
let lastKey = '';
let lastClass: KeyClass = NONE;

/** The flags of a key, cached (bounded: the cache is cleared when full). */
export function classify(key: string): KeyClass {
  if (key === lastKey) return lastClass;
  let c = cache.get(key);
  if (c === undefined) c = classifyNew(key);
  lastKey = key;
  lastClass = c;
  return c;
}

function classifyNew(key: string): KeyClass {
  if (key === '') return NONE;
  const n = normKey(key);
  let a = 0;
  let b = 0;
  for (const [re, fa, fb] of RULES) {
    if (re.test(n)) {
      a |= fa;
      b |= fb;
    }
  }
  const c = a === 0 && b === 0 ? NONE : { a, b };
  if (cache.size >= MAX_CACHED_KEYS) cache.clear();
  cache.set(key, c);
  return c;
}

/**
 * The shortest value an analyzer reads under a key (TokenInterest.keyedMinLength), from `mins`: [flag, the shortest
 * value the analyzer acts on under that flag] in the key's first flag word. The smallest of the key's flags, so a
 * key with several never loses a value one of them reads; 0 for a key with none of them, and for a wrapped value's
 * key (the wrapper's key names it, see isWrappedValueKey).
 */
export function keyedMinLength(key: string, mins: ReadonlyArray<readonly [number, number]>): number {
  if (isWrappedValueKey(key)) return 0;
  const a = classify(key).a;
  let min = Number.POSITIVE_INFINITY;
  for (const [flag, n] of mins) if (a & flag) min = Math.min(min, n);
  return min === Number.POSITIVE_INFINITY ? 0 : min;
}

/**
 * IoT platforms wrap each property in an object (Alink `"params": {"Age": {"value": 7, "time": …}}`, Tuya
 * `"data": {"age": {"value": 7, "time": …}}`): the `value` member is named by its wrapper's key and belongs to the
 * wrapper's object. Interests of analyzers that read keys take these members too (`isWrappedValueKey`).
 */
export const isWrappedValueKey = (key: string): boolean => key === 'value' || key === 'Value';

/** The last wrapper looked at: the members of one wrapper arrive together, and several analyzers ask in turn. */
let wrapperParent = '';
let wrapperKey = '';
let wrapperObject = '';

/** The wrapper's key and its object's path when `t` is a wrapped value (`$.data.age.value`: `age`, `$.data`). */
function unwrap(t: Token): boolean {
  if (!isWrappedValueKey(t.key)) return false;
  if (t.parent !== wrapperParent) {
    const p = t.parent;
    const key = lastKeyOf(p);
    const dot = p.length - key.length - 1;
    wrapperParent = p;
    wrapperKey = key !== '' && p.charCodeAt(dot) === 0x2e ? key : '';
    wrapperObject = wrapperKey === '' ? p : p.slice(0, dot);
  }
  return wrapperKey !== '';
}

/** The key that names a token's value: its own, or for a wrapped value (see isWrappedValueKey) its wrapper's. */
export function keyOf(t: Token): string {
  return unwrap(t) ? wrapperKey : t.key;
}

/** The path of the object a token belongs to: its parent, or for a wrapped value the wrapper's parent. */
export function objectPathOf(t: Token): string {
  return unwrap(t) ? wrapperObject : t.parent;
}

/**
 * What the analyzers track an object by: the number of the container holding the token (Token.container), or for
 * a wrapped value its wrapper's container (Token.outer). Two containers on one path (two NDJSON lines, a key given
 * twice) are two objects; a form field and a JSON member at `$` are too (ADR 0021).
 */
export function objectKeyOf(t: Token): number {
  return unwrap(t) ? t.outer : t.container;
}

/** For an object that is an array element (`$.wifi[3]`), the array's path (`$.wifi`); else undefined. */
export function arrayOf(objectPath: string): string | undefined {
  if (!objectPath.endsWith(']')) return undefined;
  const i = objectPath.lastIndexOf('[');
  return i > 0 ? objectPath.slice(0, i) : undefined;
}

/**
 * The list a token's object is a member of, by path: an array element's array (`$.wifi[3]` → `$.wifi`), or an XML
 * element's own path, since XML writes a list as the same element repeated, with no index (`<wifi><ap>…</ap><ap>…`
 * → `$.wifi.ap`). Members of one list also share their holder's number (Token.outer). Undefined for anything else.
 */
export function listOf(t: Token): string | undefined {
  const path = objectPathOf(t);
  return arrayOf(path) ?? (t.source === 'xml' && !path.endsWith('$') ? path : undefined);
}

/** The last key named on a path (`$.data.wifiAccessPoints[2]` → `wifiAccessPoints`), '' if none. */
export function lastKeyOf(path: string): string {
  // Scanned by hand (no regex, one slice): it runs for every access point and array element.
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 0x5d) {
    let j = end - 2;
    while (j >= 0 && isDigit(path.charCodeAt(j))) j--;
    if (j < 0 || j === end - 2 || path.charCodeAt(j) !== 0x5b) break;
    end = j; // drop a trailing `[n]`
  }
  if (end === 0) return '';
  const i = Math.max(path.lastIndexOf('.', end - 1), path.lastIndexOf('>', end - 1));
  if (i < 0) return '';
  let from = i + 1;
  if (path.charCodeAt(from) === 0x24 && from < end)
    from += path.charCodeAt(from + 1) === 0x2e && from + 1 < end ? 2 : 1;
  return path.slice(from, end);
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
