/**
 * What the list routes share: the query string turned into a store filter, and a page query's own errors (a
 * forged cursor) answered as 400 instead of 500. No routes here.
 */
import type { CommonFilter } from '../../src/store/pages.ts';
import type { CommonQueryT } from '../schemas.ts';

export function commonFilter(q: CommonQueryT): CommonFilter {
  const f: CommonFilter = {};
  if (q.device !== undefined) f.deviceId = q.device;
  if (q.capture !== undefined) f.captureId = q.capture;
  if (q.host !== undefined) f.host = q.host;
  if (q.destination !== undefined) f.etld1 = q.destination;
  if (q.thirdParty !== undefined) f.thirdParty = q.thirdParty;
  if (q.since !== undefined) f.sinceTs = q.since;
  if (q.until !== undefined) f.untilTs = q.until;
  if (q.experiment !== undefined) f.experimentId = q.experiment;
  return f;
}
