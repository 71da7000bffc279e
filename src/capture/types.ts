/**
 * Contracts inside src/capture/: packet readers → link/IP decoding → TCP reassembly / UDP flows. What the
 * reassembler hands on (one connection's two byte streams) goes to the stream layer (src/streams/types.ts).
 * Sans-io: nothing here reads files; replay-file.ts feeds bytes in.
 */
import type { Micros } from '../model/flow.ts';
import type { CloseReason, Endpoint, StreamDir } from '../streams/types.ts';

/** One captured frame as a reader yields it. `data` may be a view into the reader's buffer: copy to keep. */
export interface RawPacket {
  ts: Micros;
  /** pcap LINKTYPE_* of the interface the packet came from. */
  linkType: number;
  /** Bytes captured (may be less than origLen when the snap length cut it). */
  data: Uint8Array;
  origLen: number;
  interfaceId: number;
  /** The pcapng packet comment (opt_comment), when the block has one. */
  comment?: string;
}

/** What a capture reader tells its consumer, besides packets. */
export interface ReaderEvents {
  packet(p: RawPacket): void;
  /** Something not understood or damaged: counted in the replay summary's `skipped`. */
  skipped(reason: string, count?: number): void;
  /** A pcapng Decryption Secrets Block (e.g. a TLS key log), kept for the TLS decoder. */
  secrets?(type: number, data: Uint8Array): void;
}

/** A sans-io capture reader: bytes of the file in, events out. */
export interface CaptureReader {
  write(chunk: Uint8Array): void;
  /** End of file; a partial record becomes `skipped('truncated-record')`. */
  end(): void;
}

/** One TCP connection as the reassembler sees it. */
export interface TcpConn {
  /** Sequential per replay: 1, 2, 3 … */
  id: number;
  client: Endpoint;
  server: Endpoint;
  /** No SYN seen: the client/server roles were guessed (lower or well-known port = server). */
  midStream: boolean;
  /** The comment of the packet that opened it (a toyscope capture's connection note, see connection-note.ts). */
  comment?: string;
}

/** How the reassembler ends a connection (a subset of the stream layer's close reasons). */
export type TcpCloseReason = Exclude<CloseReason, 'error'>;

/** What the reassembler emits per connection, in order. */
export interface TcpStreamEvents {
  open(conn: TcpConn, ts: Micros): void;
  data(conn: TcpConn, dir: StreamDir, bytes: Uint8Array, ts: Micros): void;
  /** `length` bytes of this direction are missing (lost, or evicted out-of-order data). */
  gap(conn: TcpConn, dir: StreamDir, length: number, ts: Micros): void;
  /**
   * A retransmitted or overlapping segment carried bytes that differ from those already delivered (the first copy
   * was kept); `overlap` is how many of its bytes lay before the stream position. Reported once per direction.
   */
  conflict?(conn: TcpConn, dir: StreamDir, overlap: number, ts: Micros): void;
  close(conn: TcpConn, ts: Micros, reason: TcpCloseReason): void;
}
