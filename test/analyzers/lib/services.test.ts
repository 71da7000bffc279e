import { describe, expect, it } from 'vitest';
import { catalogue, globToRegExp, operatorOf, parseCatalogue } from '../../../analyzers/lib/services.ts';

describe('services catalogue', () => {
  it('names the operators of known cloud hosts', () => {
    expect(operatorOf('nls-gateway-cn-shanghai.aliyuncs.com')).toBe('Alibaba NLS');
    expect(operatorOf('apilocate.amap.com')).toBe('AMap (Gaode)');
    expect(operatorOf('api.map.baidu.com')).toBe('Baidu Maps');
    expect(operatorOf('a1b2c3.iot-as-mqtt.cn-shanghai.aliyuncs.com')).toBe('Alibaba Cloud IoT');
    expect(operatorOf('a3k7odshaiipe8-ats.iot.eu-west-1.amazonaws.com')).toBe('AWS IoT Core');
    expect(operatorOf('transcribestreaming.us-east-1.amazonaws.com')).toBe('Amazon Transcribe');
    expect(operatorOf('IOT.TUYACN.COM.')).toBe('Tuya');
    expect(operatorOf('api.xiaoyu-toys.com')).toBeUndefined();
    expect(operatorOf('oss-cn-hangzhou.aliyuncs.com')).toBeUndefined();
  });

  it('covers every kind the issue asks for, each entry with a source and a date', () => {
    const kinds = new Set(catalogue().services.map((s) => s.kind));
    for (const k of ['speech', 'face', 'geolocation', 'iot', 'analytics', 'ads'])
      expect(kinds.has(k as never)).toBe(true);
    for (const s of catalogue().services) expect(s.source).toMatch(/^https:\/\//);
  });

  it('matches globs by whole labels', () => {
    expect(globToRegExp('*.amap.com').test('a.b.amap.com')).toBe(true);
    expect(globToRegExp('*.amap.com').test('amap.com')).toBe(false);
    expect(globToRegExp('*.amap.com').test('evilamap.com')).toBe(false);
    expect(globToRegExp('transcribe.*.amazonaws.com').test('transcribe.a.b.amazonaws.com')).toBe(false);
    expect(globToRegExp('nls-gateway*.aliyuncs.com').test('nls-gateway-ap-southeast-1.aliyuncs.com')).toBe(true);
  });

  it('prefers the most specific glob and rejects malformed entries', () => {
    const c = parseCatalogue(`services:
  - { operator: Wide, country: CN, kind: iot, hosts: ["*.example.com"], source: s, date: "2026-01-01" }
  - { operator: Narrow, country: CN, kind: speech, hosts: ["asr.example.com"], source: s, date: "2026-01-01" }`);
    expect(c.serviceOf('asr.example.com')?.operator).toBe('Narrow');
    expect(c.serviceOf('x.example.com')?.operator).toBe('Wide');
    expect(() =>
      parseCatalogue(
        'services:\n  - { operator: X, country: CN, kind: toys, hosts: [a], source: s, date: "2026-01-01" }',
      ),
    ).toThrow(/unknown kind/);
    expect(() =>
      parseCatalogue(
        'services:\n  - { operator: X, country: CN, kind: iot, hosts: [], source: s, date: "2026-01-01" }',
      ),
    ).toThrow(/hosts/);
  });
});
