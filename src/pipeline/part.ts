/**
 * One part of a message: the body, a multipart part, a base64 value decoded, or a byte field of a binary body.
 * It sniffs the first SNIFF_BYTES once, picks a route (JSON, form, XML, text, protobuf/gRPC, CBOR, MessagePack or
 * multipart tokenizing, the binary ones also recognised by shape, and undeclared printable UTF-8 with word or
 * field separators read as text;
 * media bytes for everything that is not a multipart container) and feeds the analyzers. String tokens that look like
 * base64 or open a JSON document become nested parts, and a part compressed without saying so (gzip or zlib by its
 * magic: an MQTT payload, a WebSocket message, a body with no Content-Encoding) is also inflated, bounded, into a
 * nested part; all up to MAX_BASE64_NESTING deep; so are media found behind a header in a part of no known format,
 * and JSON documents in a device's own framing there or in a text part (Socket.IO's `42["event",{…}]`)
 * (embedded-media.ts, embedded-json.ts).
 * Decode once, analyze many: no analyzer re-parses a body.
 */
import { Base64Decoder, startsBase64 } from '../decode/base64.ts';
import { guessBinaryEncoding } from '../decode/binary-guess.ts';
import { type BinaryTokenizerOptions, type BytesHook, looksLikeText } from '../decode/binary-tokens.ts';
import { CborTokenizer } from '../decode/cbor-tokens.ts';
import { createContentDecoder } from '../decode/content-encoding.ts';
import type { ByteSink, Filter, Tokenizer } from '../decode/filter.ts';
import { FormTokenizer } from '../decode/form-tokens.ts';
import { GrpcTokenizer } from '../decode/grpc-tokens.ts';
import { JsonTokenizer } from '../decode/json-tokens.ts';
import { mediaFamily, sniff } from '../decode/magic.ts';
import { looksForm } from '../decode/magic-checks.ts';
import { MsgpackTokenizer } from '../decode/msgpack-tokens.ts';
import { boundaryOf, MultipartParser } from '../decode/multipart.ts';
import { ProtobufTokenizer } from '../decode/protobuf-tokens.ts';
import { charsetOf } from '../decode/text.ts';
import type { ContainerIds } from '../decode/token-text.ts';
import { transferDecoder } from '../decode/transfer-encoding.ts';
import { Utf8Pieces } from '../decode/utf8-pieces.ts';
import { XmlTokenizer } from '../decode/xml-tokens.ts';
import type { Limits } from '../model/limits.ts';
import type { MediaInfo } from '../model/media.ts';
import type { Token, TokenSource } from '../model/token.ts';
import type { ViolationSink } from '../model/violation.ts';
import { EmbeddedJsonScanner, opensJsonDocument } from './embedded-json.ts';
import { EmbeddedMediaScanner } from './embedded-media.ts';
import type { AnalyzerFanout } from './fanout.ts';
import { TextPieces } from './text-pieces.ts';

export interface PartEnv {
  limits: Limits;
  report: ViolationSink;
  fanout: AnalyzerFanout;
  nextPartId: () => number;
  /** The message's container numbers (Token.container), shared by every tokenizer of its parts. */
  ids: ContainerIds;
}

export interface PartOptions {
  /** Content-Type the protocol declared for this part. */
  declared?: string;
  origin: string;
  depth: number;
  /** Prefix of token paths inside this part (`$.audio>` for a base64 value at `$.audio`). */
  pathPrefix: string;
  filename?: string;
  /** A multipart form field (no filename): its text becomes one token named after the field. */
  fieldName?: string;
  /** A multipart form field's container number: the form's, the same for all its fields. */
  form?: number;
}

/** Magic at or above this strength overrules the declared Content-Type (a gzip body declared as JSON). */
const TRUSTED_MAGIC = 50;

/**
 * Declared types a body that is plainly JSON overrules, weak as JSON's magic is: JSON posted with a form's type (a
 * web client's default), as XML or as HTML is read as JSON, not misread by the declared type's tokenizer.
 */
const JSON_OVERRULES: ReadonlySet<string> = new Set([
  'application/x-www-form-urlencoded',
  'application/xml',
  'text/xml',
  'text/html',
]);

type BinaryTokenizerClass = new (sink: (t: Token) => void, opts: BinaryTokenizerOptions) => Tokenizer;
/** Schema-less binary encodings by declared (or guessed) type. */
const BINARY_TOKENIZERS = new Map<string, BinaryTokenizerClass>([
  ['application/x-protobuf', ProtobufTokenizer],
  ['application/protobuf', ProtobufTokenizer],
  ['application/vnd.google.protobuf', ProtobufTokenizer],
  ['application/grpc', GrpcTokenizer],
  ['application/grpc+proto', GrpcTokenizer],
  ['application/cbor', CborTokenizer],
  ['application/msgpack', MsgpackTokenizer],
  ['application/x-msgpack', MsgpackTokenizer],
  ['application/vnd.msgpack', MsgpackTokenizer],
]);
/** Compressed parts by their sniffed type: the coding that undoes them and the name their nested part's path gets. */
const COMPRESSED = new Map<string, { coding: string; label: string }>([
  ['application/gzip', { coding: 'gzip', label: 'gzip' }],
  ['application/zlib', { coding: 'deflate', label: 'zlib' }],
]);
/** The type given to a body recognised by shape. */
const GUESSED_MIME = { protobuf: 'application/x-protobuf', cbor: 'application/cbor', msgpack: 'application/msgpack' };

export class PartDecoder implements ByteSink {
  readonly #env: PartEnv;
  readonly #opts: PartOptions;
  #sniffBuf: Uint8Array[] | undefined = [];
  #sniffLen = 0;
  #info: MediaInfo | undefined;
  #tokenizer: Tokenizer | undefined;
  #multipart: MultipartParser | undefined;
  /** A string value read as a nested part, piece by piece: base64, or JSON carried as a string. */
  #nested: { decoder: Base64Decoder | Utf8Pieces; part: ByteSink } | undefined;
  /** A compressed part's inflater and the nested part it feeds. */
  #inflate: { filter: Filter; part: ByteSink } | undefined;
  /** In a part of no known format, the search for media behind a header (a nested part once found). */
  #embedded: EmbeddedMediaScanner | undefined;
  /** In a part of no known format, the search for JSON documents in a device's own framing (a nested part each). */
  #embeddedJson: EmbeddedJsonScanner | undefined;

  constructor(env: PartEnv, opts: PartOptions) {
    this.#env = env;
    this.#opts = opts;
  }

  write(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#sniffBuf) {
      this.#sniffBuf.push(chunk);
      this.#sniffLen += chunk.length;
      if (this.#sniffLen >= this.#env.limits.SNIFF_BYTES) this.#route(false);
      return;
    }
    this.#feed(chunk);
  }

  end(): void {
    if (this.#sniffBuf) this.#route(true);
    this.#tokenizer?.end();
    this.#multipart?.end();
    this.#inflate?.filter.end(this.#inflate.part);
    this.#embedded?.end();
    this.#embeddedJson?.end();
    if (this.#info) this.#env.fanout.mediaEnd(this.#info);
  }

  /** Bytes were lost: tokenizers cannot resume mid-syntax, so they stop; media keeps flowing. */
  gap(): void {
    if (this.#sniffBuf) this.#route(false);
    if (this.#tokenizer || this.#multipart) {
      this.#env.report({ decoder: 'pipeline', code: 'gap-in-structured-body', message: `part ${this.#opts.origin}` });
      this.#tokenizer = undefined;
      this.#multipart = undefined;
    }
    // An inflater cannot resume either: ended here, it reports the stream as truncated.
    this.#inflate?.filter.end(this.#inflate.part);
    this.#inflate = undefined;
    this.#embedded?.end();
    this.#embedded = undefined;
    this.#embeddedJson?.end();
    this.#embeddedJson = undefined;
  }

  /** `whole`: the buffered bytes are the whole part (it ended before SNIFF_BYTES). */
  #route(whole: boolean): void {
    const buffered = Buffer.concat(this.#sniffBuf ?? [], this.#sniffLen);
    this.#sniffBuf = undefined;
    const { declared, depth } = this.#opts;
    const declaredMime = declared?.split(';')[0]?.trim().toLowerCase() || undefined;
    const boundary = declaredMime?.startsWith('multipart/') ? boundaryOf(declared ?? '') : undefined;
    if (boundary && depth < this.#env.limits.MAX_BASE64_NESTING) {
      this.#multipart = this.#startMultipart(boundary);
    } else {
      const magic = sniff(buffered, this.#env.limits.SNIFF_BYTES);
      const useMagic =
        magic &&
        (magic.strength >= TRUSTED_MAGIC ||
          isVague(declaredMime) ||
          (magic.mime === 'application/json' && JSON_OVERRULES.has(declaredMime ?? '')));
      const guess = magic ? undefined : guessWithoutMagic(buffered, whole, declaredMime);
      const mime = useMagic ? magic.mime : (guess ?? declaredMime ?? 'application/octet-stream');
      this.#info = {
        partId: this.#env.nextPartId(),
        mime,
        family: useMagic ? magic.family : mediaFamily(mime),
        sniffed: Boolean(useMagic || guess),
        depth,
        origin: this.#opts.origin,
        ...(declared === undefined ? {} : { declared }),
        ...(this.#opts.filename === undefined ? {} : { filename: this.#opts.filename }),
      };
      if (this.#env.fanout.wantsTokens) this.#tokenizer = this.#tokenizerFor(mime);
      const compressed = useMagic ? COMPRESSED.get(magic.mime) : undefined;
      if (compressed) this.#inflate = this.#startInflate(compressed.coding, compressed.label);
      else if (mime === 'application/octet-stream' && !useMagic) {
        this.#embedded = this.#startEmbedded();
        this.#embeddedJson = this.#startEmbeddedJson();
      } else if (mime === 'text/plain') this.#embeddedJson = this.#startEmbeddedJson();
    }
    if (buffered.length > 0) this.#feed(buffered);
  }

  #feed(chunk: Uint8Array): void {
    if (this.#multipart) {
      this.#multipart.write(chunk);
      return;
    }
    if (this.#info) this.#env.fanout.media(this.#info, chunk);
    this.#tokenizer?.write(chunk);
    this.#inflate?.filter.write(chunk, this.#inflate.part);
    this.#embedded?.write(chunk);
    this.#embeddedJson?.write(chunk);
  }

  /** The scanner for media behind a header, and the nested part (`embedded@OFFSET>`) it starts. */
  #startEmbedded(): EmbeddedMediaScanner | undefined {
    if (!this.#canNest()) return undefined;
    return new EmbeddedMediaScanner((offset) => {
      if (this.#info) this.#info.embeddedAt ??= offset; // the first media found
      return this.#nestedPart(`embedded@${offset}`);
    });
  }

  /** The scanner for JSON documents in a device's framing, each a nested part (`json@OFFSET>`) declared JSON. */
  #startEmbeddedJson(): EmbeddedJsonScanner | undefined {
    if (!this.#canNest()) return undefined;
    const open = (offset: number) => this.#nestedPart(`json@${offset}`, 'application/json');
    return new EmbeddedJsonScanner(open, this.#env.report, this.#opts.origin);
  }

  /** Whether a part nested in this one stays within MAX_BASE64_NESTING. */
  #canNest(): boolean {
    return this.#opts.depth + 1 <= this.#env.limits.MAX_BASE64_NESTING;
  }

  /** A part nested in this one (`embedded@8`, `json@8`, `gzip`): its origin and token paths prefixed by `label`. */
  #nestedPart(label: string, declared?: string): PartDecoder {
    const { origin, depth, pathPrefix } = this.#opts;
    return new PartDecoder(this.#env, {
      origin: `${origin}>${label}`,
      depth: depth + 1,
      pathPrefix: `${pathPrefix}${label}>`,
      ...(declared === undefined ? {} : { declared }),
    });
  }

  /**
   * The inflater of a compressed part (bounded like a Content-Encoding: MAX_INFLATE_BYTES, MAX_INFLATE_RATIO) and
   * the nested part it feeds, made at its first inflated byte: `gzip>$.lat` is `$.lat` of the JSON inside.
   */
  #startInflate(coding: string, label: string): { filter: Filter; part: ByteSink } | undefined {
    const env = this.#env;
    if (!this.#canNest()) {
      const message = `${this.#opts.origin}: ${label} nested past MAX_BASE64_NESTING (${env.limits.MAX_BASE64_NESTING}), not inflated`;
      env.report({ decoder: 'pipeline', code: 'compressed-too-deep', message });
      return undefined;
    }
    let part: PartDecoder | undefined;
    const nested: ByteSink = {
      write: (bytes) => {
        part ??= this.#nestedPart(label);
        part.write(bytes);
      },
      end: () => part?.end(),
    };
    return { filter: createContentDecoder(coding, env.limits, env.report), part: nested };
  }

  #tokenizerFor(mime: string): Tokenizer | undefined {
    const { limits, report, ids } = this.#env;
    const { depth, pathPrefix, fieldName, declared } = this.#opts;
    const sink = (t: Token) => this.token(t);
    if (mime === 'application/json' || mime.endsWith('+json') || mime === 'application/x-ndjson') {
      const gate = this.#env.fanout.gate('json', limits.MIN_BASE64_CHARS);
      return new JsonTokenizer(sink, { limits, report, depth, pathPrefix, gate, ids });
    }
    const binary = BINARY_TOKENIZERS.get(mime);
    if (binary) {
      const minBytes = limits.MIN_BASE64_CHARS;
      return new binary(sink, { limits, report, depth, pathPrefix, ids, minBytes, ...this.#bytesParts() });
    }
    if (mime === 'application/x-www-form-urlencoded') {
      return new FormTokenizer(sink, { limits, report, depth, pathPrefix, ids, charset: charsetOf(declared ?? '') });
    }
    if (mime === 'application/xml' || mime === 'text/xml' || (mime.endsWith('+xml') && mime !== 'image/svg+xml')) {
      return new XmlTokenizer(sink, { limits, report, depth, pathPrefix, ids, charset: charsetOf(declared ?? '') });
    }
    const isText =
      mime.startsWith('text/') || mime.endsWith('xml') || (fieldName !== undefined && !this.#opts.filename);
    if (!isText) return undefined;
    const source: TokenSource = fieldName === undefined ? 'text' : 'multipart-field';
    const root = `${pathPrefix}$`;
    const path = fieldName === undefined ? root : `${root}.${fieldName}`;
    return new TextPieces(sink, {
      source,
      path,
      parent: root,
      container: this.#opts.form ?? ids.next(),
      key: fieldName ?? '',
      depth,
      charset: charsetOf(declared ?? ''),
      limits,
      report,
    });
  }

  /**
   * Byte fields of a binary body (audio inside protobuf, an image in a CBOR map) become nested parts at the
   * field's path, sniffed and tokenized like any part, up to MAX_BASE64_NESTING deep.
   */
  #bytesParts(): { onBytes?: BytesHook } {
    const env = this.#env;
    const depth = this.#opts.depth + 1;
    if (depth > env.limits.MAX_BASE64_NESTING) return {};
    let part: PartDecoder | undefined;
    const onBytes: BytesHook = (path, chunk, final) => {
      part ??= new PartDecoder(env, { origin: path, depth, pathPrefix: `${path}>` });
      part.write(chunk);
      if (final) {
        part.end();
        part = undefined;
      }
    };
    return { onBytes };
  }

  #startMultipart(boundary: string): MultipartParser {
    let child: ByteSink | undefined;
    const { depth } = this.#opts;
    const form = this.#env.ids.next();
    return new MultipartParser(
      boundary,
      {
        partStart: (headers, info) => {
          const name = info.name ?? '';
          const part = new PartDecoder(this.#env, {
            origin: `multipart:${name}`,
            depth: depth + 1,
            pathPrefix: info.filename === undefined ? '' : `$.${name}>`,
            ...(info.contentType === undefined ? {} : { declared: info.contentType }),
            ...(info.filename === undefined ? { fieldName: name, form } : { filename: info.filename }),
          });
          // A MIME part in base64 or quoted-printable (a mail's attachment, its text) is decoded on its way in.
          const filter = transferDecoder(headers.get('content-transfer-encoding'), this.#env.report);
          child = filter ? { write: (c) => filter.write(c, part), end: () => filter.end(part) } : part;
        },
        partData: (chunk) => child?.write(chunk),
        partEnd: () => {
          child?.end();
          child = undefined;
        },
      },
      this.#env.limits,
      this.#env.report,
    );
  }

  /**
   * Every token goes to the analyzers; long-enough base64-looking strings, and strings that open a JSON document, are
   * also read as nested parts, and their text reaches analyzers by key only (its content comes as the nested part).
   * Public for tokens made outside the part's bytes: a head's headers and query string (src/pipeline/message-decoder.ts).
   */
  token(t: Token): void {
    if (t.kind === 'string' && t.offset === 0) {
      this.#maybeStartBase64(t);
      if (!this.#nested) this.#maybeStartJson(t);
    }
    const nested = t.kind === 'string' ? this.#nested : undefined;
    this.#env.fanout.token(t, nested !== undefined);
    if (!nested) return;
    const sink = nested.part;
    nested.decoder.write(t.value, sink);
    if (!t.more) {
      nested.decoder.end(sink);
      this.#nested = undefined;
    }
  }

  #maybeStartBase64(t: Token): void {
    const { limits } = this.#env;
    if (!startsBase64(t, limits.MIN_BASE64_CHARS)) return;
    if (t.depth + 1 > limits.MAX_BASE64_NESTING) {
      // Never silent: a violation here, and the opaque-upload analyzer notes what was left unread.
      const message = `${t.path}: base64 nested past MAX_BASE64_NESTING (${limits.MAX_BASE64_NESTING}), not decoded`;
      this.#env.report({ decoder: 'pipeline', code: 'base64-too-deep', message });
      return;
    }
    const decoder = new Base64Decoder(this.#env.report);
    // The nested part is created lazily so a `data:<mime>;base64,` prefix can set its declared type.
    const env = this.#env;
    let part: PartDecoder | undefined;
    const lazy: ByteSink = {
      write: (bytes) => {
        part ??= new PartDecoder(env, nestedOptions(t, decoder.mime));
        part.write(bytes);
      },
      end: () => {
        part?.end();
      },
    };
    this.#nested = { decoder, part: lazy };
  }

  /**
   * JSON carried as a string (`payload={"lat":…}` in a form or a query, a document stringified into another's value)
   * is read as a nested JSON part: `$.payload>$.lat`. Past MAX_BASE64_NESTING it stays a string value for the analyzers.
   */
  #maybeStartJson(t: Token): void {
    if (!opensJsonDocument(t.value) || t.depth + 1 > this.#env.limits.MAX_BASE64_NESTING) return;
    this.#nested = {
      decoder: new Utf8Pieces(),
      part: new PartDecoder(this.#env, nestedOptions(t, 'application/json')),
    };
  }
}

/**
 * The type of an undeclared body recognised by shape: protobuf, CBOR, MessagePack, or text — printable UTF-8 with
 * a separator in it (space, tab, line end, comma, semicolon, colon, equals): an NMEA sentence or a log line is
 * text, while a short binary frame whose bytes happen to be printable (an Opus packet, a base64 run) stays bytes.
 */
function guessShape(head: Uint8Array, whole: boolean): string | undefined {
  const shape = guessBinaryEncoding(head, whole);
  if (shape) return GUESSED_MIME[shape];
  return hasSeparator(head) && looksLikeText(head, 0, head.length, !whole) ? 'text/plain' : undefined;
}

/** Separators of words and fields: SP, HT, LF, CR, `,`, `;`, `:`, `=`. */
const SEPARATORS = new Set([0x20, 0x09, 0x0a, 0x0d, 0x2c, 0x3b, 0x3a, 0x3d]);

function hasSeparator(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (SEPARATORS.has(b[i]!)) return true;
  return false;
}

/**
 * The type of a body no magic matched: under a vague declared type, a protobuf/CBOR/MessagePack body recognised by
 * shape, or a raw text payload (NMEA over MQTT, a log line over raw TCP) by being printable UTF-8; a form declared
 * JSON read as the form it is.
 */
function guessWithoutMagic(head: Uint8Array, whole: boolean, declaredMime: string | undefined): string | undefined {
  if (isVague(declaredMime)) return guessShape(head, whole);
  if (declaredMime === 'application/json' && looksForm(head)) return 'application/x-www-form-urlencoded';
  return undefined;
}

/** Declared types that say nothing a sniffed type should yield to (JSON sent as text/plain is common). */
function isVague(declaredMime: string | undefined): boolean {
  return !declaredMime || declaredMime === 'application/octet-stream' || declaredMime === 'text/plain';
}

function nestedOptions(t: Token, mime: string | undefined): PartOptions {
  return {
    origin: t.path,
    depth: t.depth + 1,
    pathPrefix: `${t.path}>`,
    ...(mime === undefined ? {} : { declared: mime }),
  };
}
