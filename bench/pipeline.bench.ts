/**
 * The whole sans-io pipeline: hand-built FlowEvents (keep-alive HTTP flows, uploads in 16 KiB body chunks with
 * transfer framing removed, small JSON replies) pushed through Pipeline with the bench analyzers (bench/analyzers.ts:
 * every media byte and token consumed, one finding per decoded part) into an output that only counts. MB/s of
 * body bytes as carried (gzip counted compressed; decoded_mb_per_s counts them inflated), per body kind and on the
 * mix, beside plainRead of the same carried bytes. Corpus sizes are in decoded bytes. The mix is run a second time
 * with the registry's analyzers (analyzers/index.ts) added, to show what the real detectors cost.
 */
import { analyzers as registry } from '../analyzers/index.ts';
import type { FlowEvent } from '../src/model/events.ts';
import type { FlowInfo } from '../src/model/flow.ts';
import type { PipelineOutput } from '../src/pipeline/output.ts';
import { Pipeline } from '../src/pipeline/pipeline.ts';
import { benchAnalyzers } from './analyzers.ts';
import { type BodyKind, kindOf, MIX, rng, upload } from './corpus.ts';
import { mbPerSec, peakRssMiB, plainRead, round } from './measure.ts';
import type { Bench } from './run.ts';

const CHUNK = 16 * 1024;
const KIND_MB = Number(process.env.BENCH_PIPELINE_KIND_MB ?? 10);
const MIXED_MB = Number(process.env.BENCH_PIPELINE_MIXED_MB ?? 48);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const MESSAGES_PER_FLOW = 6;
const VARIANTS = 8;
const T0 = 1_700_000_000_000_000;
const enc = new TextEncoder();

interface Corpus {
  events: FlowEvent[];
  /** The body chunks, for the plain-read reference. */
  chunks: Uint8Array[];
  bytes: number;
  /** Body bytes after content decoding. */
  decoded: number;
  messages: number;
}

/** Events for uploads drawn by `next` until `bytes` of decoded bodies: flows of MESSAGES_PER_FLOW request/reply pairs. */
function buildCorpus(bytes: number, next: (i: number) => BodyKind): Corpus {
  const events: FlowEvent[] = [];
  const chunks: Uint8Array[] = [];
  const cache = new Map<string, ReturnType<typeof upload>>();
  let ts = T0;
  let total = 0;
  let decoded = 0;
  let flow: FlowInfo | undefined;
  let msgId = 0;
  let i = 0;
  const close = () => {
    if (flow) events.push({ ts: ts++, type: 'flow.close', flowId: flow.id, stats: { bytesUp: 0, bytesDown: 0 } });
  };
  for (; decoded < bytes; i++) {
    if (i % MESSAGES_PER_FLOW === 0) {
      close();
      const dev = 2 + (i % 7);
      flow = {
        id: `f${i}`,
        deviceId: `02:00:00:00:00:0${dev}`,
        device: { ip: `127.0.0.${dev}`, port: 40000 + (i % 20000), mac: `02:00:00:00:00:0${dev}` },
        server: { ip: '127.1.0.1', port: 80, host: 'api.toycloud.example' },
        transport: 'http',
        tls: 'none',
        source: 'capture',
      };
      events.push({ ts: ts++, type: 'flow.open', flow });
      msgId = 0;
    }
    const kind = next(i);
    const key = `${kind}/${i % VARIANTS}`;
    const up = cache.get(key) ?? upload(kind, i % VARIANTS);
    cache.set(key, up);
    const flowId = (flow as FlowInfo).id;
    const req = msgId++;
    const headers: Array<[string, string]> = [
      ['Host', 'api.toycloud.example'],
      ...up.headers,
      ['Content-Length', String(up.body.length)],
    ];
    events.push({
      ts: ts++,
      type: 'message.head',
      flowId,
      msg: { msgId: req, direction: 'upload', protocol: 'http', method: 'POST', url: up.path, headers },
    });
    for (let at = 0; at < up.body.length; at += CHUNK) {
      const data = up.body.subarray(at, at + CHUNK);
      events.push({ ts: ts++, type: 'message.chunk', flowId, msgId: req, data });
      chunks.push(data);
    }
    events.push({ ts: ts++, type: 'message.end', flowId, msgId: req });
    total += up.body.length;
    decoded += up.decodedBytes;
    const reply = enc.encode(`{"ok":true,"seq":${i}}`);
    const res = msgId++;
    events.push({
      ts: ts++,
      type: 'message.head',
      flowId,
      msg: {
        msgId: res,
        direction: 'download',
        protocol: 'http',
        status: 200,
        requestId: req,
        headers: [['Content-Type', 'application/json']],
      },
    });
    events.push({ ts: ts++, type: 'message.chunk', flowId, msgId: res, data: reply });
    events.push({ ts: ts++, type: 'message.end', flowId, msgId: res });
  }
  close();
  return { events, chunks, bytes: total, decoded, messages: i };
}

/** A sink that counts what the pipeline emits. */
function countingOutput(): PipelineOutput & { findings: number } {
  const out = {
    findings: 0,
    flow() {},
    message() {},
    finding() {
      out.findings++;
    },
    violation() {},
    evidence() {},
  };
  return out;
}

const bench: Bench = async (emit) => {
  const corpora: Array<[string, Corpus]> = MIX.map(([kind]) => [kind, buildCorpus(KIND_MB * 2 ** 20, () => kind)]);
  const draw = rng(42);
  corpora.push(['mixed', buildCorpus(MIXED_MB * 2 ** 20, () => kindOf(draw()))]);
  const runs: Array<[string, Corpus, 'bench' | 'registry+bench']> = corpora.map(([name, c]) => [name, c, 'bench']);
  runs.push(['mixed', corpora[corpora.length - 1]![1], 'registry+bench']);
  for (const [corpus, c, which] of runs) {
    const { analyzers, consumed } = benchAnalyzers();
    const all = which === 'bench' ? analyzers : [...registry, ...analyzers];
    let findings = 0;
    const mb = mbPerSec(
      c.bytes,
      () => {
        const output = countingOutput();
        const pipeline = new Pipeline({ analyzers: all, output });
        for (const ev of c.events) pipeline.push(ev);
        pipeline.finish();
        findings = output.findings;
      },
      ROUNDS,
    );
    const reference = mbPerSec(c.bytes, () => plainRead(c.chunks), 3);
    emit({
      bench: 'pipeline',
      corpus,
      analyzers: which === 'bench' ? 'bench' : `registry(${registry.length})+bench`,
      mb: round(c.bytes / 2 ** 20),
      decoded_mb: round(c.decoded / 2 ** 20),
      messages: c.messages,
      findings,
      tokens_per_round: Math.round(consumed.tokens / (ROUNDS + 1)),
      mb_per_s: mb,
      decoded_mb_per_s: round((mb * c.decoded) / c.bytes),
      reference: 'plainRead',
      reference_mb_per_s: reference,
      ratio: round(mb / reference, 4),
    });
  }
  emit({ bench: 'pipeline', corpus: 'all', peak_rss_mib: peakRssMiB() });
};
export default bench;
