/**
 * `toyscope replay`'s run over the store (src/cli/replay-run.ts), in this process: once the captures are replayed,
 * the shared face pool is closed, so its workers' memory (a WASM heap that never shrinks) is given back before the
 * indexes and the output are built.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedFacePool } from '../../src/face/pool.ts';
import { openStore } from '../../src/store/db.ts';
import { runCliInProcess } from '../helpers/cli-run.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const dir = mkdtempSync(join(tmpdir(), 'toyscope-replay-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('replayCaptures', () => {
  it('closes the shared face pool once its captures are replayed, with their faces found', async () => {
    const used = sharedFacePool();
    const store = openStore(join(dir, 't.db'));
    const r = await runCliInProcess(['replay', join(FIXTURES, 'face-api-uploads/capture.pcap'), '--json'], { store });
    store.close();
    expect(r.code).toBe(0);
    const faces = JSON.parse(r.out).findings.filter((f: { subtype: string }) => f.subtype === 'face');
    expect(faces.length).toBeGreaterThan(0);
    expect(await used.check(Uint8Array.of(1))).toMatchObject({ kind: 'unchecked', reason: 'closed' });
    expect(sharedFacePool()).not.toBe(used); // a later replay starts a new one
    await sharedFacePool().close();
  }, 120_000);
});
