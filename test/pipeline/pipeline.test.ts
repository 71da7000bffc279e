import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { FlowEvent } from '../../src/model/events.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';
import { mediaSniffer, streamCounter, throwing, tokenRecorder } from '../../testkit/test-analyzers.ts';
import { everySplit } from '../helpers/splits.ts';

/** A 44-byte WAV header + `n` bytes of 16 kHz 16-bit mono PCM (hand-made; real clips are in fixtures). */
function wav(n: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + n, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(16000, 24);
  h.writeUInt32LE(32000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(n, 40);
  return Buffer.concat([h, Buffer.alloc(n, 1)]);
}

const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF\0'),
  Buffer.alloc(600, 7),
]);

function summary(events: FlowEvent[]) {
  return play([mediaSniffer], events)
    .findings.map((f) => `${f.path}:${f.detail?.mime}:${f.detail?.depth}:${f.detail?.bytes}`)
    .sort();
}

describe('pipeline: decode once, analyze many', () => {
  it('reads an undeclared payload as text when it is printable with separators, else keeps it bytes', () => {
    const mimeOf = (body: string | Uint8Array, protocol: 'mqtt' | 'http' = 'mqtt') => {
      const head = { msgId: 0, protocol, ...(protocol === 'mqtt' ? { mqtt: { packet: 'publish' as const } } : {}) };
      const out = play([mediaSniffer], new FlowScript().message(head, body).close().events);
      return out.findings.map((f) => [f.detail?.mime, f.detail?.family, f.detail?.sniffed]);
    };
    expect(mimeOf('$GPRMC,123519,A,4807.038,N*6A\r\n')).toEqual([['text/plain', 'text', true]]);
    expect(mimeOf('battery low, please charge', 'http')).toEqual([['text/plain', 'text', true]]);
    const printable = new Uint8Array(80).fill(0x33); // an Opus packet whose bytes happen to be printable
    expect(mimeOf(printable)).toEqual([['application/octet-stream', 'unknown', false]]);
    expect(mimeOf(Uint8Array.from([0x24, 0x00, 0x2c, 0xff]))).toEqual([['application/octet-stream', 'unknown', false]]);
  });

  it('sniffs a WAV body under a misleading Content-Type', () => {
    const s = new FlowScript().message(
      { msgId: 0, method: 'POST', url: '/asr', headers: [['Content-Type', 'application/json']] },
      wav(1000),
    );
    const out = play([mediaSniffer], s.close().events);
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]?.detail).toMatchObject({ mime: 'audio/wav', family: 'audio', sniffed: true, bytes: 1044 });
    expect(out.findings[0]?.destination).toMatchObject({ host: 'api.toy-cloud.example', etld1: 'toy-cloud.example' });
    expect(out.findings[0]?.encrypted).toBe(true);
    expect(out.messages[0]).toMatchObject({ method: 'POST', bodyBytes: 1044, direction: 'upload' });
  });

  it('inflates gzip, walks JSON and decodes a base64 WAV inside it as a nested part', () => {
    const body = gzipSync(JSON.stringify({ data: { status: 1, audio: wav(3000).toString('base64') } }));
    const rec = tokenRecorder();
    const s = new FlowScript().message(
      {
        msgId: 0,
        method: 'POST',
        url: '/v1/asr?sn=TOY123',
        headers: [
          ['Content-Type', 'application/json'],
          ['Content-Encoding', 'gzip'],
        ],
      },
      body,
    );
    const out = play([mediaSniffer, rec.analyzer], s.close().events);
    const nested = out.findings.find((f) => f.path === '$.data.audio');
    expect(nested?.detail).toMatchObject({ mime: 'audio/wav', depth: 1, bytes: 3044 });
    const paths = rec.tokens.map((t) => `${t.source}:${t.path}`);
    expect(paths).toContain('query:$.sn');
    expect(paths).toContain('json:$.data.status');
    expect(paths).toContain('header:$.content-type');
    expect(out.violations).toEqual([]);
  });

  it('splits multipart parts: a JPEG file, a JSON field and a text field', () => {
    const boundary = '------------------------toyscope01';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="kid.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      JPEG,
      Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="meta"\r\n\r\n{"childName":"Mia"}`),
      Buffer.from(
        `\r\n--${boundary}\r\nContent-Disposition: form-data; name="nick"\r\n\r\nMimi\r\n--${boundary}--\r\n`,
      ),
    ]);
    const rec = tokenRecorder();
    const s = new FlowScript().message(
      {
        msgId: 0,
        method: 'POST',
        url: '/upload',
        headers: [['Content-Type', `multipart/form-data; boundary=${boundary}`]],
      },
      body,
    );
    const out = play([mediaSniffer, rec.analyzer], s.close().events);
    expect(out.findings.find((f) => f.path === 'multipart:photo')?.detail).toMatchObject({
      mime: 'image/jpeg',
      bytes: JPEG.length,
    });
    const values = rec.tokens.filter((t) => t.source !== 'header').map((t) => `${t.path}=${t.value}`);
    expect(values).toContain('$.childName=Mia');
    expect(values).toContain('$.nick=Mimi');
    const field = rec.tokens.find((t) => t.source === 'multipart-field');
    expect(field).toMatchObject({ path: '$.nick', parent: '$' });
  });

  it('gives the same parts whatever the chunk boundaries (every split of the body)', () => {
    const body = gzipSync(JSON.stringify({ a: 1, audio: wav(200).toString('base64'), b: 'x'.repeat(100) }));
    const head = {
      msgId: 0,
      method: 'POST',
      headers: [
        ['Content-Type', 'application/json'],
        ['Content-Encoding', 'gzip'],
      ] as const,
    };
    const whole = summary(new FlowScript().message({ ...head, headers: [...head.headers] }, body).close().events);
    expect(whole.some((s) => s.includes('audio/wav'))).toBe(true);
    for (const chunks of everySplit(body)) {
      expect(
        summary(new FlowScript().message({ ...head, headers: [...head.headers] }, ...chunks).close().events),
      ).toEqual(whole);
    }
  });
});

describe('pipeline: per-stream findings', () => {
  it('reports a stream once and updates it in place under the same id, final at flow close', () => {
    const s = new FlowScript({ transport: 'websocket' });
    for (let i = 0; i < 5; i++)
      s.message({ msgId: i, protocol: 'websocket', ws: { opcode: 2, compressed: false } }, Buffer.alloc(1280));
    const out = play([streamCounter], s.close().events);
    expect(out.findings).toHaveLength(1);
    const ids = new Set(out.findingUpdates.map((f) => f.id));
    expect(ids.size).toBe(1);
    expect(out.findingUpdates.length).toBeGreaterThanOrEqual(5);
    expect(out.findingUpdates.slice(0, -1).every((f) => !f.final)).toBe(true);
    const last = out.findings[0]!;
    expect(last).toMatchObject({ final: true, detail: { messages: 5, bytes: 6400 } });
    expect(last.lastTs).toBeGreaterThan(last.firstTs);
  });
});

describe('pipeline: bad input is a violation, never a throw', () => {
  it('flags events for unknown flows and messages', () => {
    const out = play(
      [mediaSniffer],
      [
        { ts: 1, type: 'message.chunk', flowId: 'nope', msgId: 0, data: new Uint8Array(3) },
        ...new FlowScript().raw({ ts: 5, type: 'message.end', flowId: 'c1:1', msgId: 9 }).events,
      ],
    );
    expect(out.violations.map((v) => v.code).sort()).toEqual(['unknown-flow', 'unknown-message']);
  });

  it('survives an analyzer that throws and keeps feeding the others', () => {
    const s = new FlowScript().message({ msgId: 0, method: 'POST' }, wav(100)).close();
    const out = play([throwing, mediaSniffer], s.events);
    expect(out.violations).toMatchObject([{ decoder: 'analyzer:throwing', code: 'analyzer-error', message: 'boom' }]);
    expect(out.findings).toHaveLength(1);
  });

  it('reports a gzip bomb and a corrupt body as violations', () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const s = new FlowScript()
      .message({ msgId: 0, method: 'POST', headers: [['Content-Encoding', 'gzip']] }, bomb)
      .message({ msgId: 1, method: 'POST', headers: [['Content-Encoding', 'gzip']] }, Buffer.from('not gzip at all'))
      .close();
    const out = play([mediaSniffer], s.events, { MAX_INFLATE_BYTES: 8 * 1024 * 1024 });
    expect(out.violations.map((v) => v.msgId)).toEqual(expect.arrayContaining([0, 1]));
    const bombPart = out.findings.find((f) => f.msgId === 0);
    expect(Number(bombPart?.detail?.bytes ?? 0)).toBeLessThanOrEqual(8 * 1024 * 1024);
  });

  it('closes flows left open at the end and finalises their findings', () => {
    const s = new FlowScript({ transport: 'websocket' }).message({ msgId: 0, protocol: 'websocket' }, Buffer.alloc(10));
    const out = play([streamCounter], s.events);
    expect(out.findings[0]?.final).toBe(true);
    expect([...out.flows.values()][0]).toMatchObject({ closed: true, error: { code: 'not-closed' } });
  });
});

describe('pipeline: evidence', () => {
  it('caps evidence blobs and marks the finding truncated', () => {
    const keeper = {
      name: 'keeper',
      wants: () => true,
      open: (ctx: import('../../src/model/analyzer.ts').AnalyzerContext) => {
        const ev = ctx.openEvidence('application/octet-stream');
        return {
          media(_i: unknown, chunk: Uint8Array) {
            ev.write(chunk);
            return undefined;
          },
          end() {
            ev.end();
            ctx.report({ category: 'voice' as const, subtype: 'raw-pcm', excerpt: 'clip', evidenceId: ev.id });
          },
        };
      },
    };
    const s = new FlowScript().message({ msgId: 0, method: 'POST' }, Buffer.alloc(5000), Buffer.alloc(5000)).close();
    const out = play([keeper], s.events, { MAX_EVIDENCE_BYTES: 7000 });
    const kept = out.evidenceChunks.reduce((n, c) => n + c.data.length, 0);
    expect(kept).toBe(7000);
    expect(out.evidenceChunks.at(-1)).toMatchObject({ final: true, truncated: true, totalBytes: 7000 });
    expect(out.findings[0]?.evidence).toMatchObject({ truncated: true, evidenceId: 'c1:1/e0' });
  });
});
