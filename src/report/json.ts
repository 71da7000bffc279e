/**
 * The `--json` document (docs/cli.md § JSON output, additive only): captures, devices, flows, findings, policy
 * violations, skipped capture parts, work shed under load and the TLS decryption counts, with excerpts redacted and
 * no `evidence.value` unless `reveal`. It builds a plain object with a fixed key order, or writes the same text piece by piece with
 * the flows streamed (400,000 flows are never one string); it does not read the store.
 */

import type { Finding } from '../model/finding.ts';
import type { DeviceEndpoint, TlsState, Transport } from '../model/flow.ts';
import type { FlowRecord } from '../model/records.ts';
import { TLS_ON_THE_WIRE, type TlsInfo, type TlsSummary } from '../model/tls.ts';
import { maskFinding } from '../pipeline/redact.ts';
import type { PolicyViolation } from '../policy.ts';
import type { CaptureRecord, DeviceRecord } from '../store/types.ts';
import { type ShedEntry, type SkippedEntry, shedOf } from './coverage.ts';

export interface JsonInput {
  captures: CaptureRecord[];
  devices: DeviceRecord[];
  /** Iterated once (a store iterator is fine). */
  flows: Iterable<FlowRecord>;
  findings: Finding[];
  violations: PolicyViolation[];
  skipped: SkippedEntry[];
  /** Work shed under load; default: counted from `findings` (pass it when `findings` is a selection). */
  shed?: ShedEntry[];
  /** TLS flows and their decryption; default: counted from `flows` (required when they are streamed). */
  tls?: TlsSummary;
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
  /** Work the live proxy shed under load (images not checked for faces), by category and reason. */
  shed: ShedEntry[];
  tls: TlsSummary;
}

/** Builds the document; `reveal` keeps `evidence.value`, otherwise it is dropped. */
export function buildJsonDocument(input: JsonInput, opts: { reveal: boolean }): JsonDocument {
  const flows = Array.from(input.flows);
  const { captures, devices, ...after } = documentWithout({ ...input, tls: input.tls ?? tlsSummary(flows) });
  const findings = input.findings.map((f) => jsonFinding(f, opts.reveal));
  return { captures, devices, flows: flows.map(jsonFlow), findings, ...after };
}

/**
 * Writes the same text as `JSON.stringify(buildJsonDocument(…), null, 2)` and a newline, in pieces: one call of
 * `write` per key, per flow and per finding, so neither the flows nor the findings are ever held together as text
 * (a replay with 45,000 findings held its whole document).
 */
export function writeJsonDocument(
  write: (text: string) => void,
  input: JsonInput & { tls: TlsSummary },
  opts: { reveal: boolean },
): void {
  const { captures, devices, ...after } = documentWithout(input);
  const field = (key: string, value: unknown) => `  ${JSON.stringify(key)}: ${indented(value, '  ')}`;
  write(`{\n${field('captures', captures)},\n${field('devices', devices)},\n  "flows": `);
  writeArray(write, input.flows, jsonFlow);
  write(',\n  "findings": ');
  writeArray(write, input.findings, (f) => jsonFinding(f, opts.reveal));
  for (const [key, value] of Object.entries(after)) write(`,\n${field(key, value)}`);
  write('\n}\n');
}

/**
 * A top-level array (the value of a key of the document), as `JSON.stringify(document, null, 2)` lays it out,
 * one `write` per element: also for other commands' documents that stream a list (`flows --json`).
 */
export function writeArray<T>(write: (text: string) => void, items: Iterable<T>, json: (item: T) => unknown): void {
  let n = 0;
  for (const item of items) write(`${n++ === 0 ? '[' : ','}\n    ${indented(json(item), '    ')}`);
  write(n === 0 ? '[]' : '\n  ]');
}

/** `JSON.stringify(value, null, 2)` with every line after the first indented by `by`. */
function indented(value: unknown, by: string): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${by}`);
}

/** Every key but `flows` and `findings`, in the document's order. */
function documentWithout(input: JsonInput & { tls: TlsSummary }): Omit<JsonDocument, 'flows' | 'findings'> {
  return {
    captures: input.captures,
    devices: input.devices,
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
    shed: input.shed ?? shedOf(input.findings),
    tls: input.tls,
  };
}

export function tlsSummary(flows: Iterable<Pick<FlowRecord, 'tls' | 'tlsInfo'>>): TlsSummary {
  const t: TlsSummary = { flows: 0, decrypted: 0, withoutKeys: 0, unsupported: 0, failed: 0 };
  for (const f of flows) {
    if (!TLS_ON_THE_WIRE.has(f.tls)) continue;
    t.flows++;
    const d = f.tlsInfo?.decryption;
    if (d === 'decrypted' || f.tls === 'decrypted') t.decrypted++;
    else if (d === 'unsupported') t.unsupported++;
    else if (d === 'failed') t.failed++;
    else t.withoutKeys++;
  }
  return t;
}

/** A flow as the document carries it (also one `--json` record of `toyscope proxy`). */
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

/** A finding for output: `evidence.value` and `evidence.detail` (unmasked personal values) only with `reveal`. */
export function jsonFinding(f: Finding, reveal: boolean): Finding {
  return reveal ? f : maskFinding(f);
}
