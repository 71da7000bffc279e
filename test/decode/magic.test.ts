import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAGIC, mediaFamily, sniff } from '../../src/decode/magic.ts';

const b = (...parts: Array<string | number[] | Uint8Array>): Uint8Array =>
  new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))));
const u32le = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
const u32be = (n: number) => u32le(n).reverse();
const zeros = (n: number) => new Array<number>(n).fill(0);

/** A first Ogg page (BOS) holding one packet. */
const oggPage = (packet: string) =>
  b('OggS', [0, 2], zeros(8), [1, 2, 3, 4], zeros(4), [0xaa, 0xbb, 0xcc, 0xdd], [1, packet.length], packet, zeros(16));
/** An ISO-BMFF ftyp box. */
const ftyp = (major: string, ...compat: string[]) =>
  b(u32be(16 + 4 * compat.length), 'ftyp', major, [0, 0, 2, 0], ...compat, zeros(8));
/** An EBML header with the given DocType. */
const ebml = (docType: string) =>
  b(
    [
      0x1a,
      0x45,
      0xdf,
      0xa3,
      0x9f,
      0x42,
      0x86,
      0x81,
      0x01,
      0x42,
      0xf7,
      0x81,
      0x01,
      0x42,
      0xf2,
      0x81,
      0x04,
      0x42,
      0xf3,
      0x81,
      0x08,
      0x42,
      0x82,
      0x80 | docType.length,
    ],
    docType,
    [0x42, 0x87, 0x81, 0x04],
  );
const pe = () => {
  const h = new Uint8Array(0x100);
  h.set(b('MZ'), 0);
  h.set(u32le(0x80), 0x3c);
  h.set(b('PE', [0, 0]), 0x80);
  return h;
};
const tar = () => {
  const h = new Uint8Array(512);
  h.set(b('hello.txt'), 0);
  h.set(b('ustar\x0000'), 257);
  return h;
};
const ts = () => {
  const h = new Uint8Array(188 * 3);
  for (let i = 0; i < 3; i++) h.set([0x47, 0x40, 0x00, 0x10], i * 188);
  return h;
};

const rows: Array<[string, Uint8Array]> = [
  ['audio/wav', b('RIFF', u32le(36), 'WAVEfmt ', u32le(16), [1, 0, 1, 0], u32le(16000), u32le(32000), [2, 0, 16, 0])],
  ['audio/ogg;codecs=opus', oggPage('OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00')],
  ['audio/ogg;codecs=speex', oggPage('Speex   1.2.0\x00\x00')],
  ['audio/ogg;codecs=vorbis', oggPage('\x01vorbis\x00\x00\x00\x00\x01')],
  ['audio/ogg;codecs=flac', oggPage('\x7fFLAC\x01\x00\x00\x01fLaC')],
  ['video/ogg', oggPage('\x80theora\x03\x02\x01')],
  ['audio/ogg', oggPage('SomethingElse')],
  ['audio/amr', b('#!AMR\n', [0x3c, 0x48, 0xf5])],
  ['audio/amr-wb', b('#!AMR-WB\n', [0x44, 0x00])],
  ['audio/silk', b('\x02#!SILK_V3', [0x0c, 0x00])],
  ['audio/silk', b('#!SILK_V3', [0x0c, 0x00])],
  ['audio/mpeg', b('ID3', [3, 0, 0, 0, 0, 0x0f, 0x76])],
  ['audio/mpeg', b([0xff, 0xfb, 0x90, 0x64, 0, 0, 0])],
  ['audio/aac', b([0xff, 0xf1, 0x50, 0x80, 0x2e, 0x7f, 0xfc])],
  ['audio/flac', b('fLaC', [0, 0, 0, 0x22, 0x10, 0x00])],
  ['audio/aiff', b('FORM', u32be(100), 'AIFFCOMM')],
  ['audio/midi', b('MThd', u32be(6), [0, 1, 0, 2])],
  ['audio/webm', ebml('webm')],
  ['video/x-matroska', ebml('matroska')],
  ['image/avif', ftyp('avif', 'mif1', 'miaf')],
  ['image/heic', ftyp('heic', 'mif1', 'heic')],
  ['image/heif', ftyp('mif1', 'mif1')],
  ['audio/mp4', ftyp('M4A ', 'M4A ', 'mp42', 'isom')],
  ['video/3gpp', ftyp('3gp4', '3gp4', 'isom')],
  ['video/3gpp2', ftyp('3g2a', '3g2a')],
  ['video/quicktime', ftyp('qt  ', 'qt  ')],
  ['video/mp4', ftyp('isom', 'isom', 'iso2', 'avc1', 'mp41')],
  ['video/x-flv', b('FLV', [1, 5, 0, 0, 0, 9])],
  ['video/x-msvideo', b('RIFF', u32le(1000), 'AVI LIST')],
  ['video/mp2t', ts()],
  ['video/h264', b([0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e])],
  ['image/jpeg', b([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF\x00')],
  ['image/png', b([0x89], 'PNG\r\n\x1a\n', u32be(13), 'IHDR')],
  ['image/gif', b('GIF89a', [1, 0, 1, 0])],
  ['image/gif', b('GIF87a', [1, 0, 1, 0])],
  ['image/webp', b('RIFF', u32le(100), 'WEBPVP8 ')],
  ['image/bmp', b('BM', u32le(70), zeros(4), u32le(54), u32le(40), u32le(1), u32le(1))],
  ['image/tiff', b('II*\x00', u32le(8))],
  ['image/tiff', b('MM\x00*', u32be(8))],
  ['image/x-icon', b([0, 0, 1, 0, 1, 0, 16, 16])],
  ['application/pdf', b('%PDF-1.7\n%\xe2\xe3\xcf\xd3')],
  ['application/vnd.sqlite3', b('SQLite format 3\x00', [0x10, 0])],
  ['application/json', b('  {"deviceId": "x"}')],
  ['application/json', b('\ufeff[1, 2]'.replace('\ufeff', '\xef\xbb\xbf'))],
  ['application/json', b('[-1.5e3, 2]')],
  ['application/json', b('[true,false]')],
  ['application/json', b('[nul')],
  ['application/json', b('[12')],
  ['application/xml', b('<?xml version="1.0"?><a/>')],
  ['image/svg+xml', b('<svg xmlns="http://www.w3.org/2000/svg"/>')],
  ['text/html', b('\n<!DOCTYPE html><html>')],
  ['text/html', b('<HTML><body>')],
  ['application/gzip', new Uint8Array(zlib.gzipSync('hello'))],
  ['application/zlib', new Uint8Array(zlib.deflateSync('hello'))],
  ['application/zlib', new Uint8Array(zlib.deflateSync('{"lat":31.2}', { windowBits: 9, level: 1 }))],
  ['application/zip', b('PK\x03\x04', [20, 0, 0, 0, 8, 0])],
  ['application/x-7z-compressed', b([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4])],
  ['application/x-xz', b([0xfd], '7zXZ', [0, 0, 4])],
  ['application/x-bzip2', b('BZh91AY&SY')],
  ['application/zstd', b([0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x05])],
  ['application/x-tar', tar()],
  ['application/x-squashfs', b('hsqs', u32le(10))],
  ['application/x-cpio', b('070701000000')],
  ['application/x-elf', b([0x7f], 'ELF', [2, 1, 1, 0])],
  ['application/vnd.microsoft.portable-executable', pe()],
  ['application/x-msdownload', b('MZ', [0x90, 0], zeros(60))],
  ['application/x-mach-binary', b([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1])],
  ['application/x-mach-binary', b([0xca, 0xfe, 0xba, 0xbe], u32be(2))],
  ['application/java-vm', b([0xca, 0xfe, 0xba, 0xbe], [0, 0, 0, 0x34])],
  ['application/x-uimage', b([0x27, 0x05, 0x19, 0x56], zeros(12))],
  ['application/x-android-boot', b('ANDROID!', zeros(8))],
  ['application/x-trx-firmware', b('HDR0', u32le(4096))],
  ['application/x-ubi-image', b('UBI#', [1, 0, 0, 0])],
  ['application/x-device-tree', b([0xd0, 0x0d, 0xfe, 0xed], u32be(1024))],
];

describe('sniff', () => {
  it.each(rows)('%s', (mime, head) => {
    const r = sniff(head);
    expect(r?.mime).toBe(mime);
    expect(r?.family).toBe(mediaFamily(mime));
  });

  it('has a row for every entry of the table', () => {
    const tested = new Set(rows.map(([m]) => m));
    expect(MAGIC.map((e) => e.mime).filter((m) => !tested.has(m))).toEqual([]);
  });

  it.each([
    ['empty', b()],
    ['plain text', b('hello world, this is just text')],
    ['protobuf (no magic)', b([0x08, 0x96, 0x01, 0x12, 0x04], 'toy1')],
    ['a brace that is not JSON', b('{not json')],
    ['a watch protocol line in brackets', b('[3G*8800000015*0010*LK,0,0,84]')],
    ['a bracketed log level', b('[INFO] boot ok')],
    ['a bracketed word starting like a literal', b('[nothing here]')],
    ['MZ too short for a PE', b('M')],
    ['frame sync with a bad bitrate', b([0xff, 0xfb, 0xf0, 0x64])],
    ['RIFF of another kind', b('RIFF', u32le(4), 'XXXX')],
  ])('nothing for %s', (_n, head) => {
    expect(sniff(head)).toBeUndefined();
  });

  it('looks only at the first SNIFF_BYTES', () => {
    const late = new Uint8Array(600);
    late.set(b('ustar'), 257);
    expect(sniff(late, 200)).toBeUndefined();
    expect(sniff(late)?.mime).toBe('application/x-tar');
  });

  it('never throws on truncated heads of every row', () => {
    for (const [, head] of rows) for (let n = 0; n <= Math.min(head.length, 64); n++) sniff(head.subarray(0, n));
  });
});

describe('mediaFamily', () => {
  it.each([
    ['audio/ogg; codecs=opus', 'audio'],
    ['Image/JPEG', 'image'],
    ['video/mp4', 'video'],
    ['application/json; charset=utf-8', 'structured'],
    ['application/vnd.api+json', 'structured'],
    ['application/x-protobuf', 'structured'],
    ['application/x-www-form-urlencoded', 'structured'],
    ['text/plain', 'text'],
    ['application/zip', 'archive'],
    ['application/x-gzip', 'archive'],
    ['application/x-elf', 'executable'],
    ['application/octet-stream', 'unknown'],
    ['multipart/form-data; boundary=x', 'unknown'],
    [undefined, 'unknown'],
  ])('%s → %s', (mime, family) => {
    expect(mediaFamily(mime)).toBe(family);
  });
});
