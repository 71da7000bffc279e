/**
 * The line protocol most children's GPS watches speak over TCP (`[3G*8800000015*00CD*UD,…]`: the maker's two
 * letters, the watch's id, the body's length in hex, the body) → FlowEvents: each frame is a message (`protocol:
 * 'raw'`, its command as `method`, the watch id as header `Watch-Id`). A text frame's bytes are its body whole, so
 * the analyzers' free-text reading sees the envelope (a position report's cells are fields by position); a voice
 * message (`TK`, the watch's push-to-talk clip, AMR) has its escaped bytes restored (0x7D 0x01…0x05 → `}` `[` `]`
 * `,` `*`) and is its body, so it is sniffed and read as audio. A frame ends at its `]`: the escaping keeps `]` out
 * of a body, and some firmware writes the length wrong. A frame longer than MAX_WATCH_FRAME_BYTES, or bytes that are
 * no frame, end the parsing of that direction: the rest is one raw message, as an unknown protocol's.
 */

import type { ShapeVerdict } from '../decode/dns-shape.ts';
import type { FlowId, Micros } from '../model/flow.ts';
import type { ViolationInput } from '../model/violation.ts';
import { RawStream } from './raw.ts';
import type { EmitEvent, StreamDir, StreamHandler } from './types.ts';

/** The longest frame read (a voice clip of about a minute of AMR-NB). */
export const MAX_WATCH_FRAME_BYTES = 256 * 1024;

const HEADER = /^\[([A-Z0-9]{2})\*(\d{6,20})\*([0-9A-Fa-f]{4})\*([A-Za-z0-9_]{1,16})(?=[,\]])/;
/** Voice messages: push-to-talk clips from the watch. */
const VOICE_COMMANDS = new Set(['TK']);

/** Whether the first bytes of a connection are a watch frame's header: `[`, two letters, `*`, digits, `*`, … */
export function watchFramePrefix(b: Uint8Array): ShapeVerdict {
  const text = Buffer.from(b.subarray(0, 48)).toString('latin1');
  if (HEADER.test(text)) return 'ok';
  // Still a prefix of a header: `[3G*88000`.
  const partial =
    /^(?:\[(?:[A-Z0-9](?:[A-Z0-9](?:\*(?:\d{0,20}(?:\*(?:[0-9A-Fa-f]{0,4}(?:\*[A-Za-z0-9_]{0,16})?)?)?)?)?)?)?)?$/;
  return text.length < 48 && partial.test(text) ? 'more' : 'bad';
}

/** A body's escaped bytes restored: 0x7D followed by 1–5 is `}` `[` `]` `,` `*`. */
export function unescapeWatch(b: Uint8Array): Uint8Array {
  if (!b.includes(0x7d)) return b;
  const out = new Uint8Array(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    const next = b[i + 1] ?? 0;
    if (c === 0x7d && next >= 1 && next <= 5) {
      out[n++] = [0x7d, 0x5b, 0x5d, 0x2c, 0x2a][next - 1]!;
      i++;
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}

export class WatchStream implements StreamHandler {
  readonly #flowId: FlowId;
  readonly #emit: EmitEvent;
  readonly #report: (v: ViolationInput, ts: Micros) => void;
  #nextMsgId = 0;
  readonly #held: Record<StreamDir, Uint8Array[]> = { up: [], down: [] };
  readonly #heldBytes: Record<StreamDir, number> = { up: 0, down: 0 };
  /** Directions whose bytes stopped being frames, read from there as an unknown protocol's. */
  readonly #rawDirs = new Set<StreamDir>();
  readonly #raw: RawStream;

  constructor(flowId: FlowId, emit: EmitEvent, report: (v: ViolationInput, ts: Micros) => void) {
    this.#flowId = flowId;
    this.#emit = emit;
    this.#report = report;
    this.#raw = new RawStream(flowId, emit, () => this.#nextMsgId++);
  }

  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    if (this.#rawDirs.has(dir)) {
      this.#raw.data(dir, bytes, ts);
      return;
    }
    this.#held[dir].push(Uint8Array.from(bytes)); // a copy: the caller may reuse its buffer
    this.#heldBytes[dir] += bytes.length;
    if (!bytes.includes(0x5d) && this.#heldBytes[dir] <= MAX_WATCH_FRAME_BYTES) return;
    let buf: Uint8Array = Buffer.concat(this.#held[dir]);
    for (;;) {
      // Line ends some firmware sends between frames, in this chunk or at the start of the next.
      while (buf.length > 0 && (buf[0] === 0x0a || buf[0] === 0x0d)) buf = buf.subarray(1);
      const end = buf.indexOf(0x5d);
      if (end < 0) break;
      if (!this.#frame(dir, buf.subarray(0, end + 1), ts)) {
        this.#toRaw(dir, buf, ts);
        return;
      }
      buf = buf.subarray(end + 1);
    }
    if (buf.length > MAX_WATCH_FRAME_BYTES) {
      this.#report({ decoder: 'watch', code: 'frame-too-long', message: `past ${MAX_WATCH_FRAME_BYTES} bytes` }, ts);
      this.#toRaw(dir, buf, ts);
      return;
    }
    this.#held[dir] = buf.length > 0 ? [Uint8Array.from(buf)] : [];
    this.#heldBytes[dir] = buf.length;
  }

  gap(dir: StreamDir, length: number, ts: Micros): void {
    // Bytes lost: the framing cannot be trusted past them; what follows is read as raw bytes.
    if (!this.#rawDirs.has(dir)) this.#toRaw(dir, Buffer.concat(this.#held[dir]), ts);
    this.#raw.gap(dir, length, ts);
  }

  close(ts: Micros): void {
    for (const dir of ['up', 'down'] as const) {
      const rest = Buffer.concat(this.#held[dir]);
      if (!this.#rawDirs.has(dir) && rest.length > 0) this.#toRaw(dir, rest, ts);
    }
    this.#raw.close(ts);
  }

  /** One frame `[…]` as a message; false when it is no frame. */
  #frame(dir: StreamDir, frame: Uint8Array, ts: Micros): boolean {
    const m = HEADER.exec(Buffer.from(frame.subarray(0, 48)).toString('latin1'));
    if (!m) return false;
    const [header, maker, id, , command] = m as unknown as [string, string, string, string, string];
    const msgId = this.#nextMsgId++;
    const direction = dir === 'up' ? 'upload' : 'download';
    this.#emit({
      ts,
      type: 'message.head',
      flowId: this.#flowId,
      msg: {
        msgId,
        direction,
        protocol: 'raw',
        method: command,
        headers: [
          ['Watch-Id', id],
          ['Maker', maker],
        ],
      },
    });
    const voice = VOICE_COMMANDS.has(command);
    const body = voice ? unescapeWatch(frame.subarray(header.length + 1, frame.length - 1)) : frame;
    if (body.length > 0) this.#emit({ ts, type: 'message.chunk', flowId: this.#flowId, msgId, data: body });
    this.#emit({ ts, type: 'message.end', flowId: this.#flowId, msgId });
    return true;
  }

  #toRaw(dir: StreamDir, rest: Uint8Array, ts: Micros): void {
    this.#held[dir] = [];
    this.#heldBytes[dir] = 0;
    this.#rawDirs.add(dir);
    if (rest.length > 0) this.#raw.data(dir, rest, ts);
  }
}
