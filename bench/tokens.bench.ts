/**
 * Token streams: JsonTokenizer on telemetry-like JSON (many small objects) and on one big base64 string, and
 * FormTokenizer on urlencoded bodies, fed in 64 KiB chunks to a sink that only counts. Each figure sits beside
 * a plain read of the same bytes and beside JSON.parse of the same text (already decoded to a string).
 */
import { FormTokenizer } from '../src/decode/form-tokens.ts';
import { JsonTokenizer } from '../src/decode/json-tokens.ts';
import { resolveLimits } from '../src/model/limits.ts';
import type { Token } from '../src/model/token.ts';
import { chunksOf, mbPerSec, plainRead, round } from './measure.ts';
import type { Bench } from './run.ts';

const limits = resolveLimits();

/** ~`bytes` of NDJSON telemetry lines, as a small toy might batch them. */
function telemetry(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let n = 0; size < bytes; n++) {
    const line = JSON.stringify({
      ts: 1_700_000_000_000 + n * 1000,
      deviceId: `TOY-${(n * 7919) % 100000}`,
      imei: '862012345678901',
      battery: n % 100,
      online: n % 3 !== 0,
      loc: { lat: 31.2304 + (n % 1000) / 1e5, lon: 121.4737 - (n % 777) / 1e5, acc: 12.5 },
      wifi: [
        { ssid: 'HomeNet-5G', bssid: 'a4:2b:b0:12:34:56', rssi: -40 - (n % 50) },
        { ssid: '邻居家', bssid: 'f0:9f:c2:aa:bb:cc', rssi: -71 },
      ],
      child: { nickname: 'Mimi', age: 6, note: null },
      event: n % 5 === 0 ? 'voice_start' : 'heartbeat',
    });
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n') + '\n';
}

function bigBase64(bytes: number): string {
  const raw = Buffer.alloc(Math.floor((bytes * 3) / 4));
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return `{"audio":"${raw.toString('base64')}"}`;
}

function forms(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let n = 0; size < bytes; n++) {
    const p = `device_id=TOY-${n}&mac=a4%3A2b%3Ab0%3A12%3A34%3A56&name=%E5%B0%8F%E6%98%8E&phone=%2B8613800138000&msg=hello+world+${n}&t=${n}&`;
    parts.push(p);
    size += p.length;
  }
  return parts.join('');
}

const bench: Bench = async (emit) => {
  let tokens = 0;
  const sink = (_t: Token): void => {
    tokens++;
  };
  const report = (): void => {};
  const corpora = [
    { corpus: 'telemetry-ndjson', text: telemetry(50 * 1024 * 1024), json: true },
    { corpus: 'base64-string', text: bigBase64(50 * 1024 * 1024), json: true },
    { corpus: 'form-bodies', text: forms(20 * 1024 * 1024), json: false },
  ];
  for (const { corpus, text, json } of corpora) {
    const bytes = Buffer.from(text);
    const chunks = chunksOf(bytes);
    const run = (): void => {
      tokens = 0;
      const t = json ? new JsonTokenizer(sink, { limits, report }) : new FormTokenizer(sink, { limits, report });
      for (const c of chunks) t.write(c);
      t.end();
    };
    const mbps = mbPerSec(bytes.length, run, 3);
    const reference = mbPerSec(bytes.length, () => plainRead(chunks), 3);
    const figure = {
      bench: 'tokens',
      corpus,
      tokenizer: json ? 'json' : 'form',
      mb: round(bytes.length / (1024 * 1024)),
      tokens,
      mb_per_s: mbps,
      reference_mb_per_s: reference,
      ratio: round(mbps / reference, 3),
    };
    if (json) {
      const lines = corpus === 'telemetry-ndjson' ? text.split('\n').filter((l) => l !== '') : [text];
      const parseAll = (): void => {
        for (const l of lines) JSON.parse(l);
      };
      const parse = mbPerSec(bytes.length, parseAll, 3);
      emit({ ...figure, json_parse_mb_per_s: parse, ratio_to_json_parse: round(mbps / parse, 3) });
    } else {
      emit(figure);
    }
  }
};
export default bench;
