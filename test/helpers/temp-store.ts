/**
 * A store in a new temporary directory for every test of a file (opened before each, closed and deleted after):
 * `use` receives the store and its directory.
 */
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import type { Store } from '../../src/store/types.ts';
import { tempDir } from '../../testkit/records.ts';

export function eachTempStore(use: (store: Store, dir: string) => void, opts = { batchMs: 5 }): void {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    tmp = tempDir();
    store = openStore(join(tmp.dir, 'toyscope.db'), opts);
    use(store, tmp.dir);
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });
}
