/**
 * RTP packets (RFC 3550), one per UDP datagram: the fixed header (version, marker, payload type, sequence number,
 * timestamp, SSRC), its CSRC list, header extension and padding skipped, and the payload. What the payload holds is
 * named only for the static audio payload types of RFC 3551; a dynamic type (96–127) is left to whoever reads the
 * payload (the voice analyzer checks Opus against the timestamps). `parseRtp` never throws: undefined for a
 * datagram that is no well-formed RTP packet.
 */

export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
}

/** Static audio payload types of RFC 3551 (table 4) a device sends, as media types with their clock rate. */
const STATIC_AUDIO = new Map<number, string>([
  [0, 'audio/PCMU; rate=8000'],
  [3, 'audio/GSM; rate=8000'],
  [4, 'audio/G723; rate=8000'],
  [8, 'audio/PCMA; rate=8000'],
  [9, 'audio/G722; rate=8000'],
  [10, 'audio/L16; rate=44100; channels=2'],
  [11, 'audio/L16; rate=44100'],
  [18, 'audio/G729; rate=8000'],
]);

/** The media type of a static audio payload type, or undefined (dynamic, video, unassigned). */
export function staticAudioType(payloadType: number): string | undefined {
  return STATIC_AUDIO.get(payloadType);
}

/**
 * Whether a payload type may carry media: RTCP's packet types 200–204 read as a marker bit and 72–76, which RFC 5761
 * keeps out of RTP, and 35–71 and 77–95 are unassigned.
 */
function mediaPayloadType(pt: number): boolean {
  return pt <= 34 || pt >= 96;
}

/** The RTP packet in one datagram, or undefined. */
export function parseRtp(b: Uint8Array): RtpPacket | undefined {
  if (b.length < 13 || b[0]! >> 6 !== 2) return undefined;
  const payloadType = b[1]! & 0x7f;
  if (!mediaPayloadType(payloadType)) return undefined;
  let at = 12 + 4 * (b[0]! & 0x0f);
  if (b[0]! & 0x10) {
    if (b.length < at + 4) return undefined;
    at += 4 + 4 * ((b[at + 2]! << 8) | b[at + 3]!);
  }
  let end = b.length;
  if (b[0]! & 0x20) end -= b[b.length - 1]!;
  if (end <= at) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    marker: (b[1]! & 0x80) !== 0,
    payloadType,
    sequence: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payload: b.subarray(at, end),
  };
}

/**
 * Whether `next` continues the stream of `prev`: the same source and payload type, the sequence number a little
 * ahead (a few packets lost or reordered at most), the timestamp not far off. Two random datagrams pass by chance
 * about once in 2^40.
 */
export function continuesStream(prev: RtpPacket, next: RtpPacket): boolean {
  const seq = (next.sequence - prev.sequence) & 0xffff;
  const ts = (next.timestamp - prev.timestamp) >>> 0;
  return next.ssrc === prev.ssrc && next.payloadType === prev.payloadType && seq >= 1 && seq <= 16 && ts < 1 << 20;
}
