/** Record factories for tests and benches (store, CLI, policy, reports): valid defaults, overridable. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding } from '../src/model/finding.ts';
import type { EvidenceChunk, FlowRecord, MessageRecord } from '../src/model/records.ts';
import type { CaptureRecord } from '../src/store/types.ts';

export const T0 = 1_700_000_000_000_000;
export const MAC = '02:00:00:00:00:01';

export function captureRecord(over: Partial<CaptureRecord> = {}): CaptureRecord {
  return { id: 'a'.repeat(64), path: 'teddy.pcapng', format: 'pcapng', bytes: 1234, importedAt: T0, ...over };
}

export function flowRecord(over: Partial<FlowRecord> = {}): FlowRecord {
  return {
    id: 'flow-1',
    deviceId: MAC,
    device: { ip: '127.0.0.2', port: 40000, mac: MAC },
    server: { ip: '127.0.0.1', port: 443, host: 'api.toycloud.example' },
    transport: 'http',
    tls: 'intercepted',
    source: 'capture',
    captureId: 'a'.repeat(64),
    firstTs: T0,
    lastTs: T0 + 1000,
    bytesUp: 100,
    bytesDown: 10,
    bytesMissing: 0,
    closed: false,
    destination: { host: 'api.toycloud.example', etld1: 'toycloud.example', operator: 'ToyCo', thirdParty: false },
    ...over,
  };
}

export function messageRecord(over: Partial<MessageRecord> = {}): MessageRecord {
  return {
    flowId: 'flow-1',
    msgId: 0,
    direction: 'upload',
    protocol: 'http',
    method: 'POST',
    url: '/v1/voice?kid=7',
    headers: [
      ['Host', 'api.toycloud.example'],
      ['Content-Type', 'audio/wav'],
    ],
    contentType: 'audio/wav',
    mime: 'audio/wav',
    bodyBytes: 100,
    gapBytes: 0,
    firstTs: T0,
    lastTs: T0 + 500,
    ...over,
  };
}

export function finding(over: Partial<Finding> = {}): Finding {
  return {
    id: 'finding-1',
    flowId: 'flow-1',
    msgId: 0,
    deviceId: MAC,
    category: 'voice',
    subtype: 'raw-pcm',
    confidence: 0.9,
    firstTs: T0 + 100,
    lastTs: T0 + 200,
    direction: 'upload',
    destination: { host: 'api.toycloud.example', etld1: 'toycloud.example', operator: 'ToyCo', thirdParty: false },
    encrypted: true,
    evidence: { excerpt: 'RI••••VE', value: 'RIFF....WAVE', evidenceId: 'ev-1' },
    path: '$',
    detail: { sampleRate: 16000, seconds: 1.5, mono: true },
    final: true,
    ...over,
  };
}

export function evidenceChunk(over: Partial<EvidenceChunk> = {}): EvidenceChunk {
  const data = over.data ?? new Uint8Array([1, 2, 3]);
  return {
    evidenceId: 'ev-1',
    flowId: 'flow-1',
    msgId: 0,
    mime: 'audio/wav',
    seq: 0,
    data,
    final: false,
    truncated: false,
    totalBytes: data.length,
    ...over,
  };
}

/** A fresh temporary directory and a function that removes it. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
