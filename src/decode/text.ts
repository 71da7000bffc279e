/**
 * Bytes → text for text bodies and parts, streaming (TextDecoder with `{ stream: true }`, full ICU): UTF-8, GBK,
 * GB18030, GB2312, Big5, Latin-1, UTF-16LE/BE and every other WHATWG label. It only decodes; tokenizing the text
 * is json-tokens / form-tokens' job.
 *
 * Which charset, in order:
 * 1. a byte-order mark (UTF-8, UTF-16LE, UTF-16BE) wins over everything (WHATWG "decode");
 * 2. else the declared charset; an unknown label gives violation `unknown-charset` and UTF-8 is used;
 * 3. else (no charset declared) the first SNIFF_SAMPLE bytes decide: valid UTF-8 (a sequence cut at the end of
 *    the sample allowed) → UTF-8, otherwise GB18030, the superset of GBK/GB2312 that Chinese device firmware
 *    commonly sends without saying so. The sample, not the first chunk, decides, so chunk boundaries do not
 *    change the result; up to SNIFF_SAMPLE bytes are held until then.
 */
import type { ViolationSink } from '../model/violation.ts';
import type { Tokenizer } from './filter.ts';
import { headerParams } from './header-params.ts';

/** Bytes examined to choose between UTF-8 and GB18030 when no charset is declared. */
export const SNIFF_SAMPLE = 1024;
/** BOM sniffing needs at most this many bytes. */
const BOM_BYTES = 3;

/** Labels people write that WHATWG does not know. */
const ALIASES: Record<string, string> = {
  'latin-1': 'latin1',
  utf16: 'utf-16',
  'utf-16': 'utf-16le',
  gb_18030: 'gb18030',
};

/** The `charset` parameter of a Content-Type, lowercased; undefined when absent. */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const c = headerParams(contentType).get('charset')?.trim().toLowerCase();
  return c || undefined;
}

function bomOf(b: Uint8Array): { encoding: string; length: number } | undefined {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (b[0] === 0xff && b[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (b[0] === 0xfe && b[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return undefined;
}

function isUtf8(sample: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * A streaming text decoder. `sink` receives the text in pieces (never an empty one). The charset rule is in the
 * module comment. Undecodable bytes become U+FFFD; they are not violations.
 */
export function createTextDecoder(
  charset: string | undefined,
  sink: (text: string) => void,
  report: ViolationSink,
): Tokenizer {
  let declared: string | undefined;
  if (charset) {
    const label = charset.trim().toLowerCase().replace(/^"|"$/g, '');
    const resolved = ALIASES[label] ?? label;
    try {
      declared = new TextDecoder(resolved).encoding;
    } catch {
      report({ decoder: 'text', code: 'unknown-charset', message: `unknown charset ${label.slice(0, 40)}` });
      declared = 'utf-8';
    }
  }
  return new TextStream(declared, sink);
}

class TextStream implements Tokenizer {
  #decoder: InstanceType<typeof TextDecoder> | undefined;
  #held: Uint8Array[] = [];
  #heldBytes = 0;

  constructor(
    private readonly declared: string | undefined,
    private readonly sink: (text: string) => void,
  ) {}

  write(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#decoder) {
      this.#emit(this.#decoder.decode(chunk, { stream: true }));
      return;
    }
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
    const need = this.declared ? BOM_BYTES : SNIFF_SAMPLE;
    if (this.#heldBytes >= need) this.#start();
  }

  end(): void {
    if (!this.#decoder) this.#start();
    this.#emit(this.#decoder!.decode());
  }

  /** Chooses the decoder from the held bytes, then decodes them. */
  #start(): void {
    const head = Buffer.concat(this.#held);
    this.#held = [];
    const bom = bomOf(head);
    let encoding = bom?.encoding ?? this.declared;
    if (!encoding) encoding = isUtf8(head.subarray(0, SNIFF_SAMPLE)) ? 'utf-8' : 'gb18030';
    // The BOM is stripped here; the decoder must not look for one again.
    this.#decoder = new TextDecoder(encoding, { ignoreBOM: true });
    this.#emit(this.#decoder.decode(head.subarray(bom?.length ?? 0), { stream: true }));
  }

  #emit(text: string): void {
    if (text.length > 0) this.sink(text);
  }
}
