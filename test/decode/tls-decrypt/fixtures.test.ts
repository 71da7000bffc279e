/**
 * The TLS fixtures recorded with key logs (fixtures/<case>/keylog.txt, or secrets in the pcapng's DSB): every TLS
 * connection's decrypted bytes, each direction, equal tshark's decryption recorded with the fixture.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decryptCaptureFile } from '../../helpers/capture-tls.ts';

const FIXTURES = join(import.meta.dirname, '../../../fixtures');

interface TsharkDecryption {
  tls: Array<{
    stream: number;
    client: { ip: string; port: number };
    up: { length: number; sha256: string };
    down: { length: number; sha256: string };
  }>;
}

const cases = readdirSync(FIXTURES).filter((d) => {
  const t = join(FIXTURES, d, 'tshark.json');
  return existsSync(t) && 'up' in ((JSON.parse(readFileSync(t, 'utf8')) as TsharkDecryption).tls?.[0] ?? {});
});
const digest = (b: Buffer) => ({ length: b.length, sha256: createHash('sha256').update(b).digest('hex') });

describe('decrypted bytes of the TLS fixtures equal tshark’s', () => {
  it('has decryption fixtures', () => expect(cases.length).toBeGreaterThanOrEqual(4));

  for (const name of cases) {
    it(name, () => {
      const dir = join(FIXTURES, name);
      const capture = readdirSync(dir).find((f) => f.startsWith('capture.'))!;
      const keyLog = existsSync(join(dir, 'keylog.txt')) ? join(dir, 'keylog.txt') : undefined;
      const tshark = JSON.parse(readFileSync(join(dir, 'tshark.json'), 'utf8')) as TsharkDecryption;
      const ours = decryptCaptureFile(join(dir, capture), keyLog);
      for (const t of tshark.tls) {
        const c = ours.find((o) => o.client.ip === t.client.ip && o.client.port === t.client.port);
        expect(c, `stream ${t.stream}`).toBeDefined();
        expect(c?.violations).toEqual([]);
        expect({ stream: t.stream, up: digest(c!.up), down: digest(c!.down) }).toEqual({
          stream: t.stream,
          up: t.up,
          down: t.down,
        });
        expect(t.up.length).toBeGreaterThan(0);
      }
    });
  }
});
