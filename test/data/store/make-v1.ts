/**
 * Remakes test/data/store/v1.db: a database as schema version 1 left it (the v1 migration, then rows written
 * with the v1 columns), kept to test the upgrade path. Run: `npx tsx test/data/store/make-v1.ts`.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { migrate } from '../../../src/store/migrations.ts';

const file = join(dirname(fileURLToPath(import.meta.url)), 'v1.db');
rmSync(file, { force: true });
const db = new Database(file);
db.pragma('foreign_keys = ON');
migrate(db, 1);
const T = 1_700_000_000_000_000;
db.exec(`
  INSERT INTO captures VALUES ('${'ab'.repeat(32)}', 'toy.pcap', 'pcap', 4096, ${T}, ${T}, ${T + 5_000_000}, NULL);
  INSERT INTO devices VALUES ('02:00:00:00:00:01', 'talking bear', '02:00:00:00:00:01', '127.0.0.2', ${T}, ${T + 5_000_000});
  INSERT INTO flows VALUES ('f1', '${'ab'.repeat(32)}', '02:00:00:00:00:01', '127.0.0.2', 40000, '02:00:00:00:00:01',
    '127.0.0.1', 443, 'api.toycloud.example', 'http', 'intercepted', 'capture', ${T}, ${T + 2_000_000}, 1200, 300, 1,
    NULL, NULL);
  INSERT INTO flows VALUES ('f2', '${'ab'.repeat(32)}', '02:00:00:00:00:01', '127.0.0.2', 40001, '02:00:00:00:00:01',
    '127.0.0.9', 1883, NULL, 'mqtt', 'none', 'capture', ${T + 3_000_000}, ${T + 5_000_000}, 500, 20, 1, 'reset',
    'connection reset');
  INSERT INTO messages VALUES ('f1', 0, 'upload', 'http', 'POST', '/v1/voice', NULL, 'audio/wav', 1200, ${T}, ${T + 1_000_000});
  INSERT INTO messages VALUES ('f1', 1, 'download', 'http', NULL, NULL, 200, 'application/json', 300, ${T + 1_000_000}, ${T + 2_000_000});
  INSERT INTO findings VALUES ('v1-voice', 'f1', 0, '02:00:00:00:00:01', 'voice', 'raw-pcm', 0.95, ${T}, ${T + 1_000_000},
    'upload', 'api.toycloud.example', 0, 1, 'RIFF•••WAVE', '$');
  INSERT INTO findings VALUES ('v1-mac', 'f2', NULL, '02:00:00:00:00:01', 'identifiers', 'mac-address', 0.9, ${T + 3_000_000},
    ${T + 3_000_000}, 'upload', '127.0.0.9', 1, 0, '02••••••••••:01', '$.mac');
  INSERT INTO violations VALUES (${T + 4_000_000}, 'f2', NULL, 'mqtt', 'bad-remaining-length', 'five bytes', 12);
`);
db.close();
process.stdout.write(`wrote ${file}\n`);
