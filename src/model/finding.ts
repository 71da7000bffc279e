/**
 * Findings: what an analyzer concluded about personal data leaving (or reaching) a device.
 * The shape is pinned by docs/ARCHITECTURE.md § Contracts.
 */
import type { FlowId, Micros, MsgId } from './flow.ts';
import type { Direction } from './message.ts';

/** Categories are analyzer names. */
export type Category =
  | 'voice'
  | 'face'
  | 'location'
  | 'contacts'
  | 'identifiers'
  | 'child-profile'
  | 'tls'
  | 'opaque-upload';
export const CATEGORIES: readonly Category[] = [
  'voice',
  'face',
  'location',
  'contacts',
  'identifiers',
  'child-profile',
  'tls',
  'opaque-upload',
];

/**
 * The categories that are personal data themselves (what `declared.categories` and the tls analyzer's
 * plaintext check speak about); `tls` and `opaque-upload` describe how data travelled, not what it was.
 */
export const PERSONAL_CATEGORIES: readonly Category[] = [
  'voice',
  'face',
  'location',
  'contacts',
  'identifiers',
  'child-profile',
];

export const isPersonal = (c: Category): boolean => PERSONAL_CATEGORIES.includes(c);

/** Where a finding's data went. */
export interface Destination {
  /** Host name when known, else the server IP. */
  host: string;
  /** Registrable domain (eTLD+1) of `host`, or the IP. */
  etld1: string;
  /** Who runs it, from the destinations catalogue, when known. */
  operator?: string;
  /** How `operator` was found: the catalogue's host globs, or a request shape (the host itself is not listed). */
  operatorFrom?: 'host' | 'request';
  /** Not first party for this device (config `firstParty`). */
  thirdParty: boolean;
}

/** Extra measured facts about a finding (sample rate, duration, bytes, face count, …): flat and printable. */
export type FindingDetail = Record<string, string | number | boolean>;

export interface FindingEvidence {
  /** The excerpt with its personal values masked (kinds, sizes, reasons readable): safe for logs, CLI, JSON, JUnit. */
  excerpt: string;
  /** The excerpt unmasked: kept in the store, printed only with `--reveal`. */
  value?: string;
  /** The personal `detail` values unmasked (the finding's `detail` holds them masked): store and `--reveal` only. */
  detail?: FindingDetail;
  /** The stored evidence blob (a voice clip, a photo), when one was kept. */
  evidenceId?: string;
  /** The blob stopped at the evidence cap. */
  truncated?: boolean;
}

export interface Finding {
  /** Stable across updates of a per-stream finding. */
  id: string;
  flowId: FlowId;
  msgId?: MsgId;
  deviceId: string;
  category: Category;
  /** Kebab-case, listed in analyzers/README.md (`opus`, `raw-pcm`, `wifi-scan`, `phone-number`). */
  subtype: string;
  /** 0..1 */
  confidence: number;
  firstTs: Micros;
  lastTs: Micros;
  direction: Direction;
  destination: Destination;
  /** The data travelled inside TLS (intercepted or decrypted by us), not in clear text. */
  encrypted: boolean;
  evidence: FindingEvidence;
  /** Token path or part origin the finding was made on. */
  path?: string;
  /** Measured facts; personal values among them are masked (whole in `evidence.detail`). */
  detail?: FindingDetail;
  /** False while a per-stream finding may still be updated; true once finalised. */
  final: boolean;
}
