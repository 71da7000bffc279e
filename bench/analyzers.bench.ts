/**
 * The privacy analyzers on pure JSON text, tokenizer included: upload messages of 256 KiB fed in 64 KiB chunks
 * through a real Pipeline. Corpora: `telemetry` (events full of personal data: analyzers hit their per-message
 * budget) and `clean` (the same shape with nothing to find: every token runs every check to the end, the worst
 * case). Sets: `tokenizer` (one analyzer that only keeps the last token: the floor; keeping it stops V8 from
 * optimising the token objects away, which a bare counter allowed), `mine` (location, contacts, identifiers,
 * child-profile, tls, opaque-upload), `all` (the registry). References: a plain read of the bytes, and
 * `JSON.parse` of the same bodies (UTF-8 decoding included): V8's native parser, the ceiling any tokenizer
 * written in JavaScript is measured against. The machine is shared and noisy: `JSON.parse` and every set run in
 * turn, round after round, timed in CPU seconds, and `ratio_to_json_parse` is the median of the rounds' ratios
 * (MB/s: per CPU second, best round).
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

/** Issue 20: every analyzer together on pure JSON, tokenizer included, at half the speed of `JSON.parse` or more. */
const GOAL_RATIO_TO_JSON_PARSE = 0.5;
const MESSAGE = 256 * 1024;
const MESSAGES = 24;
const CHUNK = 64 * 1024;
/** Rounds of `JSON.parse` and every set in turn (after one warm-up each). */
const ROUNDS = 7;

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

/** CPU seconds (user + system) `fn` takes: unlike wall time, not inflated while the shared machine runs others. */
function seconds(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1e6;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;

const bench: Bench = async (emit) => {
  const telemetry = Array.from({ length: MESSAGES }, (_, i) => telemetryJson(i + 1, MESSAGE));
  const corpora = { telemetry, clean: telemetry.map(clean) };
  for (const [corpus, bodies] of Object.entries(corpora)) {
    const bytes = bodies.reduce((n, b) => n + b.length, 0);
    const mb = bytes / (1024 * 1024);
    const evs = events(bodies);
    const reference = mbPerSec(bytes, () => plainRead(bodies));
    const runs: Record<string, () => void> = {
      'JSON.parse': () => {
        for (const b of bodies) JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8'));
      },
    };
    for (const [set, list] of Object.entries(SETS)) {
      runs[set] = () => {
        const p = new Pipeline({ analyzers: list, output: sink });
        for (const ev of evs) p.push(ev);
      };
    }
    const times: Record<string, number[]> = {};
    for (const [name, fn] of Object.entries(runs)) {
      fn();
      times[name] = [];
    }
    for (let r = 0; r < ROUNDS; r++) for (const [name, fn] of Object.entries(runs)) times[name]!.push(seconds(fn));
    if (kept === undefined) throw new Error('no token reached the floor analyzer');
    const parse = times['JSON.parse']!;
    const jsonParse = round(mb / Math.min(...parse));
    for (const set of Object.keys(SETS)) {
      const t = times[set]!;
      const mbps = round(mb / Math.min(...t));
      emit({
        bench: 'analyzers',
        corpus,
        set,
        mb_per_s: mbps,
        reference_mb_per_s: reference,
        ratio: round(mbps / reference, 4),
        json_parse_mb_per_s: jsonParse,
        ratio_to_json_parse: round(median(t.map((x, i) => parse[i]! / x)), 3),
        ...(set === 'all' ? { goal_ratio_to_json_parse: GOAL_RATIO_TO_JSON_PARSE } : {}),
      });
    }
  }
};

export default bench;
