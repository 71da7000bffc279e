/** The connection note a toyscope capture carries in its SYN's comment. */
import { describe, expect, it } from 'vitest';
import { formatNote, parseNote } from '../../src/capture/connection-note.ts';

describe('connection notes', () => {
  it('round-trips source, TLS state, host and TLS metadata', () => {
    const note = {
      source: 'live' as const,
      tls: 'intercepted' as const,
      host: 'api.tuyaus.com',
      tlsInfo: { sni: 'api.tuyaus.com' },
    };
    expect(parseNote(formatNote(note))).toEqual(note);
  });
  it('ignores other comments and damaged or hostile notes', () => {
    for (const c of [
      undefined,
      'captured on wlan0',
      'toyscope-connection {',
      'toyscope-connection []',
      'toyscope-connection {"source":"x","tls":"none"}',
      'toyscope-connection {"source":"live","tls":"plaintext"}',
    ]) {
      expect(parseNote(c), String(c)).toBeUndefined();
    }
    expect(parseNote('toyscope-connection {"source":"live","tls":"none","host":7,"tlsInfo":[1]}')).toEqual({
      source: 'live',
      tls: 'none',
    });
    // A certificate check is printed by findings and the table: one with a value the proxy never writes is dropped.
    const check = { forgery: 'self-signed', issuer: 'self', outcome: 'rejected', cause: 'alert', alert: 'unknown_ca' };
    const note = (c: object) =>
      formatNote({ source: 'live', tls: 'device-rejected-cert', tlsInfo: { sni: 'a.example', certCheck: c as never } });
    expect(parseNote(note(check))?.tlsInfo).toEqual({ sni: 'a.example', certCheck: check });
    for (const bad of [
      { ...check, forgery: 'x' },
      { ...check, alert: '\u001b[2J' },
      { ...check, outcome: 1 },
    ]) {
      expect(parseNote(note(bad))?.tlsInfo, JSON.stringify(bad)).toEqual({ sni: 'a.example' });
    }
  });
});
