/**
 * The certificate-check table (issue 16): per device and host, what the device did with each forgery the live
 * proxy offered (from the flows' `tlsInfo.certCheck`) and how many of its connections were passed through, with a
 * verdict. Built from flow records, live or stored (`Store.listCertChecks`); printed by src/cli/cert-checks-view.ts,
 * carried as it is in `--json`. Not here: deciding what the device did (proxy/tls-leg.ts) or what to offer next
 * (proxy/cert-checks.ts).
 */
import type { FlowRecord } from '../model/records.ts';
import { type CertCheck, FORGERIES, type Forgery } from '../model/tls.ts';

/** One forgery's outcome for a (device, host): the last offer's, plus how many offers there were. */
export interface CertCell extends Omit<CertCheck, 'forgery' | 'probe'> {
  offers: number;
  /**
   * A refusal that shows nothing about names or expiry: the forgery came from toyscope's CA (no `tls.probeCa`)
   * and the device refused toyscope's CA itself, so it may have refused the issuer only.
   */
  inconclusive?: boolean;
}

/**
 * `accepts-forgeries`: see `accepted`; `validates`: every forgery was offered and none accepted (toyscope's CA
 * where it is installed aside); `incomplete`: not every forgery was offered or decided. A `validates` row may hold
 * inconclusive refusals: the device accepted nothing, but its name and expiry checks were not shown.
 */
export type CertVerdict = 'validates' | 'accepts-forgeries' | 'incomplete';

export interface CertTableRow {
  deviceId: string;
  host: string;
  forgeries: Partial<Record<Forgery, CertCell>>;
  /** Forgeries accepted that are findings (toyscope's CA on a device with it installed is not). */
  accepted: Forgery[];
  /** Connections relayed unread (passthrough after refusals or configured). */
  passthrough: number;
  verdict: CertVerdict;
}

/** The table from flow records (any order; the latest offer of each forgery wins), sorted by device and host. */
export function certTable(flows: Iterable<FlowRecord>): CertTableRow[] {
  const rows = new Map<string, CertTableRow & { ts: Partial<Record<Forgery, number>> }>();
  for (const f of flows) {
    const check = f.tlsInfo?.certCheck;
    if (!check && f.tls !== 'passthrough') continue;
    const host = f.server.host ?? f.server.ip;
    const key = `${f.deviceId} ${host}`;
    let row = rows.get(key);
    if (!row) {
      row = { deviceId: f.deviceId, host, forgeries: {}, accepted: [], passthrough: 0, verdict: 'incomplete', ts: {} };
      rows.set(key, row);
    }
    if (!check) {
      row.passthrough++;
      continue;
    }
    const { forgery, probe: _probe, ...rest } = check;
    const prev = row.forgeries[forgery];
    const latest = (row.ts[forgery] ?? -1) <= f.firstTs;
    row.forgeries[forgery] = { ...(latest || !prev ? rest : prev), offers: (prev?.offers ?? 0) + 1 };
    if (latest) row.ts[forgery] = f.firstTs;
  }
  const out: CertTableRow[] = [];
  for (const { ts: _ts, ...row } of rows.values()) {
    judge(row);
    out.push(row);
  }
  return out.sort((a, b) => a.deviceId.localeCompare(b.deviceId) || a.host.localeCompare(b.host));
}

function judge(row: CertTableRow): void {
  const own = row.forgeries['toyscope-ca'];
  const ownRefused = own?.outcome === 'rejected';
  for (const f of ['wrong-name', 'expired'] as const) {
    const c = row.forgeries[f];
    if (c?.outcome === 'rejected' && c.issuer === 'toyscope' && ownRefused) c.inconclusive = true;
  }
  row.accepted = FORGERIES.filter((f) => {
    const c = row.forgeries[f];
    return c?.outcome === 'accepted' && !c.caInstalled;
  });
  const settled = FORGERIES.every((f) => {
    const c = row.forgeries[f];
    return c && (c.outcome === 'rejected' || (c.outcome === 'accepted' && c.caInstalled));
  });
  row.verdict = row.accepted.length > 0 ? 'accepts-forgeries' : settled ? 'validates' : 'incomplete';
}

/** A cell as the terminal prints it: `accepted`, `refused (unknown_ca)`, `refused? (closed)`, `-` (not offered). */
export function cellText(c: CertCell | undefined): string {
  if (!c) return '-';
  if (c.outcome === 'undecided') return 'no verdict';
  if (c.outcome === 'accepted') return c.caInstalled ? 'accepted (CA installed)' : 'ACCEPTED';
  const how = c.cause === 'alert' ? (c.alert ?? 'alert') : (c.cause ?? '');
  return `refused${c.inconclusive ? '?' : ''} (${how})`;
}
