/**
 * TLS decryption (issue 17). `decrypt`: a TlsDecryptSession alone over one recorded session per suite (Node's
 * client and server on loopback, 16 MiB each way), MB/s of TLS bytes, beside a plain read of the same bytes and
 * node:crypto's bare AES-128-GCM over 16 KiB records (the floor no decryptor can beat). `replay`: `toyscope
 * replay --keylog` end to end (child process, store included) on the ≥ 200 MB TLS capture of
 * bench/make-tls-corpus.ts, beside tshark decrypting the same file with the same key log
 * (`-o tls.keylog_file:… -Y http.request -T fields -e http.host`) in the same run: goal ≥ 2× tshark.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { TlsDecryptSession } from '../src/decode/tls-decrypt/session.ts';
import { KeyLog } from '../src/decode/tls-keylog.ts';
import { ensureTlsPcap, openRecorder, SUITES } from './make-tls-corpus.ts';
import { mbPerSec, plainRead, round } from './measure.ts';
import { replayInChild, tshark } from './processes.ts';
import type { Bench } from './run.ts';

const SESSION_MIB = 16;
const FEED_CHUNK = 64 * 1024;
const RECORD = 16 * 1024;
const GOAL_VS_TSHARK = 2;
const RUNS = Number(process.env.BENCH_TLS_RUNS ?? 2);

/** Decrypts a recorded session once: both sides fed in 64 KiB chunks; returns the clear bytes delivered. */
function decryptOnce(keyLog: KeyLog, client: Buffer, server: Buffer): number {
  let clear = 0;
  const s = new TlsDecryptSession((r) => keyLog.lookup(r), {
    decrypting() {},
    data: (_side, b) => {
      clear += b.length;
    },
    alert() {},
    keyUpdate() {},
    earlyData() {},
    violation: (v) => {
      throw new Error(`decrypt bench: ${v.code}`);
    },
  });
  for (let at = 0; at < client.length || at < server.length; at += FEED_CHUNK) {
    if (at < client.length) s.write('client', client.subarray(at, at + FEED_CHUNK));
    if (at < server.length) s.write('server', server.subarray(at, at + FEED_CHUNK));
  }
  s.end();
  return clear;
}

/** node:crypto AES-128-GCM over `bytes` in 16 KiB records, one decipher per record, as a record layer must. */
function gcmFloor(bytes: number): () => void {
  const key = randomBytes(16);
  const iv = randomBytes(12);
  const plain = randomBytes(RECORD);
  const c = createCipheriv('aes-128-gcm', key, iv);
  const sealed = Buffer.concat([c.update(plain), c.final()]);
  const tag = c.getAuthTag();
  return () => {
    for (let done = 0; done < bytes; done += RECORD) {
      const d = createDecipheriv('aes-128-gcm', key, iv);
      d.setAuthTag(tag);
      d.update(sealed);
      d.final();
    }
  };
}

const bench: Bench = async (emit) => {
  const recorder = await openRecorder();
  try {
    const payload = [randomBytes(SESSION_MIB * 2 ** 20)];
    for (const suite of SUITES) {
      const rec = await recorder.record({ client: suite.client, upload: payload, download: payload });
      const keyLog = new KeyLog();
      keyLog.add(rec.keyLog);
      const bytes = rec.client.length + rec.server.length;
      if (decryptOnce(keyLog, rec.client, rec.server) !== 2 * SESSION_MIB * 2 ** 20) throw new Error('short decrypt');
      const mbs = mbPerSec(bytes, () => decryptOnce(keyLog, rec.client, rec.server), 3);
      const plain = mbPerSec(bytes, () => plainRead([rec.client, rec.server]), 3);
      const floor = mbPerSec(bytes, gcmFloor(bytes), 3);
      emit({
        bench: 'tls',
        corpus: `one-session-${2 * SESSION_MIB}mib`,
        stage: 'decrypt',
        suite: suite.name,
        mb_per_s: mbs,
        reference: 'plain-read',
        reference_mb_per_s: plain,
        ratio: round(mbs / plain, 3),
        aes_128_gcm_floor_mb_per_s: floor,
        ratio_to_floor: round(mbs / floor, 3),
      });
    }
  } finally {
    recorder.close();
  }

  const { pcap, keyLog } = await ensureTlsPcap();
  const mb = statSync(pcap).size / 2 ** 20;
  const corpus = `mixed-https-pcap-${Math.round(mb)}mb`;
  // Best of RUNS each, replay and tshark alternating, so that a change of load on a shared machine hits both.
  const args = ['-r', pcap, '-o', `tls.keylog_file:${keyLog}`, '-Y', 'http.request', '-T', 'fields', '-e', 'http.host'];
  let r = replayInChild(pcap, 'store', keyLog);
  let t = tshark(args);
  for (let i = 1; i < RUNS && t; i++) {
    const r2 = replayInChild(pcap, 'store', keyLog);
    if (r2.seconds < r.seconds) r = r2;
    const t2 = tshark(args);
    if (t2 && t2.seconds < t.seconds) t = t2;
  }
  const mbs = round(mb / r.seconds);
  const replay = {
    bench: 'tls',
    corpus,
    stage: 'replay-keylog+store',
    mb_per_s: mbs,
    seconds: round(r.seconds, 2),
    peak_rss_mib: round(r.maxRssMiB),
    flows: r.flows,
    messages: r.messages,
    findings: r.findings,
    violations: r.violations,
    runs: RUNS,
  };
  if (!t) {
    emit({ ...replay, reference: 'tshark', skipped: 'tshark not installed' });
    return;
  }
  const ref = round(mb / t.seconds);
  emit({
    ...replay,
    reference: 'tshark -o tls.keylog_file -Y http.request -T fields -e http.host',
    reference_mb_per_s: ref,
    ratio: round(mbs / ref, 2),
    goal_ratio: GOAL_VS_TSHARK,
    tshark_requests: t.lines,
    toyscope_requests: r.messages / 2,
  });
};
export default bench;
