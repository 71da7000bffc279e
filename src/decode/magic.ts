/**
 * Magic numbers as data (Zeek signatures, STYLE A5): a table of `{ mime, family, strength, first, test }` and
 * `sniff(head)`, which dispatches on the first byte and returns the strongest entry whose test matches the
 * first SNIFF_BYTES of a part. It only recognises; it does not parse or validate whole files. A declared
 * Content-Type is mapped to a family by `mediaFamily`; sniffing wins over it in the pipeline.
 */

import { DEFAULT_LIMITS } from '../model/limits.ts';
import type { MediaFamily } from '../model/media.ts';
import {
  any,
  ascii,
  at0,
  bytes,
  bytes0,
  code,
  ebmlDocType,
  ftypAny,
  ftypBrands,
  ftypMajor,
  isBmp,
  isPe,
  isTs,
  looksJson,
  mpegFrame,
  oggCodec,
  startsWithCi,
  TEXT_START,
  u32be,
  zlibStream,
} from './magic-checks.ts';

/** One row of the magic table. */
export interface MagicEntry {
  /** MIME type reported when the test matches (may carry parameters, e.g. `audio/ogg;codecs=opus`). */
  mime: string;
  family: MediaFamily;
  /** 0–100; the strongest matching entry wins (Zeek signature strength). */
  strength: number;
  /** The byte values the data can start with; absent when the magic is not at offset 0 (any first byte). */
  first?: readonly number[];
  /** True when the head (at most SNIFF_BYTES) carries this magic. */
  test(b: Uint8Array): boolean;
}

/** What `sniff` found. */
export interface SniffResult {
  mime: string;
  family: MediaFamily;
  strength: number;
}

/** The magic table. Add a row per format; `first` keeps `sniff` a first-byte dispatch. */
export const MAGIC: readonly MagicEntry[] = [
  // audio
  {
    mime: 'audio/wav',
    family: 'audio',
    strength: 70,
    first: [code('R')],
    test: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE'),
  },
  { mime: 'audio/ogg;codecs=opus', family: 'audio', strength: 80, first: [code('O')], test: oggCodec('OpusHead') },
  { mime: 'audio/ogg;codecs=speex', family: 'audio', strength: 80, first: [code('O')], test: oggCodec('Speex   ') },
  { mime: 'audio/ogg;codecs=vorbis', family: 'audio', strength: 80, first: [code('O')], test: oggCodec('\x01vorbis') },
  { mime: 'audio/ogg;codecs=flac', family: 'audio', strength: 80, first: [code('O')], test: oggCodec('\x7fFLAC') },
  { mime: 'video/ogg', family: 'video', strength: 80, first: [code('O')], test: oggCodec('\x80theora') },
  { mime: 'audio/ogg', family: 'audio', strength: 60, first: [code('O')], test: at0('OggS') },
  { mime: 'audio/amr-wb', family: 'audio', strength: 80, first: [code('#')], test: at0('#!AMR-WB\n') },
  { mime: 'audio/amr', family: 'audio', strength: 80, first: [code('#')], test: at0('#!AMR\n') },
  {
    mime: 'audio/silk',
    family: 'audio',
    strength: 80,
    first: [code('#'), 0x02],
    test: any(at0('#!SILK_V3'), at0('\x02#!SILK_V3')),
  },
  { mime: 'audio/mpeg', family: 'audio', strength: 60, first: [code('I')], test: at0('ID3') },
  { mime: 'audio/mpeg', family: 'audio', strength: 30, first: [0xff], test: (b) => mpegFrame(b, false) },
  { mime: 'audio/aac', family: 'audio', strength: 30, first: [0xff], test: (b) => mpegFrame(b, true) },
  { mime: 'audio/flac', family: 'audio', strength: 80, first: [code('f')], test: at0('fLaC') },
  {
    mime: 'audio/aiff',
    family: 'audio',
    strength: 70,
    first: [code('F')],
    test: (b) => ascii(b, 0, 'FORM') && (ascii(b, 8, 'AIFF') || ascii(b, 8, 'AIFC')),
  },
  { mime: 'audio/midi', family: 'audio', strength: 70, first: [code('M')], test: at0('MThd') },
  { mime: 'audio/webm', family: 'audio', strength: 75, first: [0x1a], test: (b) => ebmlDocType(b) === 'webm' },
  { mime: 'video/x-matroska', family: 'video', strength: 70, first: [0x1a], test: bytes0(0x1a, 0x45, 0xdf, 0xa3) },
  // ISO-BMFF (size first, then `ftyp`): the brand decides
  { mime: 'image/avif', family: 'image', strength: 85, test: ftypAny(['avif', 'avis']) },
  {
    mime: 'image/heic',
    family: 'image',
    strength: 84,
    test: ftypAny(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx']),
  },
  { mime: 'image/heif', family: 'image', strength: 83, test: ftypAny(['mif1', 'msf1']) },
  {
    mime: 'audio/mp4',
    family: 'audio',
    strength: 82,
    test: ftypMajor((m) => m === 'M4A ' || m === 'M4B ' || m === 'M4P ' || m === 'F4A '),
  },
  { mime: 'video/3gpp2', family: 'video', strength: 82, test: ftypMajor((m) => m.startsWith('3g2')) },
  {
    mime: 'video/3gpp',
    family: 'video',
    strength: 82,
    test: ftypMajor((m) => m.startsWith('3gp') || m.startsWith('3ge') || m.startsWith('3gg')),
  },
  { mime: 'video/quicktime', family: 'video', strength: 82, test: ftypMajor((m) => m === 'qt  ') },
  { mime: 'video/mp4', family: 'video', strength: 70, test: (b) => ftypBrands(b).length > 0 },
  // video
  {
    mime: 'video/x-flv',
    family: 'video',
    strength: 70,
    first: [code('F')],
    test: (b) => ascii(b, 0, 'FLV') && b[3] === 1,
  },
  {
    mime: 'video/x-msvideo',
    family: 'video',
    strength: 70,
    first: [code('R')],
    test: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'AVI '),
  },
  { mime: 'video/mp2t', family: 'video', strength: 50, first: [0x47], test: isTs },
  {
    mime: 'video/h264',
    family: 'video',
    strength: 30,
    first: [0],
    test: (b) => bytes(b, 0, 0, 0, 0, 1) && [7, 9].includes(b[4]! & 0x1f),
  },
  // images
  { mime: 'image/jpeg', family: 'image', strength: 80, first: [0xff], test: bytes0(0xff, 0xd8, 0xff) },
  {
    mime: 'image/png',
    family: 'image',
    strength: 90,
    first: [0x89],
    test: bytes0(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
  },
  { mime: 'image/gif', family: 'image', strength: 90, first: [code('G')], test: any(at0('GIF87a'), at0('GIF89a')) },
  {
    mime: 'image/webp',
    family: 'image',
    strength: 80,
    first: [code('R')],
    test: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP'),
  },
  { mime: 'image/bmp', family: 'image', strength: 50, first: [code('B')], test: isBmp },
  {
    mime: 'image/tiff',
    family: 'image',
    strength: 70,
    first: [code('I'), code('M')],
    test: any(bytes0(0x49, 0x49, 0x2a, 0), bytes0(0x4d, 0x4d, 0, 0x2a)),
  },
  {
    mime: 'image/x-icon',
    family: 'image',
    strength: 20,
    first: [0],
    test: (b) => bytes(b, 0, 0, 0, 1, 0) && b[4]! > 0 && b[5] === 0,
  },
  // documents and structured data
  { mime: 'application/pdf', family: 'text', strength: 90, first: [code('%')], test: at0('%PDF-') },
  {
    mime: 'application/vnd.sqlite3',
    family: 'structured',
    strength: 90,
    first: [code('S')],
    test: at0('SQLite format 3\0'),
  },
  { mime: 'application/json', family: 'structured', strength: 10, first: [0x7b, 0x5b, ...TEXT_START], test: looksJson },
  {
    mime: 'application/xml',
    family: 'structured',
    strength: 20,
    first: [code('<'), ...TEXT_START],
    test: (b) => startsWithCi(b, '<?xml'),
  },
  {
    mime: 'image/svg+xml',
    family: 'image',
    strength: 25,
    first: [code('<'), ...TEXT_START],
    test: (b) => startsWithCi(b, '<svg'),
  },
  {
    mime: 'text/html',
    family: 'text',
    strength: 25,
    first: [code('<'), ...TEXT_START],
    test: any(
      (b) => startsWithCi(b, '<!doctype html'),
      (b) => startsWithCi(b, '<html'),
    ),
  },
  // archives and compression
  { mime: 'application/gzip', family: 'archive', strength: 90, first: [0x1f], test: bytes0(0x1f, 0x8b, 0x08) },
  // A bare zlib stream (`zlib.compress`, deflate with its header; 0x78 = a 32K window, the smaller windows of small
  // encoders before it): weak, it never overrules a declared type.
  {
    mime: 'application/zlib',
    family: 'archive',
    strength: 40,
    first: [0x08, 0x18, 0x28, 0x38, 0x48, 0x58, 0x68, 0x78],
    test: zlibStream,
  },
  {
    mime: 'application/zip',
    family: 'archive',
    strength: 80,
    first: [code('P')],
    test: any(at0('PK\x03\x04'), at0('PK\x05\x06'), at0('PK\x07\x08')),
  },
  {
    mime: 'application/x-7z-compressed',
    family: 'archive',
    strength: 90,
    first: [code('7')],
    test: bytes0(0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c),
  },
  {
    mime: 'application/x-xz',
    family: 'archive',
    strength: 90,
    first: [0xfd],
    test: bytes0(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00),
  },
  {
    mime: 'application/x-bzip2',
    family: 'archive',
    strength: 70,
    first: [code('B')],
    test: (b) => ascii(b, 0, 'BZh') && b[3]! >= 0x31 && b[3]! <= 0x39,
  },
  { mime: 'application/zstd', family: 'archive', strength: 90, first: [0x28], test: bytes0(0x28, 0xb5, 0x2f, 0xfd) },
  { mime: 'application/x-tar', family: 'archive', strength: 60, test: (b) => ascii(b, 257, 'ustar') },
  {
    mime: 'application/x-squashfs',
    family: 'archive',
    strength: 70,
    first: [code('h'), code('s')],
    test: any(at0('hsqs'), at0('sqsh')),
  },
  {
    mime: 'application/x-cpio',
    family: 'archive',
    strength: 70,
    first: [code('0')],
    test: any(at0('070701'), at0('070702'), at0('070707')),
  },
  // executables and firmware
  {
    mime: 'application/x-elf',
    family: 'executable',
    strength: 90,
    first: [0x7f],
    test: bytes0(0x7f, 0x45, 0x4c, 0x46),
  },
  {
    mime: 'application/vnd.microsoft.portable-executable',
    family: 'executable',
    strength: 85,
    first: [code('M')],
    test: isPe,
  },
  { mime: 'application/x-msdownload', family: 'executable', strength: 30, first: [code('M')], test: at0('MZ') },
  {
    mime: 'application/x-mach-binary',
    family: 'executable',
    strength: 85,
    first: [0xfe, 0xce, 0xcf],
    test: any(
      bytes0(0xfe, 0xed, 0xfa, 0xce),
      bytes0(0xfe, 0xed, 0xfa, 0xcf),
      bytes0(0xce, 0xfa, 0xed, 0xfe),
      bytes0(0xcf, 0xfa, 0xed, 0xfe),
    ),
  },
  {
    mime: 'application/x-mach-binary',
    family: 'executable',
    strength: 60,
    first: [0xca],
    test: (b) => bytes(b, 0, 0xca, 0xfe, 0xba, 0xbe) && b.length >= 8 && u32be(b, 4) > 0 && u32be(b, 4) < 20,
  },
  {
    mime: 'application/java-vm',
    family: 'executable',
    strength: 55,
    first: [0xca],
    test: (b) => bytes(b, 0, 0xca, 0xfe, 0xba, 0xbe) && b.length >= 8 && u32be(b, 4) >= 20,
  },
  {
    mime: 'application/x-uimage',
    family: 'executable',
    strength: 85,
    first: [0x27],
    test: bytes0(0x27, 0x05, 0x19, 0x56),
  },
  { mime: 'application/x-android-boot', family: 'executable', strength: 85, first: [code('A')], test: at0('ANDROID!') },
  { mime: 'application/x-trx-firmware', family: 'executable', strength: 60, first: [code('H')], test: at0('HDR0') },
  { mime: 'application/x-ubi-image', family: 'executable', strength: 70, first: [code('U')], test: at0('UBI#') },
  {
    mime: 'application/x-device-tree',
    family: 'executable',
    strength: 70,
    first: [0xd0],
    test: bytes0(0xd0, 0x0d, 0xfe, 0xed),
  },
];

/** Per first byte, the entries that may match, strongest first. */
const BUCKETS: MagicEntry[][] = (() => {
  const buckets: MagicEntry[][] = Array.from({ length: 256 }, () => []);
  for (const e of MAGIC) {
    if (e.first) for (const v of new Set(e.first)) buckets[v]!.push(e);
    else for (const b of buckets) b.push(e);
  }
  for (const b of buckets) b.sort((x, y) => y.strength - x.strength);
  return buckets;
})();

/** The strongest magic match in the first `limit` bytes of a part, or undefined. */
export function sniff(head: Uint8Array, limit: number = DEFAULT_LIMITS.SNIFF_BYTES): SniffResult | undefined {
  if (head.length === 0) return undefined;
  const b = head.length > limit ? head.subarray(0, limit) : head;
  for (const e of BUCKETS[b[0]!]!) {
    if (e.test(b)) return { mime: e.mime, family: e.family, strength: e.strength };
  }
  return undefined;
}

const FAMILY_OF_MIME = new Map<string, MediaFamily>(MAGIC.map((e) => [e.mime.split(';')[0]!, e.family]));
const STRUCTURED = new Set([
  'application/json',
  'application/xml',
  'application/x-www-form-urlencoded',
  'application/protobuf',
  'application/x-protobuf',
  'application/vnd.google.protobuf',
  'application/grpc',
  'application/msgpack',
  'application/x-msgpack',
  'application/cbor',
  'application/javascript',
  'application/ld+json',
]);
const ARCHIVE = new Set([
  'application/x-gzip',
  'application/x-zip-compressed',
  'application/x-rar-compressed',
  'application/vnd.rar',
  'application/x-bzip',
  'application/x-lzma',
]);

/** Maps a declared Content-Type (parameters ignored, case-insensitive) to a media family. */
export function mediaFamily(mime: string | undefined): MediaFamily {
  if (!mime) return 'unknown';
  const t = mime.split(';')[0]!.trim().toLowerCase();
  const known = FAMILY_OF_MIME.get(t);
  if (known) return known;
  if (STRUCTURED.has(t) || t.endsWith('+json') || t.endsWith('+xml') || t.endsWith('+proto')) return 'structured';
  if (ARCHIVE.has(t)) return 'archive';
  const top = t.slice(0, t.indexOf('/'));
  if (top === 'audio' || top === 'image' || top === 'video' || top === 'text') return top;
  return 'unknown';
}
