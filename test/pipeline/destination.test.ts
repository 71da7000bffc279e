import { describe, expect, it } from 'vitest';
import { operatorOf } from '../../analyzers/lib/services.ts';
import { destinationResolver, etld1Of } from '../../src/pipeline/destination.ts';
import { testFlow } from '../helpers/playbook.ts';

describe('destination', () => {
  it('takes the registrable domain from the public-suffix list', () => {
    expect(etld1Of('nls-gateway.cn-shanghai.aliyuncs.com')).toBe('aliyuncs.com');
    expect(etld1Of('api.toy.com.cn')).toBe('toy.com.cn');
    expect(etld1Of('a.b.example.co.uk')).toBe('example.co.uk');
    expect(etld1Of('127.0.0.1')).toBe('127.0.0.1');
    expect(etld1Of('::1')).toBe('::1');
    expect(etld1Of('localhost')).toBe('localhost');
  });

  it('names the operator from the catalogue and leaves unknown hosts without one', () => {
    const resolve = destinationResolver((_d, host) => !host.endsWith('xiaoyu-toys.com'), operatorOf);
    const nls = resolve(
      testFlow({ server: { ip: '127.0.0.1', port: 443, host: 'nls-gateway.cn-shanghai.aliyuncs.com' } }),
    );
    expect(nls).toEqual({
      host: 'nls-gateway.cn-shanghai.aliyuncs.com',
      etld1: 'aliyuncs.com',
      operator: 'Alibaba NLS',
      thirdParty: true,
    });
    const own = resolve(testFlow({ server: { ip: '127.0.0.1', port: 443, host: 'api.xiaoyu-toys.com' } }));
    expect(own).toEqual({ host: 'api.xiaoyu-toys.com', etld1: 'xiaoyu-toys.com', thirdParty: false });
  });
});
