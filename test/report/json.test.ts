import { describe, expect, it } from 'vitest';
import { type Config, defaultConfig } from '../../src/config.ts';
import type { TlsState } from '../../src/model/flow.ts';
import type { TlsDecryption } from '../../src/model/tls.ts';
import { evaluatePolicy } from '../../src/policy.ts';
import { skippedOf } from '../../src/report/coverage.ts';
import { buildJsonDocument, tlsSummary, writeJsonDocument } from '../../src/report/json.ts';
import { captureRecord as makeCapture, finding as makeFinding, flowRecord as makeFlow } from '../../testkit/records.ts';

describe('buildJsonDocument', () => {
  const finding = makeFinding();
  const capture = makeCapture({ skipped: { 'ipv6-fragment': 3, 'unknown-link': 1 } });
  const violations = evaluatePolicy(
    { version: 1, rules: [{ id: 'no-voice', category: 'voice', allow: 'none' }] },
    [finding],
    { config: defaultConfig as Config },
  ).violations;
  const input = {
    captures: [capture],
    devices: [{ id: finding.deviceId, name: 'teddy', firstTs: 1, lastTs: 2 }],
    flows: [makeFlow()],
    findings: [finding],
    violations,
    skipped: skippedOf([capture]),
  };

  it('has exactly the documented top-level keys and flow fields', () => {
    const doc = buildJsonDocument(input, { reveal: false });
    expect(Object.keys(doc)).toEqual([
      'captures',
      'devices',
      'flows',
      'findings',
      'violations',
      'skipped',
      'shed',
      'tls',
    ]);
    expect(Object.keys(doc.flows[0]!)).toEqual([
      'id',
      'deviceId',
      'client',
      'server',
      'host',
      'transport',
      'tls',
      'bytesUp',
      'bytesDown',
      'firstTs',
      'lastTs',
    ]);
    expect(doc.flows[0]).toMatchObject({
      client: { ip: '127.0.0.2', port: 40000, mac: '02:00:00:00:00:01' },
      server: { ip: '127.0.0.1', port: 443 },
      host: 'api.toycloud.example',
      transport: 'http',
      tls: 'intercepted',
    });
    expect(doc.violations).toEqual([
      {
        rule: 'no-voice',
        reason: 'voice/raw-pcm must not leave the device; sent to api.toycloud.example',
        findingId: 'finding-1',
        deviceId: finding.deviceId,
        category: 'voice',
        subtype: 'raw-pcm',
        host: 'api.toycloud.example',
      },
    ]);
    expect(doc.skipped).toEqual([
      { file: 'teddy.pcapng', reason: 'ipv6-fragment', count: 3 },
      { file: 'teddy.pcapng', reason: 'unknown-link', count: 1 },
    ]);
  });

  it('writes, piece by piece, exactly the text JSON.stringify gives, with no flow, one or many', () => {
    for (const flows of [[], [makeFlow()], [makeFlow(), makeFlow({ id: 'flow-2' }), makeFlow({ id: 'flow-3' })]]) {
      for (const reveal of [false, true]) {
        const pieces: string[] = [];
        writeJsonDocument((t) => pieces.push(t), { ...input, flows, tls: tlsSummary(flows) }, { reveal });
        expect(pieces.join('')).toBe(
          `${JSON.stringify(buildJsonDocument({ ...input, flows }, { reveal }), null, 2)}\n`,
        );
        expect(pieces.length).toBeGreaterThanOrEqual(flows.length + input.findings.length);
      }
    }
  });

  it('counts work the live proxy shed (findings marked detail.shed) by category and reason', () => {
    const shed = (reason: string) =>
      makeFinding({ subtype: 'face-unchecked', category: 'face', detail: { reason, shed: true } });
    const doc = buildJsonDocument(
      { ...input, findings: [finding, shed('queue-full'), shed('queue-full'), shed('timeout')] },
      { reveal: false },
    );
    expect(doc.shed).toEqual([
      { category: 'face', reason: 'queue-full', count: 2 },
      { category: 'face', reason: 'timeout', count: 1 },
    ]);
  });

  it('drops evidence.value unless reveal, and keeps every other finding field', () => {
    const hidden = buildJsonDocument(input, { reveal: false });
    expect(hidden.findings[0]!.evidence).toEqual({ excerpt: 'RI••••VE', evidenceId: 'ev-1' });
    expect(JSON.stringify(hidden)).not.toContain('RIFF....WAVE');
    const { evidence: _e, ...rest } = finding;
    expect(hidden.findings[0]).toMatchObject(rest);
    expect(hidden.findings[0]!.direction).toBe('upload');
    const shown = buildJsonDocument(input, { reveal: true });
    expect(shown.findings[0]!.evidence.value).toBe('RIFF....WAVE');
    expect(finding.evidence.value).toBe('RIFF....WAVE'); // the input is not mutated
  });

  it('names the host by IP when the flow has no host name', () => {
    const flow = makeFlow({ server: { ip: '203.0.113.9', port: 1883 } });
    flow.destination.host = '203.0.113.9';
    const doc = buildJsonDocument({ ...input, flows: [flow] }, { reveal: false });
    expect(doc.flows[0]!.host).toBe('203.0.113.9');
  });

  it('counts TLS flows by how decrypting them went; intercepted and clear flows are not TLS on the wire', () => {
    const flow = (tls: TlsState, decryption?: TlsDecryption) =>
      makeFlow({ tls, ...(decryption ? { tlsInfo: { decryption } } : {}) });
    const flows = [
      flow('decrypted', 'decrypted'),
      flow('opaque', 'no-keys'),
      flow('opaque'),
      flow('opaque', 'unsupported'),
      flow('opaque', 'failed'),
      flow('device-rejected-cert', 'decrypted'),
      flow('intercepted'),
      flow('none'),
    ];
    expect(tlsSummary(flows)).toEqual({ flows: 6, decrypted: 2, withoutKeys: 2, unsupported: 1, failed: 1 });
  });
});
