/** host:port parsing of untrusted CONNECT authorities and Host fields. */
import { describe, expect, it } from 'vitest';
import { formatTarget, parseAuthority } from '../../proxy/target.ts';

describe('parseAuthority', () => {
  it('reads names, IPv4 and bracketed IPv6 with ports', () => {
    expect(parseAuthority('API.Tuyaus.com:443')).toEqual({ host: 'api.tuyaus.com', port: 443 });
    expect(parseAuthority('127.0.0.1:8883')).toEqual({ host: '127.0.0.1', port: 8883 });
    expect(parseAuthority('[::1]:443')).toEqual({ host: '::1', port: 443 });
    expect(parseAuthority('example.com', 80)).toEqual({ host: 'example.com', port: 80 });
  });
  it('refuses what is not an authority', () => {
    for (const bad of ['', 'example.com', 'a b:1', 'x:0', 'x:70000', '[zz]:1', '::1:443', 'ex\u0000am:1', 'a/b:1']) {
      expect(parseAuthority(bad), bad).toBeUndefined();
    }
  });
  it('formats IPv6 with brackets', () => {
    expect(formatTarget({ host: '::1', port: 443 })).toBe('[::1]:443');
    expect(formatTarget({ host: 'a.example', port: 80 })).toBe('a.example:80');
  });
});
