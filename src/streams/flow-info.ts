/**
 * The one builder of `FlowInfo` for the stream layer's sources: a connection's spec (replay or proxy), a UDP
 * flow, a DNS lookup that was never contacted. Keeps the Devices contract (MAC when known, else IP) in one place.
 */
import { deviceIdOf, type FlowInfo, type TlsState, type Transport } from '../model/flow.ts';
import type { ConnectionSpec } from './types.ts';

export type FlowInfoSpec = Pick<ConnectionSpec, 'flowId' | 'client' | 'server' | 'source' | 'captureId' | 'tlsInfo'> & {
  /** A source that names the device itself (HAR import: `--device`, as a HAR has no client address). */
  deviceId?: string;
};

/** The `flow.open` description of a connection, once its transport and TLS state are known. */
export function flowInfo(spec: FlowInfoSpec, transport: Transport, tls: TlsState): FlowInfo {
  const { client, server } = spec;
  const device = { ip: client.ip, port: client.port, ...(client.mac ? { mac: client.mac } : {}) };
  return {
    id: spec.flowId,
    deviceId: spec.deviceId ?? deviceIdOf(device),
    device,
    server: { ip: server.ip, port: server.port, ...(server.host ? { host: server.host } : {}) },
    transport,
    tls,
    source: spec.source,
    ...(spec.captureId ? { captureId: spec.captureId } : {}),
    ...(spec.tlsInfo ? { tlsInfo: spec.tlsInfo } : {}),
  };
}
