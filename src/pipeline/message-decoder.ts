/**
 * Decodes one message once for all its analyzers: header (HTTP), identity-field (MQTT CONNECT) and query-string
 * tokens at the head (a header or query value holding base64 or JSON read as a nested part, as a body's strings are),
 * then the body
 * through the content-encoding filter (bounded inflate) into the body part (sniff, tokenize, nested parts).
 */
import { createContentDecoder } from '../decode/content-encoding.ts';
import type { ByteSink, Filter } from '../decode/filter.ts';
import { headerTokens, mqttConnectTokens, queryTokens } from '../decode/form-tokens.ts';
import { ContainerIds } from '../decode/token-text.ts';
import { transferDecoder } from '../decode/transfer-encoding.ts';
import type { Limits } from '../model/limits.ts';
import { header, type MessageHead } from '../model/message.ts';
import type { ViolationSink } from '../model/violation.ts';
import type { AnalyzerFanout } from './fanout.ts';
import { PartDecoder } from './part.ts';

export class MessageDecoder {
  readonly #body: PartDecoder;
  readonly #filter: Filter | undefined;
  readonly #report: ViolationSink;
  #filterBroken = false;

  constructor(head: MessageHead, limits: Limits, report: ViolationSink, fanout: AnalyzerFanout) {
    this.#report = report;
    let partId = 0;
    const ids = new ContainerIds();
    const env = { limits, report, fanout, nextPartId: () => partId++, ids };
    if (fanout.wantsTokens) {
      const opts = { limits, report, depth: 0, pathPrefix: '', ids };
      // A header or query value may hold base64 or JSON (a tracker's `?data=eyJ…`, a device-info header): read like
      // a body's strings. An MQTT CONNECT's fields go as they are (its password is a Secret, ADR 0006).
      let headPart: PartDecoder | undefined; // at the first token: a WebSocket frame or MQTT publish has none
      const sink = (t: Parameters<AnalyzerFanout['token']>[0]) => {
        headPart ??= new PartDecoder(env, { origin: 'head', depth: 0, pathPrefix: '' });
        headPart.token(t);
      };
      if (head.protocol === 'http' || head.protocol === 'smtp') headerTokens(head.headers, sink, opts);
      else if (head.mqtt?.packet === 'connect') mqttConnectTokens(head.mqtt, (t) => fanout.token(t), opts);
      if (head.url?.includes('?')) queryTokens(head.url, sink, opts);
    }
    const declared = declaredType(head);
    this.#body = new PartDecoder(env, { origin: 'body', depth: 0, pathPrefix: '', ...(declared ? { declared } : {}) });
    const encoding = head.protocol === 'http' ? header(head, 'content-encoding')?.trim().toLowerCase() : undefined;
    if (encoding && encoding !== 'identity') this.#filter = createContentDecoder(encoding, limits, report);
    // A mail that is one part in base64 or quoted-printable (a photo sent alone); a multipart mail's parts decode
    // their own (part.ts).
    if (head.protocol === 'smtp') this.#filter = transferDecoder(header(head, 'content-transfer-encoding'), report);
  }

  write(chunk: Uint8Array): void {
    if (this.#filter) {
      if (!this.#filterBroken) this.#filter.write(chunk, this.#bodySink);
    } else this.#body.write(chunk);
  }

  /** A compressed stream cannot resume after lost bytes; a plain body goes on (media survives, tokenizers stop). */
  gap(length: number): void {
    if (this.#filter && !this.#filterBroken) {
      this.#filterBroken = true;
      this.#report({ decoder: 'content-encoding', code: 'gap-in-encoded-body', message: `${length} bytes lost` });
      this.#filter.end(this.#bodySink);
      return;
    }
    if (!this.#filter) this.#body.gap();
  }

  end(): void {
    if (this.#filter) {
      if (!this.#filterBroken) this.#filter.end(this.#bodySink);
    } else this.#body.end();
  }

  readonly #bodySink: ByteSink = {
    write: (c) => this.#body.write(c),
    end: () => this.#body.end(),
  };
}

/**
 * The Content-Type to route by: the header for HTTP and a mail (a mail without one is text, RFC 2045 5.2),
 * Content-Format for CoAP, text for WebSocket text frames.
 */
function declaredType(head: MessageHead): string | undefined {
  if (head.protocol === 'http') return header(head, 'content-type');
  if (head.protocol === 'smtp') return header(head, 'content-type') ?? 'text/plain';
  if (head.protocol === 'coap') return header(head, 'content-format');
  if (head.protocol === 'websocket' && head.ws?.opcode === 1) return 'text/plain; charset=utf-8';
  return undefined;
}
