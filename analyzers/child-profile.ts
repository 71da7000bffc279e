/**
 * child-profile: a child's name, birthday, age, gender, school, class and photo, by key name (English and
 * Chinese keys: 昵称, 生日, 年龄, 性别, 学校, 班级, 头像 …) with value checks (a date, an age under 18, a known
 * gender word). Generic keys (`name`, `class`, `grade`) count only under a path that names a child (`child`,
 * `kid`, `baby`, `student`, 宝宝, 孩子 …). A photo is an image part (multipart file or base64 value) or an image
 * URL, and it is profile data only in a profile: the same message carries the child's name, age, birthday …,
 * its path names a child (`$.child.photo`), or it goes to a profile/avatar endpoint (URL path or MQTT topic). A
 * field named `photo` alone proves nothing (an object photographed, a face-recognition upload), so photos are
 * decided at the message's end. Not the face detector: it does not look inside images.
 */
import type { Analyzer, AnalyzerContext, AnalyzerState, Verdict } from '../src/model/analyzer.ts';
import type { MediaInfo } from '../src/model/media.ts';
import type { Token } from '../src/model/token.ts';
import { classify, isWrappedValueKey, K, K2, keyedMinLength, keyOf, lastKeyOf } from './lib/keys.ts';
import { Reporter } from './lib/reporter.ts';
import { dateYear } from './lib/values.ts';

const CHILD_PATH = /child|kid|baby|student|pupil|宝宝|孩子|儿童|学生|小朋友/i;
const CJK_KEY = /[\u4e00-\u9fff]/;
const GENDERS = new Set(['male', 'female', 'm', 'f', 'boy', 'girl', '男', '女', '男孩', '女孩', '0', '1', '2']);
const AGE = /^(\d{1,2})(?:\s*(?:岁|years?|yrs?|y))?$/i;
const IMAGE_URL = /^(https?:\/\/|\/)\S+\.(jpe?g|png|webp|gif|heic|bmp)(\?\S*)?$/i;
/** A URL path or MQTT topic that names a profile or its picture. */
const PROFILE_ENDPOINT = /profile|avatar|head_?(?:img|image|pic)|portrait|userinfo|头像|资料/i;
/** The key flags this analyzer reads (first and second word). */
const MY_FLAGS = K.CHILD_NAME | K.BIRTHDAY | K.AGE | K.GENDER | K.SCHOOL;
const MY_FLAGS_2 = K2.NAME | K2.CLASS | K2.PHOTO;
/** Photos held per message until its end decides whether it is a profile. */
const MAX_PHOTOS = 16;
/** A birthday's shortest date (`201856`: year, month, day); any other field needs a character. */
const KEYED_MINS: ReadonlyArray<readonly [number, number]> = [
  [K.BIRTHDAY, 6],
  [K.CHILD_NAME | K.AGE | K.GENDER | K.SCHOOL, 1],
];
/** Ages a child has: older values are an adult's (or not an age). */
const MAX_CHILD_AGE = 17;

export const childProfile: Analyzer = {
  name: 'child-profile',
  wants: (head) => head.direction === 'upload',
  tokens: {
    key: (key) => isMyKey(key) || isWrappedValueKey(key),
    // A key with a second-word flag (a name, class or photo key) takes any value.
    keyedMinLength: (key) => (classify(key).b & MY_FLAGS_2 ? 0 : keyedMinLength(key, KEYED_MINS)),
  },
  open: (ctx) => new ChildProfileState(ctx),
};

/** A photo seen in the message, reported at its end if the message turns out to be a profile. */
interface Photo {
  excerpt: string;
  path: string;
  confidence: number;
  /** Its own path names a child (`$.child.photo`, `multipart:babyPhoto`). */
  childPath: boolean;
  detail: Record<string, string | number | boolean>;
}

class ChildProfileState implements AnalyzerState {
  readonly #out: Reporter;
  readonly #ctx: AnalyzerContext;
  readonly #parts = new Map<number, { info: MediaInfo; bytes: number }>();
  readonly #photos: Photo[] = [];
  /** The message goes to a profile/avatar endpoint. */
  readonly #endpoint: boolean;
  /** The message carries a child's profile field (name, birthday, age, gender, school, class). */
  #profile = false;

  constructor(ctx: AnalyzerContext) {
    this.#ctx = ctx;
    this.#out = new Reporter(ctx, 'child-profile');
    const where = ctx.head.url?.split('?')[0] ?? ctx.head.mqtt?.topic ?? '';
    this.#endpoint = PROFILE_ENDPOINT.test(where);
  }

  token(t: Token): Verdict {
    if (t.offset !== 0 || t.more || t.source === 'header') return undefined;
    if (t.kind !== 'string' && t.kind !== 'number') return undefined;
    const { a, b } = classify(keyOf(t));
    // Most keyed tokens (lat, imei, mac …) name nothing of a child: stop before any string work.
    if ((a & MY_FLAGS) === 0 && (b & MY_FLAGS_2) === 0) return undefined;
    const v = t.value.trim();
    if (v === '' || v.length > 120) return undefined;
    // A value already reported under a subtype passed that subtype's value test then (the tests are pure), so
    // each branch asks the reporter first: telemetry repeats the same child in every event. The path and key
    // regexes run only where a result reads them.
    if (a & K.CHILD_NAME || (b & K2.NAME && childPath(t))) {
      if (!this.#out.fresh('name', v)) return undefined;
      if (isName(v)) return this.#found(t, 'name', v, strong(t) ? 0.9 : 0.75);
    }
    if (a & K.BIRTHDAY) {
      if (!this.#out.fresh('birthday', v)) return undefined;
      const year = dateYear(v);
      if (year !== undefined) {
        const young = new Date(this.#ctx.now() / 1000).getUTCFullYear() - year <= MAX_CHILD_AGE;
        return this.#found(t, 'birthday', v, young ? 0.9 : 0.7, { year });
      }
    }
    if (a & K.AGE) {
      if (!this.#out.fresh('age', v)) return undefined;
      const m = AGE.exec(v);
      const age = m ? Number(m[1]) : Number.NaN;
      if (age >= 0 && age <= MAX_CHILD_AGE) return this.#found(t, 'age', v, strong(t) ? 0.9 : 0.8, { age });
    }
    if (a & K.GENDER) {
      if (!this.#out.fresh('gender', v)) return undefined;
      if (GENDERS.has(v.toLowerCase())) return this.#found(t, 'gender', v, childPath(t) ? 0.9 : 0.8);
    }
    if (a & K.SCHOOL && isName(v)) return this.#found(t, 'school', v, 0.85);
    if (b & K2.CLASS && (strong(t) || /班|年级|grade|class/i.test(v)) && isName(v)) {
      return this.#found(t, 'class', v, 0.75);
    }
    if (b & K2.PHOTO && t.kind === 'string' && IMAGE_URL.test(v) && this.#photos.length < MAX_PHOTOS) {
      const detail = { key: keyOf(t), url: true };
      this.#photos.push({ excerpt: v, path: t.path, confidence: 0.7, childPath: childPath(t), detail });
    }
    return undefined;
  }

  media(info: MediaInfo, chunk: Uint8Array): Verdict {
    if (info.family !== 'image') return undefined;
    let p = this.#parts.get(info.partId);
    if (!p) {
      if (!this.#endpoint && !isPhotoOrigin(info.origin)) return undefined;
      p = { info, bytes: 0 };
      this.#parts.set(info.partId, p);
    }
    p.bytes += chunk.length;
    return undefined;
  }

  mediaEnd(info: MediaInfo): Verdict {
    const p = this.#parts.get(info.partId);
    if (!p) return undefined;
    this.#parts.delete(info.partId);
    if (this.#photos.length >= MAX_PHOTOS) return undefined;
    this.#photos.push({
      excerpt: info.filename ?? info.origin,
      path: info.origin,
      confidence: 0.9,
      childPath: CHILD_PATH.test(info.origin),
      detail: { mime: info.mime, bytes: p.bytes, origin: info.origin },
    });
    return undefined;
  }

  #found(t: Token, subtype: string, v: string, confidence: number, extra: Record<string, number | boolean> = {}) {
    this.#profile = true;
    if (!this.#out.fresh(subtype, v)) return undefined;
    return this.#out.report({ subtype, confidence, excerpt: v, path: t.path, detail: { key: keyOf(t), ...extra } });
  }

  /** The photos of a profile: beside the child's fields, under a child's path, or sent to a profile endpoint. */
  end(): void {
    for (const p of this.#photos) {
      const context = this.#endpoint ? 'endpoint' : this.#profile ? 'profile-fields' : p.childPath ? 'child-path' : '';
      if (context === '') continue;
      const { excerpt, path, confidence } = p;
      if (this.#out.report({ subtype: 'photo', confidence, excerpt, path, detail: { ...p.detail, context } })) return;
    }
  }
}

/** A key `token` reads: every other token returns at once. */
function isMyKey(key: string): boolean {
  const { a, b } = classify(key);
  return (a & MY_FLAGS) !== 0 || (b & MY_FLAGS_2) !== 0;
}

/** The path names a child (`$.child.name`, `$.宝宝.age`). Plain functions, not closures: no allocation per token. */
function childPath(t: Token): boolean {
  return CHILD_PATH.test(t.path);
}

/** A child path or a Chinese key: a name or an age more surely a child's. */
function strong(t: Token): boolean {
  return childPath(t) || CJK_KEY.test(keyOf(t));
}

/** Text that can be a name (not a number, a URL or an id-looking token). */
function isName(v: string): boolean {
  return v.length <= 60 && !/^[\d\s.:/-]+$/.test(v) && !/^https?:/i.test(v) && !/^[0-9a-f-]{16,}$/i.test(v);
}

/** `multipart:avatar` or a base64 value at `$.child.photo`. */
function isPhotoOrigin(origin: string): boolean {
  const key = origin.startsWith('multipart:') ? origin.slice('multipart:'.length) : lastKeyOf(origin);
  return (classify(key).b & K2.PHOTO) !== 0;
}
