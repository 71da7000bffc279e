/**
 * JSON Schemas of the dashboard API: query strings (validated and coerced by Fastify before a handler runs) and
 * responses (serialized by them, so a field not listed here never leaves, an unmasked value included). Data only.
 */
import { CATEGORIES } from '../src/model/finding.ts';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const num = { type: 'number' } as const;
const loose = { type: 'object', additionalProperties: true } as const;

export const Destination = {
  type: 'object',
  properties: { host: str, etld1: str, operator: str, thirdParty: bool },
} as const;

/** A finding as the dashboard shows it: never `evidence.value` (reveal is its own, logged, call). */
export const Finding = {
  type: 'object',
  properties: {
    id: str,
    flowId: str,
    msgId: int,
    deviceId: str,
    category: str,
    subtype: str,
    confidence: num,
    firstTs: int,
    lastTs: int,
    direction: str,
    destination: Destination,
    encrypted: bool,
    evidence: { type: 'object', properties: { excerpt: str, evidenceId: str, truncated: bool } },
    path: str,
    detail: loose,
    final: bool,
  },
} as const;

const Country = {
  type: 'object',
  properties: { mcc: str, alpha2: str, numeric: str, name: str },
} as const;
const Position = { type: 'object', properties: { lat: num, lon: num, accuracyM: num } } as const;

/** Where a Wi-Fi scan or cell-tower finding could be placed, without anything personal (src/geo/places.ts). */
export const PlacesSummary = {
  type: 'object',
  properties: {
    kind: str,
    counted: int,
    kept: int,
    located: int,
    byArea: int,
    countries: { type: 'array', items: Country },
  },
} as const;

/** The same with the located access points or towers and the estimate: in a reveal's answer only. */
export const Places = {
  type: 'object',
  properties: {
    ...PlacesSummary.properties,
    points: {
      type: 'array',
      items: { type: 'object', properties: { ...Position.properties, kind: str, label: str, areaCells: int } },
    },
    estimate: Position,
  },
} as const;

export const Flow = {
  type: 'object',
  properties: {
    id: str,
    deviceId: str,
    device: { type: 'object', properties: { ip: str, port: int, mac: str } },
    server: { type: 'object', properties: { ip: str, port: int, host: str } },
    transport: str,
    tls: str,
    source: str,
    captureId: str,
    firstTs: int,
    lastTs: int,
    bytesUp: int,
    bytesDown: int,
    bytesMissing: int,
    closed: bool,
    error: { type: 'object', properties: { code: str, message: str } },
    destination: Destination,
    tlsInfo: loose,
  },
} as const;

export const Message = {
  type: 'object',
  properties: {
    flowId: str,
    msgId: int,
    direction: str,
    protocol: str,
    method: str,
    url: str,
    status: int,
    contentType: str,
    mime: str,
    bodyBytes: int,
    gapBytes: int,
    firstTs: int,
    lastTs: int,
    topic: str,
    /** `[name, value]` pairs, personal values masked. */
    headers: { type: 'array', items: { type: 'array', items: str } },
    headTruncated: bool,
  },
} as const;

export const Experiment = {
  type: 'object',
  properties: { id: int, name: str, startTs: int, endTs: int, notes: str, deviceId: str },
} as const;

export const ErrorReply = { type: 'object', properties: { error: str } } as const;

/** `{items, next?, total?}` of `item`. */
export const page = (item: object) =>
  ({
    type: 'object',
    required: ['items'],
    properties: { items: { type: 'array', items: item }, next: str, total: int },
  }) as const;

/** Query string shared by the findings and flows lists. */
const commonQuery = {
  device: { type: 'string', maxLength: 256 },
  capture: { type: 'string', pattern: '^[0-9a-zA-Z_-]{1,128}$' },
  host: { type: 'string', maxLength: 512 },
  destination: { type: 'string', maxLength: 512 },
  thirdParty: bool,
  since: { type: 'integer', minimum: 0 },
  until: { type: 'integer', minimum: 0 },
  experiment: { type: 'integer', minimum: 1 },
  cursor: { type: 'string', maxLength: 64 },
  limit: { type: 'integer', minimum: 1, maximum: 1000 },
} as const;

export const FindingQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...commonQuery,
    category: { enum: [...CATEGORIES] },
    subtype: { type: 'string', pattern: '^[a-z0-9-]{1,64}$' },
    encrypted: bool,
  },
} as const;

export const FlowQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...commonQuery,
    transport: { enum: ['http', 'websocket', 'mqtt', 'coap', 'dns', 'tcp', 'udp'] },
    tls: { enum: ['none', 'intercepted', 'decrypted', 'passthrough', 'device-rejected-cert', 'opaque'] },
  },
} as const;

/** The query string both lists share, as Fastify hands it over after coercion. */
export interface CommonQueryT {
  device?: string;
  capture?: string;
  host?: string;
  destination?: string;
  thirdParty?: boolean;
  since?: number;
  until?: number;
  experiment?: number;
  cursor?: string;
  limit?: number;
}

/** `:id` of a finding, flow or evidence: ids hold `/` (`<flow>/f3`), so clients percent-encode it. */
export const IdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 512 } },
} as const;
