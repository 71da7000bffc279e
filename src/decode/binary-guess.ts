/**
 * Recognising an undeclared binary body by shape: `guessBinaryEncoding` walks the first bytes as protobuf,
 * CBOR and MessagePack and names the one they read as with plausible structure. Conservative on purpose:
 * it runs only when magic found nothing and the declared type is vague, and audio, compressed or random bytes
 * must not pass (a wrong guess would flood analyzers with junk tokens). Not a validator: a body that passes may
 * still turn out malformed further on, and the tokenizer then reports it.
 */

import { DEFAULT_LIMITS } from '../model/limits.ts';
import type { Token } from '../model/token.ts';
import { looksLikeText } from './binary-tokens.ts';
import { CborTokenizer } from './cbor-tokens.ts';
import { MsgpackTokenizer } from './msgpack-tokens.ts';
import { walkFields } from './protobuf-tokens.ts';

export type BinaryEncoding = 'protobuf' | 'cbor' | 'msgpack';

/** Field numbers above this are not believed in a guess (real schemas number fields from 1, densely). */
const GUESS_MAX_FIELD = 2047;
/** Groups are not believed either: proto3 has none, and random bytes often read as a group start (wire type 3). */
const GUESS_RULES = { maxField: GUESS_MAX_FIELD, strictLevels: 8, ordered: true, groups: false };
/** Complete protobuf fields a prefix must show, and a whole (small) body. */
const MIN_FIELDS = 4;
const MIN_FIELDS_WHOLE = 2;
/** Tokens a CBOR/MessagePack head must give, and how many of them must sit under a word-like key. */
const MIN_TOKENS = 3;
const MIN_NAMED = 2;
/** A key a device would use: a short identifier (`lat`, `device_id`, `sensor.temp`). */
const WORD_KEY = /^[A-Za-z_$@][\w$@.:-]{0,63}$/;
const INT_KEY = /^-?\d{1,10}$/;

/**
 * The encoding the first bytes of a body read as, or undefined. `complete` = `head` is the whole body (it must
 * then parse to its end), otherwise it is a prefix and its last item may be cut.
 */
export function guessBinaryEncoding(head: Uint8Array, complete = false): BinaryEncoding | undefined {
  if (head.length < 2 || looksLikeText(head, 0, head.length, !complete)) return undefined;
  const first = head[0]!;
  if (first < 0x80) return guessProtobuf(head, complete) ? 'protobuf' : undefined;
  // 0x81..0x9f opens a map or array in both: the reading with more identifier keys wins.
  const mp =
    (first <= 0x9f || first >= 0xdc) && first !== 0x80 && first !== 0x90 ? treeShape(head, complete, 'msgpack') : 0;
  const cb = first >= 0x81 && first <= 0xbf && first !== 0xa0 ? treeShape(head, complete, 'cbor') : 0;
  if (mp === 0 && cb === 0) return undefined;
  return mp >= cb ? 'msgpack' : 'cbor';
}

function guessProtobuf(head: Uint8Array, complete: boolean): boolean {
  const first = head[0]!;
  const wt = first & 7;
  if (first >> 3 === 0 || (wt !== 0 && wt !== 1 && wt !== 2 && wt !== 5)) return false;
  const fields = walkFields(head, 0, head.length, complete, GUESS_RULES);
  return fields >= (complete ? MIN_FIELDS_WHOLE : MIN_FIELDS);
}

/** Whether a string reads as a name or a value a device would send: no control characters, no U+FFFD. */
function plausibleString(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f || c === 0xfffd) return false;
  }
  return true;
}

/**
 * Runs the real tokenizer over the head: no violation, at least MIN_TOKENS tokens, every text value plausible,
 * every key a short identifier or an integer, at least MIN_NAMED values under identifier keys. Returns how many
 * values sit under identifier keys, 0 when the shape is not plausible.
 */
function treeShape(head: Uint8Array, complete: boolean, kind: 'cbor' | 'msgpack'): number {
  let ok = true;
  let tokens = 0;
  let named = 0;
  const sink = (t: Token): void => {
    tokens++;
    if (t.key !== '') {
      if (WORD_KEY.test(t.key)) named++;
      else if (!INT_KEY.test(t.key)) ok = false;
    }
    if (t.kind === 'string' && !plausibleString(t.value)) ok = false;
  };
  const opts = { limits: DEFAULT_LIMITS, report: () => (ok = false) };
  const tokenizer = kind === 'cbor' ? new CborTokenizer(sink, opts) : new MsgpackTokenizer(sink, opts);
  tokenizer.write(head);
  if (complete) tokenizer.end();
  return ok && named >= MIN_NAMED && tokens >= MIN_TOKENS ? named : 0;
}
