/**
 * Where a flow goes, as findings report it: host (or IP), registrable domain (eTLD+1 from the public-suffix
 * list, via tldts), operator (the caller's lookup: the destinations catalogue, analyzers/data/services.yaml), first
 * or third party (the caller's per-device test, from config `firstParty`). Unknown hosts keep their eTLD+1, no
 * operator. The core knows neither the catalogue nor the configuration: src/analysis.ts wires them in.
 */
import { getDomain } from 'tldts';
import type { Destination } from '../model/finding.ts';
import type { FlowInfo } from '../model/flow.ts';

export type DestinationResolver = (flow: FlowInfo) => Destination;

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Registrable domain of a host name (ICANN suffixes: `a.b.com.cn` → `b.com.cn`); an IP address, a single
 * label or a name under no known suffix is returned unchanged.
 */
export function etld1Of(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (IPV4.test(h) || h.includes(':')) return h;
  return getDomain(h, { allowPrivateDomains: false }) ?? h;
}

/**
 * A resolver from a third-party test `isThirdParty(deviceId, host)` (without one nothing is called third party)
 * and an operator lookup (without one no operator is named).
 */
export function destinationResolver(
  isThirdParty?: (deviceId: string, host: string) => boolean,
  operatorOf: (host: string) => string | undefined = () => undefined,
): DestinationResolver {
  return (flow) => {
    const host = flow.server.host ?? flow.server.ip;
    const operator = flow.server.host === undefined ? undefined : operatorOf(host);
    return {
      host,
      etld1: etld1Of(host),
      ...(operator === undefined ? {} : { operator }),
      thirdParty: isThirdParty ? isThirdParty(flow.deviceId, host) : false,
    };
  };
}
