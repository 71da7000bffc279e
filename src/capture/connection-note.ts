/**
 * The per-connection note a toyscope capture carries (`toyscope proxy --save`): a pcapng packet comment on the
 * connection's SYN saying where the plaintext came from and what TLS did to it, so that replaying the file gives
 * the flow the same source, host and TLS state as live (an intercepted HTTPS flow replays as `intercepted`, not
 * as plaintext). Format: `toyscope-connection ` + JSON. Written by proxy/save.ts, read by replay.ts; a comment
 * that is not a note (any other tool's) is ignored, and a note's fields are checked before use.
 */
import type { FlowSource, TlsState } from '../model/flow.ts';
import { type CertCheck, FORGERIES, type TlsInfo } from '../model/tls.ts';

/** What a note says about its connection. */
export interface ConnectionNote {
  source: FlowSource;
  tls: TlsState;
  host?: string;
  tlsInfo?: TlsInfo;
}

const PREFIX = 'toyscope-connection ';
const SOURCES: readonly string[] = ['live', 'capture', 'har'];
const TLS_STATES: readonly string[] = [
  'none',
  'intercepted',
  'decrypted',
  'passthrough',
  'device-rejected-cert',
  'opaque',
];

/** The comment text for a note. */
export function formatNote(note: ConnectionNote): string {
  return PREFIX + JSON.stringify(note);
}

/** The note in a packet comment, or undefined when the comment is not one (or is damaged). */
export function parseNote(comment: string | undefined): ConnectionNote | undefined {
  if (!comment?.startsWith(PREFIX)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(comment.slice(PREFIX.length));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.source !== 'string' || !SOURCES.includes(r.source)) return undefined;
  if (typeof r.tls !== 'string' || !TLS_STATES.includes(r.tls)) return undefined;
  const note: ConnectionNote = { source: r.source as FlowSource, tls: r.tls as TlsState };
  if (typeof r.host === 'string' && r.host.length <= 253) note.host = r.host;
  if (typeof r.tlsInfo === 'object' && r.tlsInfo !== null && !Array.isArray(r.tlsInfo)) {
    const { certCheck, ...info } = r.tlsInfo as TlsInfo;
    note.tlsInfo = isCertCheck(certCheck) ? { ...info, certCheck } : info;
  }
  return note;
}

const OUTCOMES: readonly unknown[] = ['accepted', 'rejected', 'undecided'];
const CAUSES: readonly unknown[] = [undefined, 'alert', 'closed', 'timeout', 'closed-before-data'];
const ISSUERS: readonly unknown[] = ['toyscope', 'probe-ca', 'self'];

/** A certificate check as the proxy writes it: the findings and the table print its values, so check each. */
function isCertCheck(c: unknown): c is CertCheck {
  if (typeof c !== 'object' || c === null) return false;
  const r = c as Record<string, unknown>;
  return (
    (FORGERIES as readonly unknown[]).includes(r.forgery) &&
    ISSUERS.includes(r.issuer) &&
    OUTCOMES.includes(r.outcome) &&
    CAUSES.includes(r.cause) &&
    (r.alert === undefined || (typeof r.alert === 'string' && /^[a-z0-9_]{1,40}$/.test(r.alert))) &&
    (r.probe === undefined || typeof r.probe === 'boolean') &&
    (r.caInstalled === undefined || typeof r.caInstalled === 'boolean')
  );
}
