/**
 * Where a flow goes, as findings report it: host (or IP), registrable domain, operator, first or third party.
 * The default resolver here knows no catalogue and no public-suffix list beyond a short built-in table; the
 * destinations issue replaces `etld1Of` with a maintained public-suffix library and adds operators.
 */
import type { Destination } from '../model/finding.ts';
import type { FlowInfo } from '../model/flow.ts';

export type DestinationResolver = (flow: FlowInfo) => Destination;

/** Second-level public suffixes common in toy traffic; enough until the public-suffix list lands. */
const TWO_LABEL_SUFFIXES = new Set([
  'com.cn',
  'net.cn',
  'org.cn',
  'gov.cn',
  'edu.cn',
  'com.hk',
  'com.tw',
  'co.uk',
  'org.uk',
  'co.jp',
  'co.kr',
  'com.au',
  'com.br',
  'co.in',
  'amazonaws.com',
]);

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Registrable domain of a host name; an IP address or a single label is returned unchanged. */
export function etld1Of(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (IPV4.test(h) || h.includes(':')) return h;
  const labels = h.split('.');
  if (labels.length <= 2) return h;
  const lastTwo = labels.slice(-2).join('.');
  const take = TWO_LABEL_SUFFIXES.has(lastTwo) ? 3 : 2;
  return labels.slice(-take).join('.');
}

/** A resolver from a third-party test `isThirdParty(deviceId, host)`; without one nothing is called third party. */
export function destinationResolver(isThirdParty?: (deviceId: string, host: string) => boolean): DestinationResolver {
  return (flow) => {
    const host = flow.server.host ?? flow.server.ip;
    return { host, etld1: etld1Of(host), thirdParty: isThirdParty ? isThirdParty(flow.deviceId, host) : false };
  };
}
