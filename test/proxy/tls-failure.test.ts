/** Device TLS failures from node's errors: refusals (certificate alerts, closes, timeouts) → device-rejected-cert. */
import { describe, expect, it } from 'vitest';
import { classifyHandshakeError, failureError, failureTlsState, refusalOf } from '../../proxy/tls-failure.ts';

const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

describe('tls-failure', () => {
  it('reads the alert a device sent', () => {
    const f = classifyHandshakeError(
      err('...:tlsv1 alert unknown ca:...:SSL alert number 48\n', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'),
    );
    expect(f).toEqual({
      kind: 'alert',
      alert: { from: 'client', level: 2, description: 48, name: 'unknown_ca', afterCertificate: true },
    });
    expect(failureTlsState(f)).toBe('device-rejected-cert');
    expect(refusalOf(f)).toEqual({ cause: 'alert', alert: 'unknown_ca' });
    expect(failureError(f).code).toBe('tls-device-alert');
    const decrypt = classifyHandshakeError(err('SSL alert number 51'));
    expect(refusalOf(decrypt)).toEqual({ cause: 'alert', alert: 'decrypt_error' });
  });
  it('counts a close or a timeout in the handshake as a refusal', () => {
    expect(refusalOf({ kind: 'closed' })).toEqual({ cause: 'closed' });
    expect(refusalOf({ kind: 'timeout' })).toEqual({ cause: 'timeout' });
    expect(failureTlsState({ kind: 'closed' })).toBe('device-rejected-cert');
  });
  it('keeps other alerts and errors opaque', () => {
    const proto = classifyHandshakeError(err('SSL alert number 70'));
    expect(proto).toMatchObject({ kind: 'alert', alert: { name: 'protocol_version', afterCertificate: false } });
    expect(failureTlsState(proto)).toBe('opaque');
    expect(classifyHandshakeError(err('read ECONNRESET', 'ECONNRESET'))).toEqual({ kind: 'closed' });
    expect(
      classifyHandshakeError(err('Client network socket disconnected before secure TLS connection was established')),
    ).toEqual({ kind: 'closed' });
    const other = classifyHandshakeError(err('no shared cipher', 'ERR_SSL_NO_SHARED_CIPHER'));
    expect(other).toEqual({ kind: 'error', message: 'ERR_SSL_NO_SHARED_CIPHER' });
    expect(failureError({ kind: 'timeout' }).code).toBe('tls-handshake-timeout');
  });
});
