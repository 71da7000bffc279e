/**
 * An SMTP connection (RFC 5321) → FlowEvents: each mail a client sends after `DATA` is a message (`protocol:
 * 'smtp'`, method `DATA`), its header fields (RFC 5322, unfolded) as the head's headers and its body, dot-stuffing
 * undone, up to the `.` line, so the pipeline reads a MIME mail by its Content-Type (a photo attached in base64 is a
 * part like a form's). Everything else, the client's commands (`EHLO`, `AUTH`, `MAIL FROM`) and the server's
 * replies, is raw bytes as on any unknown stream. A header block longer than MAX_MAIL_HEADER_BYTES is given as it
 * stands and the rest read as body. Not read: BDAT (CHUNKING), and a mail after STARTTLS (encrypted).
 */
import type { FlowId, Micros, MsgId } from '../model/flow.ts';
import type { Headers } from '../model/message.ts';
import { RawStream } from './raw.ts';
import type { EmitEvent, StreamDir, StreamHandler } from './types.ts';

/** The longest header block held before its mail's head is emitted. */
export const MAX_MAIL_HEADER_BYTES = 64 * 1024;
/** The longest command line held while looking for `DATA`. */
const MAX_COMMAND_LINE = 4096;

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const DOT_BYTES = Uint8Array.of(DOT);
const DOT_CR = Uint8Array.of(DOT, CR);

/** Where the client's bytes stand: commands, a mail's header block, or its body. */
type Mode = 'command' | 'header' | 'body';

export class SmtpStream implements StreamHandler {
  readonly #flowId: FlowId;
  readonly #emit: EmitEvent;
  readonly #raw: RawStream;
  #nextMsgId = 0;
  #mode: Mode = 'command';
  /** The command line being read (bytes since the last line end). */
  #line: number[] = [];
  #header: number[] = [];
  /** Where the header block's current line starts in #header. */
  #headerLine = 0;
  #mail: { msgId: MsgId } | undefined;
  /** In the body: at a line start, and how far into `.` CR LF the line has gone (0 none, 1 `.`, 2 `.` CR). */
  #lineStart = true;
  #dotState = 0;

  constructor(flowId: FlowId, emit: EmitEvent) {
    this.#flowId = flowId;
    this.#emit = emit;
    this.#raw = new RawStream(flowId, emit, () => this.#nextMsgId++);
  }

  data(dir: StreamDir, bytes: Uint8Array, ts: Micros): void {
    if (dir === 'down') {
      this.#raw.data(dir, bytes, ts);
      return;
    }
    let i = 0;
    while (i < bytes.length) {
      if (this.#mode === 'command') i = this.#command(bytes, i, ts);
      else if (this.#mode === 'header') i = this.#headerBytes(bytes, i, ts);
      else i = this.#body(bytes, i, ts);
    }
  }

  gap(dir: StreamDir, length: number, ts: Micros): void {
    if (this.#mail) this.#emit({ ts, type: 'message.gap', flowId: this.#flowId, msgId: this.#mail.msgId, length });
    else this.#raw.gap(dir, length, ts);
  }

  close(ts: Micros): void {
    if (this.#mode === 'header') this.#startMail(ts);
    this.#endMail(ts);
    this.#raw.close(ts);
  }

  /** Client commands, passed on as raw bytes; the line `DATA` starts a mail after it. */
  #command(b: Uint8Array, i: number, ts: Micros): number {
    const lf = b.indexOf(LF, i);
    const end = lf < 0 ? b.length : lf + 1;
    this.#raw.data('up', b.subarray(i, end), ts);
    if (this.#line.length < MAX_COMMAND_LINE) for (let k = i; k < end; k++) this.#line.push(b[k]!);
    if (lf >= 0) {
      const line = Buffer.from(this.#line).toString('latin1').trim().toUpperCase();
      this.#line = [];
      if (line === 'DATA') {
        this.#mode = 'header';
        this.#header = [];
        this.#headerLine = 0;
      }
    }
    return end;
  }

  /**
   * A mail's header block, held to its blank line (or MAX_MAIL_HEADER_BYTES); a `.` line there ends a mail that has
   * no body.
   */
  #headerBytes(b: Uint8Array, i: number, ts: Micros): number {
    for (; i < b.length; i++) {
      const h = this.#header;
      h.push(b[i]!);
      if (b[i] !== LF && h.length < MAX_MAIL_HEADER_BYTES) continue;
      const lineEnd = h.length - (b[i] === LF ? (h[h.length - 2] === CR ? 2 : 1) : 0);
      const line = h.length - this.#headerLine; // bytes of this line, its end included
      const length = lineEnd - this.#headerLine;
      this.#headerLine = h.length;
      const blank = b[i] === LF && length === 0;
      const dot = b[i] === LF && length === 1 && h[lineEnd - 1] === DOT;
      if (!blank && !dot && h.length < MAX_MAIL_HEADER_BYTES) continue;
      if (dot) h.length -= line;
      this.#startMail(ts);
      this.#mode = 'body';
      this.#lineStart = true;
      this.#dotState = 0;
      if (dot) {
        this.#endMail(ts);
        this.#mode = 'command';
      }
      return i + 1;
    }
    return i;
  }

  #startMail(ts: Micros): void {
    const msgId = this.#nextMsgId++;
    const headers = mailHeaders(Buffer.from(this.#header).toString('utf8'));
    this.#header = [];
    this.#mail = { msgId };
    this.#emit({
      ts,
      type: 'message.head',
      flowId: this.#flowId,
      msg: { msgId, direction: 'upload', protocol: 'smtp', method: 'DATA', headers },
    });
  }

  /** Body bytes, dot-stuffing undone (a line's leading `.` dropped), to the line that is `.` alone. */
  #body(b: Uint8Array, i: number, ts: Micros): number {
    while (i < b.length) {
      if (this.#dotState === 0 && !this.#lineStart) {
        // Inside a line: everything to its end goes as it is.
        const lf = b.indexOf(LF, i);
        const end = lf < 0 ? b.length : lf + 1;
        this.#chunk(b.subarray(i, end), ts);
        this.#lineStart = lf >= 0;
        i = end;
      } else if (this.#dotState === 0) {
        this.#lineStart = false;
        if (b[i] === DOT) {
          this.#dotState = 1;
          i++;
        }
      } else if (this.#dotState === 1) {
        // After a line's leading `.`: CR LF (or LF) ends the mail; `..` is one `.`; anything else keeps its dot.
        if (b[i] === LF) return this.#finish(ts, i);
        if (b[i] === CR) {
          this.#dotState = 2;
          i++;
        } else {
          if (b[i] !== DOT) this.#chunk(DOT_BYTES, ts);
          this.#dotState = 0;
        }
      } else {
        if (b[i] === LF) return this.#finish(ts, i);
        this.#chunk(DOT_CR, ts);
        this.#dotState = 0;
      }
    }
    return i;
  }

  #chunk(data: Uint8Array, ts: Micros): void {
    if (data.length > 0 && this.#mail) {
      this.#emit({ ts, type: 'message.chunk', flowId: this.#flowId, msgId: this.#mail.msgId, data });
    }
  }

  #finish(ts: Micros, i: number): number {
    this.#endMail(ts);
    this.#mode = 'command';
    return i + 1;
  }

  #endMail(ts: Micros): void {
    if (!this.#mail) return;
    this.#emit({ ts, type: 'message.end', flowId: this.#flowId, msgId: this.#mail.msgId });
    this.#mail = undefined;
  }
}

/** Header fields of a mail's header block, folded lines joined (RFC 5322 2.2.3), in order. */
export function mailHeaders(block: string): Headers {
  const out: Array<readonly [string, string]> = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '') continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length > 0) {
      const [name, value] = out[out.length - 1]!;
      out[out.length - 1] = [name, `${value} ${line.trim()}`];
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) out.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return out;
}
