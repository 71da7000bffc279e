/**
 * The privacy analyzers on pure JSON text, tokenizer included: upload messages of 256 KiB fed in 64 KiB chunks
 * through a real Pipeline. Corpora: `telemetry` (events full of personal data: analyzers hit their per-message
 * budget) and `clean` (the same shape with nothing to find: every token runs every check to the end, the worst
 * case). Sets: `tokenizer` (one analyzer that only keeps the last token: the floor; keeping it stops V8 from
 * optimising the token objects away, which a bare counter allowed), `mine` (location, contacts, identifiers,
 * child-profile, tls, opaque-upload), `all` (the registry). References: a plain read of the bytes, and
 * `JSON.parse` of the same bodies (UTF-8 decoding included): V8's native parser, the ceiling any tokenizer
 * written in JavaScript is measured against.
 */

import { childProfile } from '../analyzers/child-profile.ts';
import { contacts } from '../analyzers/contacts.ts';
import { identifiers } from '../analyzers/identifiers.ts';
import { analyzers } from '../analyzers/index.ts';
import { location } from '../analyzers/location.ts';
import { opaqueUpload } from '../analyzers/opaque-upload.ts';
import { tls } from '../analyzers/tls.ts';
import type { Analyzer } from '../src/model/analyzer.ts';
import type { FlowEvent } from '../src/model/events.ts';
import type { Token } from '../src/model/token.ts';
import type { PipelineOutput } from '../src/pipeline/output.ts';
import { Pipeline } from '../src/pipeline/pipeline.ts';
import { telemetryJson } from './corpus.ts';
import { mbPerSec, plainRead, round } from './measure.ts';
import type { Bench } from './run.ts';

/** Issue 7: every analyzer together on pure JSON, tokenizer included, one core. */
const GOAL_MB_PER_S = 150;
const MESSAGE = 256 * 1024;
const MESSAGES = 24;
const CHUNK = 64 * 1024;

const sink: PipelineOutput = { flow() {}, message() {}, finding() {}, violation() {}, evidence() {} };

/** Where the floor's analyzer keeps the last token it was given. */
let kept: Token | undefined;

const counter: Analyzer = {
  name: 'token-keeper',
  wants: (head) => head.direction === 'upload',
  open: () => ({
    token: (t) => {
      kept = t;
      return undefined;
    },
    end() {},
  }),
};

const SETS: Record<string, readonly Analyzer[]> = {
  tokenizer: [counter],
  mine: [location, contacts, identifiers, childProfile, tls, opaqueUpload],
  all: analyzers,
};

/** The telemetry corpus with every value that names a person or a place replaced by a counter. */
function clean(body: Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(body).replace(/"(imei|mac|bssid|nickname|birthday|ssid)":"[^"]*"/g, '"$1":"x"');
  return new TextEncoder().encode(text.replace(/"(lat|lon|age)":[\d.]+/g, '"$1":1'));
}

function events(bodies: Uint8Array[]): FlowEvent[] {
  const flow = {
    id: 'b:1',
    deviceId: '127.0.0.2',
    device: { ip: '127.0.0.2', port: 40000 },
    server: { ip: '127.0.0.1', port: 443, host: 'api.xiaoyu-toys.com' },
    transport: 'http',
    tls: 'intercepted',
    source: 'capture',
  } as const;
  const evs: FlowEvent[] = [{ ts: 1, type: 'flow.open', flow }];
  bodies.forEach((body, msgId) => {
    const headers = [['Content-Type', 'application/json']] as const;
    evs.push({
      ts: 2,
      type: 'message.head',
      flowId: 'b:1',
      msg: { msgId, direction: 'upload', protocol: 'http', headers },
    });
    for (let i = 0; i < body.length; i += CHUNK) {
      evs.push({ ts: 3, type: 'message.chunk', flowId: 'b:1', msgId, data: body.subarray(i, i + CHUNK) });
    }
    evs.push({ ts: 4, type: 'message.end', flowId: 'b:1', msgId });
  });
  evs.push({ ts: 5, type: 'flow.close', flowId: 'b:1', stats: { bytesUp: 0, bytesDown: 0 } });
  return evs;
}

const bench: Bench = async (emit) => {
  const telemetry = Array.from({ length: MESSAGES }, (_, i) => telemetryJson(i + 1, MESSAGE));
  const corpora = { telemetry, clean: telemetry.map(clean) };
  for (const [corpus, bodies] of Object.entries(corpora)) {
    const bytes = bodies.reduce((n, b) => n + b.length, 0);
    const evs = events(bodies);
    const reference = mbPerSec(bytes, () => plainRead(bodies));
    const jsonParse = mbPerSec(bytes, () => {
      for (const b of bodies) JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8'));
    });
    for (const [set, list] of Object.entries(SETS)) {
      const mb = mbPerSec(
        bytes,
        () => {
          const p = new Pipeline({ analyzers: list, output: sink });
          for (const ev of evs) p.push(ev);
        },
        3,
      );
      if (kept === undefined) throw new Error('no token reached the floor analyzer');
      emit({
        bench: 'analyzers',
        corpus,
        set,
        mb_per_s: mb,
        reference_mb_per_s: reference,
        ratio: round(mb / reference, 4),
        json_parse_mb_per_s: jsonParse,
        ratio_to_json_parse: round(mb / jsonParse, 3),
        ...(set === 'all' ? { goal_mb_per_s: GOAL_MB_PER_S } : {}),
      });
    }
  }
};

export default bench;
