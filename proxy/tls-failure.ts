/**
 * Why a device's TLS handshake with the proxy failed, as a closed union (mockttp's pattern), and how each case
 * lands on the flow: the TLS state, the error, and the alert in `tlsInfo.alerts`. A fatal alert a client sends
 * when it does not accept a certificate (bad_certificate, unknown_ca, certificate_unknown, decrypt_error …), a
 * close or a timeout during the handshake mean the device refused the certificate offered:
 * `device-rejected-cert`, with the cause. Anything else (no shared version or cipher) stays `opaque`.
 * Not here: what to do next (cert-checks.ts).
 */
import { ALERT_NAMES } from '../src/decode/tls-metadata.ts';
import type { FlowError, TlsState } from '../src/model/flow.ts';
import type { RejectionCause, TlsAlert } from '../src/model/tls.ts';

/** What the device did to end the handshake. */
export type DeviceTlsFailure =
  /** It sent a fatal alert (node decrypts TLS 1.3 alerts too: the proxy is the endpoint). */
  | { kind: 'alert'; alert: TlsAlert }
  /** It closed or reset the connection without an alert. */
  | { kind: 'closed' }
  /** It did not finish within PROXY_HANDSHAKE_TIMEOUT_MS. */
  | { kind: 'timeout' }
  /** Any other failure: no shared version or cipher, a malformed hello (the proxy's own alert). */
  | { kind: 'error'; message: string };

/** Fatal alerts a client sends when it does not accept a certificate (as tls-metadata.ts counts them). */
const CERT_ALERTS = new Set([42, 43, 44, 45, 46, 48]);
/**
 * Alerts besides those that TLS stacks send on a certificate they refuse: handshake_failure (older embedded stacks),
 * access_denied, decrypt_error (a signature or pinned key that does not verify), user_canceled.
 */
const REFUSAL_ALERTS = new Set([...CERT_ALERTS, 40, 49, 51, 90]);

/** Classifies a handshake error from node's TLS socket. */
export function classifyHandshakeError(err: NodeJS.ErrnoException): DeviceTlsFailure {
  const alert = /alert number (\d+)/.exec(err.message);
  if (alert) {
    const description = Number(alert[1]);
    return {
      kind: 'alert',
      alert: {
        from: 'client',
        level: 2,
        description,
        name: ALERT_NAMES[description] ?? `alert_${description}`,
        afterCertificate: CERT_ALERTS.has(description),
      },
    };
  }
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || /disconnected|socket hang up/i.test(err.message)) {
    return { kind: 'closed' };
  }
  return { kind: 'error', message: err.code ?? err.message.split('\n')[0]! };
}

/** Whether the failure says the device refused the certificate, and how; undefined when it says nothing of it. */
export function refusalOf(f: DeviceTlsFailure): { cause: RejectionCause; alert?: string } | undefined {
  if (f.kind === 'alert')
    return REFUSAL_ALERTS.has(f.alert.description ?? -1) ? { cause: 'alert', alert: f.alert.name } : undefined;
  if (f.kind === 'closed' || f.kind === 'timeout') return { cause: f.kind };
  return undefined;
}

/** The flow's TLS state after such a failure. */
export function failureTlsState(f: DeviceTlsFailure): TlsState {
  return refusalOf(f) ? 'device-rejected-cert' : 'opaque';
}

/** The flow's error after such a failure. */
export function failureError(f: DeviceTlsFailure): FlowError {
  switch (f.kind) {
    case 'alert':
      return { code: 'tls-device-alert', message: `the device ended the TLS handshake with alert ${f.alert.name}` };
    case 'closed':
      return { code: 'tls-device-closed', message: 'the device closed the connection during the TLS handshake' };
    case 'timeout':
      return { code: 'tls-handshake-timeout', message: 'the device did not finish the TLS handshake in time' };
    case 'error':
      return { code: 'tls-handshake-failed', message: `TLS handshake with the device failed: ${f.message}` };
  }
}
