/**
 * The `--json` document (docs/cli.md § JSON output, additive only): captures, devices, flows, findings, policy
 * violations and skipped capture parts, with excerpts redacted and no `evidence.value` unless `reveal`.
 * It builds a plain object with a fixed key order; it does not read the store or print.
 */

import type { Finding } from '../model/finding.ts';
import type { DeviceEndpoint, TlsState, Transport } from '../model/flow.ts';
import type { FlowRecord } from '../model/records.ts';
import type { TlsInfo } from '../model/tls.ts';
import { maskFinding } from '../pipeline/redact.ts';
import type { PolicyViolation } from '../policy.ts';
import type { CaptureRecord, DeviceRecord } from '../store/types.ts';

/** A part of a capture that was not understood, counted. */
export interface SkippedEntry {
  file: string;
  reason: string;
  count: number;
}

export interface JsonInput {
  captures: CaptureRecord[];
  devices: DeviceRecord[];
  flows: FlowRecord[];
  findings: Finding[];
  violations: PolicyViolation[];
  skipped: SkippedEntry[];
}

export interface JsonFlow {
  id: string;
  deviceId: string;
  client: DeviceEndpoint;
  server: { ip: string; port: number };
  /** Host name when known, else the server IP. */
  host: string;
  transport: Transport;
  tls: TlsState;
  /** TLS handshake metadata seen on the wire (SNI, JA3/JA4, versions, certificate names, alerts). */
  tlsInfo?: TlsInfo;
  bytesUp: number;
  bytesDown: number;
  firstTs: number;
  lastTs: number;
}

export interface JsonViolation {
  rule: string;
  reason: string;
  findingId: string;
  deviceId: string;
  category: string;
  subtype: string;
  host: string;
}

export interface JsonDocument {
  captures: CaptureRecord[];
  devices: DeviceRecord[];
  flows: JsonFlow[];
  findings: Finding[];
  violations: JsonViolation[];
  skipped: SkippedEntry[];
}

/** Builds the document; `reveal` keeps `evidence.value`, otherwise it is dropped. */
export function buildJsonDocument(input: JsonInput, opts: { reveal: boolean }): JsonDocument {
  return {
    captures: input.captures,
    devices: input.devices,
    flows: input.flows.map(jsonFlow),
    findings: input.findings.map((f) => jsonFinding(f, opts.reveal)),
    violations: input.violations.map((v) => ({
      rule: v.ruleId,
      reason: v.reason,
      findingId: v.finding.id,
      deviceId: v.finding.deviceId,
      category: v.finding.category,
      subtype: v.finding.subtype,
      host: v.finding.destination.host,
    })),
    skipped: input.skipped,
  };
}

/** The skipped entries of stored captures (`{reason: count}` per capture). */
export function skippedOf(captures: CaptureRecord[]): SkippedEntry[] {
  return captures.flatMap((c) =>
    Object.entries(c.skipped ?? {}).map(([reason, count]) => ({ file: c.path, reason, count })),
  );
}

export function jsonFlow(f: FlowRecord): JsonFlow {
  const client: DeviceEndpoint = { ip: f.device.ip, port: f.device.port };
  if (f.device.mac) client.mac = f.device.mac;
  return {
    id: f.id,
    deviceId: f.deviceId,
    client,
    server: { ip: f.server.ip, port: f.server.port },
    host: f.server.host ?? f.destination.host,
    transport: f.transport,
    tls: f.tls,
    ...(f.tlsInfo ? { tlsInfo: f.tlsInfo } : {}),
    bytesUp: f.bytesUp,
    bytesDown: f.bytesDown,
    firstTs: f.firstTs,
    lastTs: f.lastTs,
  };
}

export function jsonFinding(f: Finding, reveal: boolean): Finding {
  return reveal ? f : maskFinding(f);
}
