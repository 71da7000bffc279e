/**
 * Guard: everything outside the repository that the test suite touches is installed by `.ci/run`, so a fresh clone
 * passes CI. A static scan of test/ and of every local module the tests reach through imports (src/, eval/, bench/,
 * analyzers/ …, and worker entries named by `new URL('./x.mjs', import.meta.url)`) for
 * - programs started through node:child_process (`execFile*`, `spawn*`, `exec*`, also through `promisify`), and
 *   the browser playwright-core launches (`chromium.launch(`: Debian's chromium, found on PATH);
 * - absolute paths into the system's own trees (/usr, /etc, /var, /opt …) in string literals;
 * - conditional skips: a test may skip only outside CI (`skipIf(… && process.env.CI !== 'true')`);
 * - the programs the namespace lab runs (`LAB_PROGRAMS` in test/helpers/netns.ts: their argv is built at run time,
 *   where no static scan sees it, and the lab refuses a program not listed there).
 * Each program and path must be listed below with the Debian package `.ci/run` passes to .ci/apt-install.sh (or be
 * part of every Debian system). It does not read node_modules, and a program whose name is computed at run time is
 * reported as such, never passed over. /tmp, /dev and /proc are left alone (the kernel and tmpdir() provide them).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAB_PROGRAMS } from '../helpers/netns.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** Where a program or path comes from: a Debian package that `.ci/run` installs, or every Debian system. */
type Source = { debian: string } | { base: string };

/** Programs the tests may start (by name, as the code spells it), also inside the namespace lab. */
const PROGRAMS: Record<string, Source> = {
  bash: { base: 'bash, Essential on every Debian system (a pipeline with PIPESTATUS; head from coreutils)' },
  cat: { base: 'coreutils, Essential on every Debian system' },
  chromium: { debian: 'chromium' },
  curl: { debian: 'curl' },
  dig: { debian: 'bind9-dnsutils' },
  ip: { debian: 'iproute2' },
  ip6tables: { debian: 'iptables' },
  'ip6tables-save': { debian: 'iptables' },
  iptables: { debian: 'iptables' },
  'iptables-save': { debian: 'iptables' },
  mkfifo: { base: 'coreutils, Essential on every Debian system' },
  mosquitto: { debian: 'mosquitto' },
  mosquitto_pub: { debian: 'mosquitto-clients' },
  nft: { debian: 'nftables' },
  node: { base: 'the Node.js running the tests (process.execPath)' },
  openssl: { debian: 'openssl' },
  opusdec: { debian: 'opus-tools' },
  sh: { base: 'dash, Essential on every Debian system' },
  sleep: { base: 'coreutils, Essential on every Debian system' },
  sysctl: { debian: 'procps' },
};

/** Absolute paths outside the repository that the tests may read (test data lives in the repo). */
const PATHS: Record<string, Source> = {
  '/etc/ssl/certs/ca-certificates.crt': { debian: 'ca-certificates' },
};

const SYSTEM_PATH = /(['"`])(\/(?:usr|etc|var|opt|srv|home|root|snap|mnt|media|bin|sbin|lib|lib64)\/[^'"`\s$]*)/g;
const SPAWNERS = new Set(['execFile', 'execFileSync', 'spawn', 'spawnSync', 'exec', 'execSync', 'fork']);

/** One thing found, with where. */
interface Use {
  what: string;
  at: string;
}

interface Scan {
  programs: Use[];
  paths: Use[];
  skips: Use[];
}

/** Scans one source text. `file` only names the finds. */
function scanSource(file: string, text: string): Scan {
  const lineOf = (index: number) => `${file}:${text.slice(0, index).split('\n').length}`;
  const out: Scan = { programs: [], paths: [], skips: [] };
  // Local names of child_process' spawners: named imports (renamed or not), a namespace, and promisify aliases.
  const names = new Map<string, string>();
  const namespaces: string[] = [];
  for (const m of text.matchAll(/import\s+([^;]*?)\s+from\s+['"](?:node:)?child_process['"]/g)) {
    const clause = m[1] as string;
    const ns = /^(?:\*\s+as\s+)?(\w+)$/.exec(
      clause
        .replace(/\{[^}]*\}/, '')
        .replace(',', ' ')
        .trim(),
    );
    if (ns) namespaces.push(ns[1] as string);
    for (const part of /\{([^}]*)\}/.exec(clause)?.[1]?.split(',') ?? []) {
      const [orig, local] = part.trim().split(/\s+as\s+/);
      if (orig && SPAWNERS.has(orig)) names.set(local ?? orig, orig);
    }
  }
  for (const m of text.matchAll(/(?:const|let)\s+(\w+)\s*=\s*promisify\(\s*(\w+)\s*\)/g)) {
    if (names.has(m[2] as string)) names.set(m[1] as string, m[2] as string);
  }
  const callees = [...names.keys(), ...namespaces.flatMap((n) => [...SPAWNERS].map((s) => `${n}\\.${s}`))];
  if (callees.length > 0) {
    const call = new RegExp(`(?<![\\w.])(${callees.join('|')})\\s*\\(\\s*([^,)]+)`, 'g');
    for (const m of text.matchAll(call)) {
      const arg = (m[2] as string).trim();
      if (/^\w+\??\s*:/.test(arg)) continue; // a method named like a spawner, declared (`spawn(ns: string, …)`)
      // A literal names the program in its first word (exec's command lines too); anything else is computed.
      const literal = /^['"`]([^\s'"`$]+)/.exec(arg)?.[1];
      const what = arg === 'process.execPath' ? 'node' : (literal ?? `(computed: ${arg})`);
      out.programs.push({ what, at: lineOf(m.index) });
    }
  }
  for (const m of text.matchAll(/\bchromium\.launch(?:PersistentContext)?\s*\(/g)) {
    out.programs.push({ what: 'chromium', at: lineOf(m.index) });
  }
  for (const m of text.matchAll(SYSTEM_PATH)) out.paths.push({ what: m[2] as string, at: lineOf(m.index) });
  for (const m of text.matchAll(/\b(?:it|test|describe)\.(skipIf|runIf|skip)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g)) {
    if (m[1] === 'skip' || !/process\.env\.CI\b/.test(m[2] as string))
      out.skips.push({ what: m[0], at: lineOf(m.index) });
  }
  return out;
}

/** Relative module specifiers a source reaches: imports, re-exports, dynamic imports, `new URL('./x', import.meta.url)`. */
function localSpecifiers(text: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g,
    /\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
    /\bnew URL\(\s*['"](\.{1,2}\/[^'"]+\.(?:ts|mjs|js))['"]\s*,\s*import\.meta\.url\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) specs.push(m[1] as string);
  return specs;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(full);
    return /\.(ts|mjs|js|cjs)$/.test(e.name) ? [full] : [];
  });
}

/** test/ and every local module reached from it, scanned. */
function scanSuite(root = ROOT): Scan & { files: number } {
  const queue = filesUnder(join(root, 'test'));
  const seen = new Set<string>();
  const all: Scan = { programs: [], paths: [], skips: [] };
  while (queue.length > 0) {
    const file = queue.pop() as string;
    // This file holds the scanner and samples of what it must catch, not uses.
    if (seen.has(file) || file === import.meta.filename) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const found = scanSource(relative(root, file), text);
    all.programs.push(...found.programs);
    all.paths.push(...found.paths);
    all.skips.push(...found.skips);
    for (const spec of localSpecifiers(text)) {
      const target = resolve(dirname(file), spec);
      const isFile = (p: string) => statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
      const hit = [target, `${target}.ts`, join(target, 'index.ts')].find(isFile);
      if (hit && !hit.includes('/node_modules/')) queue.push(hit);
    }
  }
  return { ...all, files: seen.size };
}

/** The Debian packages `.ci/run` installs: the arguments of its `.ci/apt-install.sh` lines. */
function ciPackages(ciRun: string): Set<string> {
  const pkgs = new Set<string>();
  for (const m of ciRun.matchAll(/^\s*(?:bash\s+)?\.ci\/apt-install\.sh\s+([^|;&\n#]+)/gm)) {
    for (const p of (m[1] as string).trim().split(/\s+/)) pkgs.add(p);
  }
  return pkgs;
}

/** Uses that are not covered: unlisted, or listed with a Debian package `.ci/run` does not install. */
function uncovered(uses: Use[], listed: Record<string, Source>, installed: Set<string>): string[] {
  return uses.flatMap(({ what, at }) => {
    const src = listed[what];
    if (!src) return [`${at}: ${what} is not listed in test/ci/external-deps.test.ts`];
    if ('debian' in src && !installed.has(src.debian)) return [`${at}: ${what} needs ${src.debian}, not in .ci/run`];
    return [];
  });
}

describe('what the test suite needs from outside the repository', () => {
  const suite = scanSuite();
  const installed = ciPackages(readFileSync(join(ROOT, '.ci/run'), 'utf8'));

  it('finds spawned programs, system paths and CI-blind skips (like the pool test that once read a Debian data folder)', () => {
    // The sample's system path is put together here, so this file itself names no path the suite would read.
    const fake = ['', 'usr', 'share', 'no-such-package', 'data'].join('/');
    const sample = [
      "import { execFileSync as run, spawn } from 'node:child_process';",
      "import * as cp from 'node:child_process';",
      `const DATA = '${fake}';`,
      "run('ffmpeg', ['-i', x]); spawn(process.execPath, []); cp.execSync('tshark -r a.pcap'); spawn(tool);",
      'class Lab { spawn(ns: string, argv: string[]) {} }',
      're.exec("not a program"); db.exec(\'CREATE TABLE t (x)\');',
      "it.skipIf(!has('sox'))('plays', () => {}); it.skipIf(!has('x') && process.env.CI !== 'true')('ok', f);",
    ].join('\n');
    const found = scanSource('sample.ts', sample);
    expect(found.programs.map((u) => u.what)).toEqual(['ffmpeg', 'node', 'tshark', '(computed: tool)']);
    expect(found.paths).toEqual([{ what: fake, at: 'sample.ts:3' }]);
    expect(found.skips.map((u) => u.at)).toEqual(['sample.ts:7']);
    expect(uncovered(found.paths, PATHS, installed)).toHaveLength(1);
  });

  it('reads the packages .ci/run installs', () => {
    expect(
      ciPackages('set -u\nbash .ci/apt-install.sh python3 make g++ || exit 1\n.ci/apt-install.sh sox # x\n'),
    ).toEqual(new Set(['python3', 'make', 'g++', 'sox']));
    expect(installed.has('opus-tools')).toBe(true);
  });

  it('scans the test files and the modules they import', () => {
    expect(suite.files).toBeGreaterThan(filesUnder(join(ROOT, 'test')).length);
  });

  it('every program the tests start is installed by .ci/run or on every Debian system', () => {
    expect(uncovered(suite.programs, PROGRAMS, installed)).toEqual([]);
  });

  it('so is every program the namespace lab runs (its argv is built at run time, the lab refuses others)', () => {
    const lab = LAB_PROGRAMS.map((what) => ({ what, at: 'test/helpers/netns.ts LAB_PROGRAMS' }));
    expect(uncovered(lab, PROGRAMS, installed)).toEqual([]);
  });

  it('no test reads an absolute path that only a hand-installed package provides', () => {
    expect(uncovered(suite.paths, PATHS, installed)).toEqual([]);
  });

  it('a test skips only outside CI: under CI=true it runs (and fails if its tool is missing)', () => {
    expect(suite.skips.map((u) => `${u.at}: ${u.what}`)).toEqual([]);
  });

  it('lists nothing the suite no longer uses', () => {
    const used = new Set([...suite.programs, ...suite.paths].map((u) => u.what).concat(LAB_PROGRAMS));
    expect([...Object.keys(PROGRAMS), ...Object.keys(PATHS)].filter((k) => !used.has(k))).toEqual([]);
  });
});
