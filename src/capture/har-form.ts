/**
 * A request body rebuilt from a HAR's `postData.params` when the entry has no `postData.text`. HAR 1.2 makes the two
 * exclusive, so writers that follow it to the letter (HAR libraries, some proxies) give a posted form or file upload
 * only as `params: [{name, value, fileName?, contentType?}]`; browsers give both. The body is what the device sent
 * in substance: `application/x-www-form-urlencoded` (`name=value&…`, percent-encoded), or `multipart/form-data` with
 * one part per param (its file name and type in the part's head), written param by param. A param's `value` usually
 * comes before its `fileName` and `contentType` (the order HAR 1.2 lists them): its first MAX_HELD_VALUE_CHARS are
 * held until the param ends so its head can name them; a longer value is written on in the tokenizer's pieces.
 */
import type { ByteSink } from '../decode/filter.ts';

/** A value's characters held for its param's head; past them, the head is written with what is known. */
const MAX_HELD_VALUE_CHARS = 64 * 1024;

/** The boundary of a rebuilt multipart body whose Content-Type header named none. */
const BOUNDARY = 'toyscope-har-form-boundary';

interface Param {
  /** The param object's path (`…params[2]`). */
  parent: string;
  name?: string;
  fileName?: string;
  contentType?: string;
  /** Its head (`name=` or the part's head) was written: its value is being written. */
  open: boolean;
  /** Pieces of its value waiting for the head (their total length in `heldChars`). */
  held: string[];
  heldChars: number;
}

export class HarFormBody {
  /** The Content-Type the rebuilt body has (a multipart one names its boundary). */
  readonly contentType: string;
  readonly #multipart: boolean;
  readonly #boundary: string;
  readonly #out: () => ByteSink;
  #param: Param | undefined;
  #written = 0;

  /**
   * `mime`: postData.mimeType, else the request's Content-Type; `out` gives the sink of the request's body (its head
   * is emitted when it is first asked for).
   */
  constructor(mime: string | undefined, out: () => ByteSink) {
    this.#multipart = /^\s*multipart\//i.test(mime ?? '');
    this.#boundary = (this.#multipart && /;\s*boundary="?([^";]+)"?/i.exec(mime ?? '')?.[1]) || BOUNDARY;
    this.contentType = this.#multipart
      ? `multipart/form-data; boundary=${this.#boundary}`
      : 'application/x-www-form-urlencoded';
    this.#out = out;
  }

  /** A token of `params[i]`: `name`, `fileName`, `contentType` (short), or a piece of `value`. */
  token(parent: string, key: string, value: string): void {
    if (this.#param?.parent !== parent) {
      this.#close();
      this.#param = { parent, open: false, held: [], heldChars: 0 };
    }
    const p = this.#param as Param;
    if (key === 'value') {
      if (!p.open && p.heldChars + value.length <= MAX_HELD_VALUE_CHARS) {
        p.held.push(value);
        p.heldChars += value.length;
        return;
      }
      this.#open(p);
      this.#value(value);
    } else if (!p.open && (key === 'name' || key === 'fileName' || key === 'contentType')) p[key] = value;
  }

  /** The last param closed, and a multipart body's closing delimiter. */
  end(): void {
    this.#close();
    if (this.#multipart && this.#written > 0) this.#write(`--${this.#boundary}--\r\n`);
  }

  #open(p: Param): void {
    if (p.open) return;
    p.open = true;
    const name = p.name ?? '';
    if (!this.#multipart) {
      this.#write(`${this.#written > 0 ? '&' : ''}${encodeURIComponent(name)}=`);
    } else {
      const file = p.fileName === undefined ? '' : `; filename="${quoted(p.fileName)}"`;
      const type = p.contentType === undefined ? '' : `Content-Type: ${p.contentType.replace(/[\r\n]/g, ' ')}\r\n`;
      this.#write(
        `--${this.#boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"${file}\r\n${type}\r\n`,
      );
    }
    for (const piece of p.held) this.#value(piece);
    p.held = [];
  }

  #value(piece: string): void {
    this.#write(this.#multipart ? piece : encodeURIComponent(piece));
  }

  /** A param without a value (a file the HAR names but does not carry) is still written, empty. */
  #close(): void {
    const p = this.#param;
    if (!p) return;
    this.#open(p);
    if (this.#multipart) this.#write('\r\n');
    this.#param = undefined;
  }

  #write(text: string): void {
    this.#written += text.length;
    this.#out().write(Buffer.from(text, 'utf8'));
  }
}

/** A name inside a quoted Content-Disposition parameter. */
function quoted(s: string): string {
  return s.replace(/["\r\n\\]/g, '_');
}
