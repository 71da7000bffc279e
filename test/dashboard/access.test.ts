import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, HOST, harness, TOKEN } from './helpers.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness({ MAX_LOGIN_FAILURES: 3 });
});
afterEach(() => h.close());

const get = (url: string, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'GET', url, headers: { host: HOST, ...headers } });

/** Every API route, with a real id where it takes one. */
const ROUTES: Array<[string, string]> = [
  ['GET', '/api/devices'],
  ['GET', '/api/destinations'],
  ['GET', '/api/captures'],
  ['GET', '/api/findings'],
  ['GET', '/api/findings/c1%2F1%2Ff0'],
  ['POST', '/api/findings/c1%2F1%2Ff0/reveal'],
  ['GET', '/api/reveals'],
  ['GET', '/api/flows'],
  ['GET', '/api/flows/c1%2F1'],
  ['GET', '/api/evidence/c1%2F1%2Fe0'],
  ['GET', '/api/experiments'],
  ['POST', '/api/experiments'],
  ['POST', '/api/experiments/x/stop'],
  ['GET', '/api/report?device=02:00:00:00:00:01'],
  ['GET', '/api/events'],
  ['POST', '/api/search'],
  ['GET', '/api/timeline'],
  ['DELETE', '/api/session'],
];

describe('access', () => {
  it('answers 401 on every API route without a session, and with a forged one', async () => {
    for (const [method, url] of ROUTES) {
      for (const cookie of [undefined, 'toyscope_session=forged']) {
        const res = await h.app.inject({
          method: method as 'GET',
          url,
          headers: { host: HOST, ...(cookie ? { cookie } : {}) },
          ...(method === 'POST' ? { payload: { name: 'x' } } : {}),
        });
        expect([method, url, res.statusCode]).toEqual([method, url, 401]);
        expect(res.body).not.toContain('RIFF');
      }
    }
  });

  it('serves the login page and its assets without a session, and nothing else of ui/', async () => {
    expect((await get('/login')).statusCode).toBe(200);
    expect((await get('/static/login.js')).headers['content-type']).toMatch(/^text\/javascript/);
    expect((await get('/static/login.html')).statusCode).toBe(404);
  });

  it('sets an HttpOnly, SameSite=Strict session cookie for the right token', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/session',
      headers: { host: HOST },
      payload: { token: TOKEN },
    });
    expect(res.statusCode).toBe(204);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^toyscope_session=[\w-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/); // plain HTTP here: 'auto' adds it over TLS
    expect((await get('/api/devices', { cookie: h.cookie })).statusCode).toBe(200);
  });

  it('refuses a wrong token, then rate-limits failed logins (429 with Retry-After), even the right token', async () => {
    const login = (token: string) =>
      h.app.inject({ method: 'POST', url: '/api/session', headers: { host: HOST }, payload: { token } });
    for (let i = 0; i < 3; i++) expect((await login('wrong')).statusCode).toBe(401);
    const limited = await login(TOKEN);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login('')).statusCode).toBe(400); // schema: empty token
  });

  it('logs out', async () => {
    const res = await h.app.inject({
      method: 'DELETE',
      url: '/api/session',
      headers: { host: HOST, cookie: h.cookie },
    });
    expect(res.statusCode).toBe(204);
    expect((await get('/api/devices', { cookie: h.cookie })).statusCode).toBe(401);
  });

  it('refuses other Host names (DNS rebinding) and cross-site writes', async () => {
    expect((await get('/api/devices', { cookie: h.cookie, host: 'evil.example:8081' })).statusCode).toBe(421);
    const post = (headers: Record<string, string>) =>
      h.app.inject({
        method: 'POST',
        url: '/api/experiments',
        headers: { host: HOST, cookie: h.cookie, ...headers },
        payload: { name: 'x' },
      });
    expect((await post({ origin: 'http://evil.example' })).statusCode).toBe(403);
    expect((await post({ 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect((await post({ origin: `http://${HOST}` })).statusCode).toBe(201);
  });
});

describe('headers', () => {
  it('sends a CSP without inline script, nosniff and no-referrer on pages, data and errors', async () => {
    for (const [url, cookie] of [
      ['/', undefined],
      ['/login', undefined],
      ['/api/devices', h.cookie],
      ['/api/devices', undefined],
      ['/nope', h.cookie],
    ] as const) {
      const res = await get(url, cookie ? { cookie } : {});
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toMatch(/default-src '(self|none)'/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    expect(String((await get('/login')).headers['content-security-policy'])).toMatch(/script-src 'self'/);
  });

  it('no page of ui/ holds an inline script or handler', async () => {
    for (const url of ['/', '/login']) {
      const html = (await get(url)).body;
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/\son\w+=/);
    }
  });
});

describe('no path traversal', () => {
  it('serves only the files of ui/ by name, whatever the encoding', async () => {
    for (const url of [
      '/static/../server.ts',
      '/static/..%2Fserver.ts',
      '/static/%2e%2e%2f%2e%2e%2fpackage.json',
      '/static/..%5C..%5Cpackage.json',
      '/static/%252e%252e%252fpackage.json',
      '/static//etc/passwd',
      '/static/login.js%00.png',
      '/../../toyscope.db',
    ]) {
      const res = await get(url, { cookie: h.cookie });
      expect([url, res.statusCode]).toEqual([url, 404]);
    }
    const ev = await get('/api/evidence/..%2F..%2Ftoyscope.db', { cookie: h.cookie });
    expect(ev.statusCode).toBe(404);
  });
});
