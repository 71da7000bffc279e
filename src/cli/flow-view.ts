/**
 * One flow as `toyscope flows show` prints it (terminal text or JSON): endpoints, TLS, where to find it in
 * Wireshark, then each message's head (masked unless reveal), what its body decoded into and the findings with
 * the key paths that produced them. Every captured string passes `cell`/`oneLine` (it may hold terminal
 * escapes). No I/O and no store access: the command hands in what it read.
 */
import { type Config, deviceName } from '../config.ts';
import type { Finding } from '../model/finding.ts';
import { displayLabel } from '../model/flow.ts';
import { type Headers, header } from '../model/message.ts';
import type { FlowRecord, MessageRecord } from '../model/records.ts';
import type { Violation } from '../model/violation.ts';
import { redact } from '../pipeline/redact.ts';
import { maskHeaders, maskPath, maskUrl } from '../report/heads.ts';
import { jsonFinding, jsonFlow } from '../report/json.ts';
import { oneLine } from './errors.ts';
import { cell, recipient, size } from './format.ts';
import { formatTime, zoneLabel } from './time.ts';

export interface FlowData {
  flow: FlowRecord;
  messages: MessageRecord[];
  findings: Finding[];
  violations: Violation[];
}

/**
 * The Wireshark display filter of a replayed flow: its conversation (as Wireshark's "Conversation Filter"
 * writes it) narrowed to its frames, so a 4-tuple reused later in the capture is not mixed in.
 */
export function wiresharkFilter(f: FlowRecord): string | undefined {
  if (f.source !== 'capture' || !f.frames || f.server.port === 0) return undefined;
  const ip = f.device.ip.includes(':') ? 'ipv6' : 'ip';
  const l4 =
    f.transport === 'udp' || f.transport === 'coap' ? ['udp'] : f.transport === 'dns' ? ['tcp', 'udp'] : ['tcp'];
  const ports = l4
    .map((p) => `${p}.port==${f.device.port} && ${p}.port==${f.server.port}`)
    .map((s) => (l4.length > 1 ? `(${s})` : s))
    .join(' || ');
  const portSql = l4.length > 1 ? `(${ports})` : ports;
  return `${ip}.addr==${f.device.ip} && ${ip}.addr==${f.server.ip} && ${portSql} && frame.number>=${f.frames.first} && frame.number<=${f.frames.last}`;
}

export function renderFlow(d: FlowData, config: Config, reveal: boolean): string {
  const f = d.flow;
  const lines: string[] = [];
  const label = displayLabel(f.transport, f.tls);
  lines.push(`Flow ${cell(f.id, 80)}  ${label} (transport ${f.transport}, TLS ${f.tls})`);
  const device = deviceName(config, f.deviceId);
  const mac = f.device.mac ? `, ${f.device.mac}` : '';
  lines.push(`  device     ${cell(device, 40)} (${f.device.ip} port ${f.device.port}${mac})`);
  const host = f.server.host ? `${cell(f.server.host, 80)} ` : '';
  lines.push(`  server     ${host}${f.server.ip} port ${f.server.port} — ${cell(recipient(f.destination), 100)}`);
  lines.push(`  time       ${formatTime(f.firstTs)} → ${formatTime(f.lastTs)} (${zoneLabel()})`);
  const missing = f.bytesMissing > 0 ? `, ${size(f.bytesMissing)} lost in the capture` : '';
  lines.push(`  bytes      ${size(f.bytesUp)} up, ${size(f.bytesDown)} down${missing}`);
  if (f.error) lines.push(`  ended      ${cell(f.error.code, 40)}: ${cell(f.error.message, 100)}`);
  else if (!f.closed) lines.push('  ended      still open');
  if (f.captureId) {
    const frames = f.frames ? `, frames ${f.frames.first}–${f.frames.last}` : '';
    lines.push(`  capture    ${f.captureId.slice(0, 12)}${frames}`);
  }
  const filter = wiresharkFilter(f);
  if (filter) lines.push(`  wireshark  ${filter}`);
  if (f.tlsInfo) lines.push(`  tls        ${tlsLine(f)}`);
  const byMsg = new Map<number | undefined, Finding[]>();
  for (const x of d.findings) byMsg.set(x.msgId, [...(byMsg.get(x.msgId) ?? []), x]);
  for (const m of d.messages) {
    lines.push('', ...messageLines(m, byMsg.get(m.msgId) ?? [], reveal));
  }
  const flowFindings = byMsg.get(undefined) ?? [];
  if (flowFindings.length > 0)
    lines.push('', 'Findings on the flow:', ...flowFindings.map((x) => findingLine(x, reveal)));
  if (d.messages.length === 0) lines.push('', 'No messages: the payload was not read (TLS without keys, or no data).');
  if (d.violations.length > 0) {
    lines.push('', 'Decoder notes:');
    for (const v of d.violations) {
      const at = v.msgId === undefined ? '' : ` (#${v.msgId})`;
      lines.push(`  ${cell(v.decoder, 24)} ${cell(v.code, 40)}${at}${v.message ? `: ${cell(v.message, 100)}` : ''}`);
    }
  }
  return lines.join('\n');
}

function tlsLine(f: FlowRecord): string {
  const t = f.tlsInfo ?? {};
  const parts = [
    t.sni && `SNI ${t.sni}`,
    t.serverVersion && t.serverVersion,
    t.cipher && `cipher ${t.cipher}`,
    t.ja4 && `JA4 ${t.ja4}`,
    t.certSubject && `certificate ${t.certSubject}`,
    t.alerts?.length && `alerts ${t.alerts.map((a) => `${a.from} ${a.name}`).join(', ')}`,
  ].filter(Boolean) as string[];
  return cell(parts.join('; '), 200);
}

function messageLines(m: MessageRecord, findings: Finding[], reveal: boolean): string[] {
  const out = [`#${m.msgId} ${m.direction}  ${cell(startLine(m, reveal), 160)}  ${formatTime(m.firstTs)}`];
  for (const [name, value] of maskHeaders(m.headers, reveal)) out.push(`   ${cell(name, 40)}: ${cell(value, 120)}`);
  if (m.headTruncated) out.push('   (head cut at MAX_STORED_HEAD_BYTES)');
  const type = m.mime ?? m.contentType;
  const gap = m.gapBytes > 0 ? `, ${size(m.gapBytes)} lost` : '';
  out.push(`   body       ${size(m.bodyBytes)}${type ? ` (${cell(type, 60)})` : ''}${gap}`);
  const s = m.summary;
  if (s) {
    for (const p of s.parts) {
      if (p.depth === 0 && p.origin === 'body') continue;
      const file = p.filename === undefined ? '' : ` "${cell(reveal ? p.filename : redact(p.filename), 60)}"`;
      out.push(`     part     ${cell(p.mime, 40)} ${size(p.bytes)}${file} (${cell(p.origin, 60)})`);
    }
    if (s.partsTruncated) out.push('     part     … more parts not listed');
    const tokens = Object.entries(s.tokens).map(([k, n]) => `${n} ${k}`);
    if (tokens.length > 0) out.push(`     tokens   ${tokens.join(', ')}`);
  } else if (m.bodyBytes > 0) out.push('     (counted only: no analyzer wanted this message)');
  for (const f of findings) out.push(findingLine(f, reveal));
  return out;
}

/** What an RTP packet carries: its static media type (`audio/PCMU`), else its payload type (`PT 96`). */
export function rtpPayload(headers: Headers): string {
  const type = header({ headers }, 'content-type');
  return type ? type.split(';')[0]! : `PT ${header({ headers }, 'payload-type') ?? '?'}`;
}

function startLine(m: MessageRecord, reveal: boolean): string {
  if (m.protocol === 'http') {
    return m.method ? `${m.method} ${maskUrl(m.url ?? '', reveal)}` : `HTTP ${m.status ?? ''}`;
  }
  if (m.protocol === 'mqtt') return `MQTT ${m.topic ? maskPath(m.topic, reveal) : ''}`;
  if (m.protocol === 'coap')
    return m.method ? `CoAP ${m.method} ${maskUrl(m.url ?? '', reveal)}` : `CoAP ${m.status ?? ''}`;
  if (m.protocol === 'dns') return m.url ?? 'DNS';
  if (m.protocol === 'rtp') return `RTP ${rtpPayload(m.headers)} seq ${header(m, 'sequence') ?? '?'}`;
  if (m.protocol === 'smtp') return 'SMTP mail (DATA)';
  return m.method ? `${m.protocol} frame ${m.method}` : m.protocol;
}

function findingLine(f: Finding, reveal: boolean): string {
  const value = reveal ? (f.evidence.value ?? `${f.evidence.excerpt} (value purged)`) : f.evidence.excerpt;
  const at = f.path ? ` at ${cell(f.path, 80)}` : '';
  const ev = f.evidence.evidenceId ? `  [evidence ${f.evidence.evidenceId}]` : '';
  return `   finding    ${f.category}/${f.subtype} (${f.confidence.toFixed(2)})${at}: ${cell(value, 80)}${ev}`;
}

/** `flows show --json`: the flow as in the replay document, plus frames, filter, messages and findings. */
export function flowJson(d: FlowData, reveal: boolean) {
  const filter = wiresharkFilter(d.flow);
  return {
    flow: {
      ...jsonFlow(d.flow),
      ...(d.flow.frames ? { frames: d.flow.frames } : {}),
      ...(filter ? { wiresharkFilter: filter } : {}),
      ...(d.flow.error ? { error: d.flow.error } : {}),
    },
    messages: d.messages.map((m) => ({
      ...m,
      ...(m.url === undefined ? {} : { url: maskUrl(m.url, reveal) }),
      ...(m.topic === undefined ? {} : { topic: maskPath(m.topic, reveal) }),
      headers: maskHeaders(m.headers, reveal),
      ...(m.summary && !reveal
        ? {
            summary: {
              ...m.summary,
              parts: m.summary.parts.map((p) => (p.filename ? { ...p, filename: redact(p.filename) } : p)),
            },
          }
        : {}),
    })),
    findings: d.findings.map((f) => jsonFinding(f, reveal)),
    violations: d.violations.map((v) => ({ ...v, ...(v.message ? { message: oneLine(v.message) } : {}) })),
  };
}
