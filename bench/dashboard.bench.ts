/**
 * The dashboard over a big store (1,000,000 findings, 5,000,000 messages; bench/dashboard-store.ts): p50/p99 of
 * the first page and a filtered page of every list route through Fastify (`inject`: routing, validation,
 * serialization), each beside the bare SQL of the same page; SSE delivery latency from a write to the client, from
 * this process's writer and from another connection; compliance report time for a device with 100,000 findings.
 * Goals (issue 18): list p99 ≤ 100 ms, SSE ≤ 1 s.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildDashboard, startDashboard } from '../dashboard/server.ts';
import { defaultConfig } from '../src/config.ts';
import { dataDirPaths } from '../src/data-dir.ts';
import { buildComplianceReport } from '../src/report/compliance.ts';
import { renderComplianceHtml } from '../src/report/compliance-html.ts';
import { openStore } from '../src/store/db.ts';
import { finding, flowRecord } from '../testkit/records.ts';
import { BIG_T0, deviceOf, makeBigStore } from './dashboard-store.ts';
import { round } from './measure.ts';
import type { Bench } from './run.ts';

const SHAPE = { devices: 10, flows: 100_000, messagesPerFlow: 50, findings: 1_000_000 };
const ROUNDS = 200;
const SSE_SAMPLES = 20;
const REPORT_ROUNDS = 10;
const TOKEN = 'bench-token-0123456789abcdefghijklmnopqrstuvwxyz';

export function percentiles(ms: number[]): { p50: number; p99: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { p50: round(at(0.5), 2), p99: round(at(0.99), 2) };
}

/** Times `fn` `rounds` times after a few warm-ups. */
export async function time(
  fn: () => unknown | Promise<unknown>,
  rounds = ROUNDS,
): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(5, rounds); i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return percentiles(ms);
}

const bench: Bench = async (emit) => {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-dash-bench-'));
  try {
    const file = join(dir, 'toyscope.db');
    const made = makeBigStore(file, SHAPE);
    emit({
      bench: 'dashboard',
      corpus: 'big-store',
      what: 'generate',
      findings: SHAPE.findings,
      messages: SHAPE.flows * SHAPE.messagesPerFlow,
      flows: SHAPE.flows,
      seconds: round(made),
    });
    const store = openStore(file);
    const app = await buildDashboard({ store, token: TOKEN, config: defaultConfig });
    const login = await app.inject({ method: 'POST', url: '/api/session', payload: { token: TOKEN } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const raw = new Database(file, { readonly: true });
    const get = async (url: string) => {
      const res = await app.inject({ method: 'GET', url, headers: { cookie } });
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      return res;
    };
    const second = (url: string) => async () => {
      const next = (await get(url)).json().next as string | undefined;
      return next ? `${url}${url.includes('?') ? '&' : '?'}cursor=${next}` : url;
    };
    const cases: Array<[string, string, string | (() => Promise<string>)]> = [
      ['findings', 'first page', '/api/findings?limit=100'],
      ['findings', 'page 2 (cursor)', second('/api/findings?limit=100')],
      ['findings', 'device', `/api/findings?limit=100&device=${deviceOf(3)}`],
      ['findings', 'category', '/api/findings?limit=100&category=location'],
      ['findings', 'device+category', `/api/findings?limit=100&device=${deviceOf(2)}&category=voice`],
      ['findings', 'destination', '/api/findings?limit=100&destination=host7.example'],
      ['findings', 'third party', '/api/findings?limit=100&thirdParty=true'],
      ['findings', 'unencrypted', '/api/findings?limit=100&encrypted=false'],
      ['findings', 'capture', '/api/findings?limit=100&capture=cap-4'],
      [
        'findings',
        'time range',
        `/api/findings?limit=100&since=${BIG_T0 + 30_000_000_000}&until=${BIG_T0 + 31_000_000_000}`,
      ],
      ['findings', 'experiment', '/api/findings?limit=100&experiment=1'],
      [
        'findings',
        'device+destination, no match',
        `/api/findings?limit=100&device=${deviceOf(1)}&destination=host2.example`,
      ],
      ['findings', 'subtype (no summary: no total)', '/api/findings?limit=100&subtype=sub-2'],
      ['flows', 'first page', '/api/flows?limit=100'],
      ['flows', 'tls', '/api/flows?limit=100&tls=opaque'],
      ['flows', 'device+transport', `/api/flows?limit=100&device=${deviceOf(2)}&transport=mqtt`],
      ['flow', 'one flow with 50 messages', '/api/flows/fl-4242'],
      ['devices', 'all', '/api/devices'],
      ['destinations', 'all', '/api/destinations'],
      ['destinations', 'device', `/api/destinations?device=${deviceOf(5)}`],
      ['captures', 'all', '/api/captures'],
      ['experiments', 'all', '/api/experiments'],
    ];
    for (const [route, filter, target] of cases) {
      const url = typeof target === 'string' ? target : await target();
      const t = await time(() => get(url));
      const res = await get(url);
      const body = res.json() as { items?: unknown[]; total?: number };
      const ref = refQuery(raw, route, url);
      const r = ref ? await time(ref) : undefined;
      emit({
        bench: 'dashboard',
        corpus: '1M findings, 5M messages',
        route,
        filter,
        items: body.items?.length ?? 1,
        ...(body.total === undefined ? {} : { total: body.total }),
        p50_ms: t.p50,
        p99_ms: t.p99,
        ...(r ? { reference_sql_p50_ms: r.p50, reference_sql_p99_ms: r.p99, ratio: round(r.p99 / t.p99, 2) } : {}),
        goal_p99_ms: 100,
      });
    }

    const device0 = store.listDevices().find((d) => d.id === deviceOf(0))!;
    const report = await time(async () => {
      const r = buildComplianceReport({
        store,
        device: device0,
        firstPartyKnown: true,
        custody: { toyscopeVersion: 'bench', generatedAt: Date.now() * 1000, timeZone: 'UTC' },
      });
      return renderComplianceHtml(r, 'zh-CN');
    }, REPORT_ROUNDS);
    const countRef = await time(
      () => raw.prepare('SELECT count(*) FROM findings WHERE device_id = ?').get(deviceOf(0)),
      REPORT_ROUNDS,
    );
    emit({
      bench: 'dashboard',
      corpus: '1M findings, 5M messages',
      what: 'compliance report (build + HTML)',
      device_findings: SHAPE.findings / SHAPE.devices,
      p50_ms: report.p50,
      p99_ms: report.p99,
      reference_count_p50_ms: countRef.p50,
      ratio: round(countRef.p50 / report.p50, 3),
    });
    raw.close();
    await app.close();
    store.close();
    await sseLatency(dir, file, emit);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** The bare SQL of a list route's page (what the route adds is Fastify, validation, masking, JSON). */
function refQuery(db: Database.Database, route: string, url: string): (() => unknown) | undefined {
  if (route !== 'findings' && route !== 'flows') return undefined;
  const q = new URL(url, 'http://x').searchParams;
  if (q.has('cursor') || q.has('experiment') || q.has('since')) return undefined;
  const cols: Record<string, string> = {
    device: 'device_id',
    category: 'category',
    destination: 'destination_etld1',
    thirdParty: 'destination_third_party',
    encrypted: 'encrypted',
    capture: 'capture_id',
    tls: 'tls',
    transport: 'transport',
  };
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [k, v] of q) {
    if (!cols[k]) continue;
    where.push(`${cols[k]} = ?`);
    params.push(v === 'true' ? 1 : v === 'false' ? 0 : v);
  }
  const st = db.prepare(
    `SELECT * FROM ${route} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY first_ts DESC, rowid DESC LIMIT 101`,
  );
  return () => st.all(params);
}

/** Write → SSE client, from this process's writer (proxy) and from another connection (replay beside dashboard). */
async function sseLatency(dir: string, file: string, emit: Parameters<Bench>[0]): Promise<void> {
  const store = openStore(file);
  const running = await startDashboard({
    store,
    config: defaultConfig,
    listen: { host: '127.0.0.1', port: 0 },
    paths: dataDirPaths(dir),
  });
  try {
    const token = new URL(running.loginUrl!).hash.replace('#token=', '');
    const res = await fetch(`${running.url}api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const waiting = new Map<string, () => void>();
    const req = request(`${running.url}api/events`, { headers: { cookie } }, (r) => {
      r.on('data', (c: Buffer) => {
        for (const [id, done] of waiting) if (c.includes(`"id":"${id}"`)) done();
      });
    });
    req.on('error', () => {});
    req.end();
    await new Promise((r) => setTimeout(r, 300));
    const other = openStore(file);
    for (const [source, target] of [
      ['this process (proxy)', store],
      ['another connection (replay beside dashboard)', other],
    ] as const) {
      const w = target.writer();
      w.flow(flowRecord({ id: `sse-flow-${source.length}` }));
      const ms: number[] = [];
      for (let i = 0; i < SSE_SAMPLES; i++) {
        const id = `sse-${source.length}-${i}`;
        const t0 = performance.now();
        const seen = new Promise<void>((resolve) => waiting.set(id, resolve));
        w.finding(finding({ id, flowId: `sse-flow-${source.length}` })); // committed by the writer's timer
        await Promise.race([seen, new Promise((r) => setTimeout(r, 5000))]);
        waiting.delete(id);
        ms.push(performance.now() - t0);
      }
      const p = percentiles(ms);
      emit({
        bench: 'dashboard',
        corpus: '1M findings, 5M messages',
        what: 'SSE write → client',
        source,
        p50_ms: p.p50,
        p99_ms: p.p99,
        writer_batch_ms: 200,
        goal_ms: 1000,
        ratio: round(1000 / p.p99, 2),
      });
    }
    other.close();
    req.destroy();
  } finally {
    await running.close();
    store.close();
  }
}

export default bench;
