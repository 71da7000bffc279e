/**
 * Where a flow goes, as findings report it: host (or IP), registrable domain (eTLD+1 from the public-suffix
 * list, via tldts), operator (the caller's lookup: the destinations catalogue, analyzers/data/services.yaml), first
 * or third party (the caller's per-device test, from config `firstParty`). When the host names no operator, an
 * upload's head may (the catalogue's request shapes: an iFlytek-shaped request through a toy vendor's proxy, an
 * MQTT publish on an Alibaba Cloud IoT topic to the vendor's own broker).
 * Unknown hosts keep their eTLD+1, no operator. The core knows neither the catalogue nor the configuration:
 * src/analysis.ts wires them in.
 */

import { tldts } from '../lazy-packages.ts';
import type { Destination } from '../model/finding.ts';
import type { FlowInfo } from '../model/flow.ts';
import type { MessageHead } from '../model/message.ts';

/** Describes a flow's destination; `head`, an upload's head, is consulted only when the host names no operator. */
export type DestinationResolver = (flow: FlowInfo, head?: MessageHead) => Destination;

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Registrable domain of a host name (ICANN suffixes: `a.b.com.cn` → `b.com.cn`); an IP address, a single
 * label or a name under no known suffix is returned unchanged.
 */
export function etld1Of(host: string): string {
  let d = etld1Cache.get(host);
  if (d === undefined) {
    const h = host.toLowerCase().replace(/\.$/, '');
    d = IPV4.test(h) || h.includes(':') ? h : (tldts().getDomain(h, { allowPrivateDomains: false }) ?? h);
    if (etld1Cache.size >= MAX_CACHED_HOSTS) etld1Cache.clear();
    if (host.length <= MAX_HOST_CHARS) etld1Cache.set(host, d);
  }
  return d;
}

/** Hosts whose eTLD+1 is remembered: every upload to a host without an operator asks again. */
const MAX_CACHED_HOSTS = 4096;
/** A DNS name's longest; a longer "host" is worked out each time, not kept. */
const MAX_HOST_CHARS = 253;
const etld1Cache = new Map<string, string>();

/**
 * A resolver from a third-party test `isThirdParty(deviceId, host)` (without one nothing is called third party),
 * an operator lookup by host and one by request head (without them no operator is named).
 */
export function destinationResolver(
  isThirdParty?: (deviceId: string, host: string) => boolean,
  operatorOf: (host: string) => string | undefined = () => undefined,
  operatorOfRequest: (head: MessageHead) => string | undefined = () => undefined,
): DestinationResolver {
  return (flow, head) => {
    const host = flow.server.host ?? flow.server.ip;
    const byHost = flow.server.host === undefined ? undefined : operatorOf(host);
    const byRequest = byHost === undefined && head !== undefined ? operatorOfRequest(head) : undefined;
    return {
      host,
      etld1: etld1Of(host),
      ...(byHost === undefined ? {} : { operator: byHost, operatorFrom: 'host' as const }),
      ...(byRequest === undefined ? {} : { operator: byRequest, operatorFrom: 'request' as const }),
      thirdParty: isThirdParty ? isThirdParty(flow.deviceId, host) : false,
    };
  };
}
