/**
 * The certificate-check table (src/report/cert-table.ts) as the terminal prints it: one line per device and host,
 * a column per forgery (`ACCEPTED`, `accepted (CA installed)`, `refused (unknown_ca)`, `refused? (…)` when the
 * refusal shows nothing about names or expiry, `-` not offered), passthrough count and verdict. Used by
 * `toyscope proxy` at exit and `toyscope destinations --certs`. Host names and alert names only: nothing personal.
 */
import { FORGERIES } from '../model/tls.ts';
import { type CertTableRow, cellText } from '../report/cert-table.ts';
import { cell, table } from './format.ts';

/** The table, device names given by `name`; a footnote when a refusal was inconclusive. */
export function renderCertTable(rows: readonly CertTableRow[], name: (deviceId: string) => string): string {
  const lines = rows.map((r) => [
    cell(name(r.deviceId), 24),
    cell(r.host, 64),
    ...FORGERIES.map((f) => cellText(r.forgeries[f])),
    String(r.passthrough),
    r.verdict === 'accepts-forgeries' ? `ACCEPTS ${r.accepted.join(', ')}` : r.verdict,
  ]);
  const head = ['DEVICE', 'HOST', ...FORGERIES.map((f) => f.toUpperCase()), 'PASSTHROUGH', 'VERDICT'];
  const out = [table(head, lines)];
  if (rows.some((r) => FORGERIES.some((f) => r.forgeries[f]?.inconclusive))) {
    out.push(
      "refused? = a forgery from toyscope's CA, refused by a device that refuses that CA anyway: it shows nothing",
      '           about name or expiry checks (set tls.probeCa to a CA the device trusts to test them).',
    );
  }
  return out.join('\n');
}
