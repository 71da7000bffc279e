/** A dashboard over a fresh store with a few records, and a logged-in cookie, for inject tests. */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildDashboard } from '../../dashboard/server.ts';
import { type Config, defaultConfig } from '../../src/config.ts';
import type { Limits } from '../../src/model/limits.ts';
import { openStore } from '../../src/store/db.ts';
import type { Store } from '../../src/store/types.ts';
import {
  captureRecord,
  evidenceChunk,
  finding,
  flowRecord,
  MAC,
  messageRecord,
  T0,
  tempDir,
} from '../../testkit/records.ts';

export const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuvwxyz';
export const HOST = 'localhost:8081';

export interface Harness {
  app: FastifyInstance;
  store: Store;
  dir: string;
  cookie: string;
  close(): Promise<void>;
}

/** Flow `c1/1` (voice to the first party, with a WAV blob), flow `c1/2` (plain HTTP to a third party). */
export function seed(store: Store): void {
  const w = store.writer();
  w.capture(captureRecord({ id: 'cap-1' }));
  w.flow(flowRecord({ id: 'c1/1', captureId: 'cap-1' }));
  w.flow(
    flowRecord({
      id: 'c1/2',
      captureId: 'cap-1',
      tls: 'none',
      firstTs: T0 + 5000,
      destination: { host: 'track.ads.example', etld1: 'ads.example', thirdParty: true },
    }),
  );
  w.message(messageRecord({ flowId: 'c1/1' }));
  const wav = Buffer.alloc(1000, 7);
  wav.write('RIFF', 0);
  w.evidence(evidenceChunk({ evidenceId: 'c1/1/e0', flowId: 'c1/1', mime: 'audio/wav', data: wav, final: true }));
  w.evidence(
    evidenceChunk({
      evidenceId: 'c1/2/e0',
      flowId: 'c1/2',
      mime: 'text/html',
      data: Buffer.from('<script>alert(1)</script>'),
      final: true,
    }),
  );
  w.evidence(
    evidenceChunk({
      evidenceId: 'c1/1/e1',
      flowId: 'c1/1',
      mime: 'audio/ogg;codecs=opus',
      data: Buffer.from('OggS'),
      final: true,
    }),
  );
  w.finding(
    finding({
      id: 'c1/1/f0',
      flowId: 'c1/1',
      evidence: { excerpt: 'RI••FF', value: 'RIFF-secret', evidenceId: 'c1/1/e0' },
    }),
  );
  w.finding(
    finding({
      id: 'c1/2/f0',
      flowId: 'c1/2',
      category: 'contacts',
      subtype: 'phone-number',
      firstTs: T0 + 6000,
      encrypted: false,
      destination: { host: 'track.ads.example', etld1: 'ads.example', thirdParty: true },
      evidence: { excerpt: '138••••5678', value: '13812345678', evidenceId: 'c1/2/e0' },
      detail: {},
    }),
  );
  w.flush();
}

/** Logs in to `app` with the test token and returns the session cookie (`name=value`). */
export async function sessionCookie(app: FastifyInstance): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/session',
    headers: { host: HOST },
    payload: { token: TOKEN },
  });
  return String(res.headers['set-cookie']).split(';')[0]!;
}

/** The seed's configuration: its voice host is the first party. */
const CONFIG: Config = { ...defaultConfig, firstParty: { global: ['*.toycloud.example'], devices: {} } };

export async function harness(limits: Partial<Limits> = {}, config: Config = CONFIG): Promise<Harness> {
  const t = tempDir();
  const store = openStore(join(t.dir, 'toyscope.db'), { batchMs: 5 });
  seed(store);
  const app = await buildDashboard({
    store,
    token: TOKEN,
    config,
    allowedHosts: new Set([HOST]),
    limits,
  });
  const cookie = await sessionCookie(app);
  return {
    app,
    store,
    dir: t.dir,
    cookie,
    close: async () => {
      await app.close();
      store.close();
      t.cleanup();
    },
  };
}

export { MAC, T0 };
