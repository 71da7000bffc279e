/**
 * Face detection: milliseconds per 640×480 image in one worker (decode + detection, p50/p99), images per second of the
 * pool (one worker and min(2, cores) workers), the detector's cost in this process against 0005's fast pass alone (on
 * the 640×480 photos, on the corpus images the fast pass decides and on those it sends to the second pass) and the
 * memory the second pass adds, the pipeline's push latency for small JSON flows while a burst of 50 photos waits for
 * the detector (vs idle), and the install size the detector's packages add (their dependency closure in
 * package-lock.json, minus what other dependencies also need).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { faceAnalyzer } from '../analyzers/face.ts';
import { analyzers } from '../analyzers/index.ts';
import { decodeImage, type RgbImage } from '../src/face/decode-image.ts';
import { type Detect, loadDetector } from '../src/face/detector.ts';
import { FacePool } from '../src/face/pool.ts';
import { resolveLimits } from '../src/model/limits.ts';
import { CollectingOutput } from '../src/pipeline/output.ts';
import { Pipeline } from '../src/pipeline/pipeline.ts';
import { FlowScript } from '../testkit/playbook.ts';
import { round } from './measure.ts';
import type { Bench } from './run.ts';

const root = join(import.meta.dirname, '..');
const corpus = join(root, 'fixtures/face-corpus');
const DETECTOR_PACKAGES = [
  '@vladmandic/face-api',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  'jpeg-js',
  'pngjs',
];

/** 640×480 JPEGs cut from the 640×640 corpus photos (two with a face, two without). */
function images640(): Buffer[] {
  const out: Buffer[] = [];
  for (const file of ['pos-astronaut-x1.25.jpg', 'pos-camera-x1.25.jpg']) {
    const img = jpeg.decode(readFileSync(join(corpus, file)), { useTArray: true });
    for (const top of [0, 160]) {
      const data = img.data.subarray(top * 640 * 4, (top + 480) * 640 * 4);
      out.push(jpeg.encode({ data, width: 640, height: 480 }, 80).data);
    }
  }
  return out;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
}

async function throughput(size: number, images: Buffer[], n: number): Promise<{ perSec: number; ms: number[] }> {
  // No timeout: on a busy machine a timed-out image would count as done in no time.
  const pool = new FacePool({ size, limits: resolveLimits({ MAX_FACE_QUEUE: n, MAX_FACE_WAIT_MS: 3_600_000 }) });
  try {
    await Promise.all(images.map((b) => pool.check(b))); // start the workers, load the model
    const t0 = performance.now();
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) => pool.check(images[i % images.length] as Buffer)),
    );
    const s = (performance.now() - t0) / 1000;
    return { perSec: n / s, ms: answers.flatMap((a) => (a.kind === 'checked' ? [a.ms] : [])) };
  } finally {
    await pool.close();
  }
}

/** Median ms per image of `detect` over `rounds` passes, the two detectors taking turns on each image. */
async function timeBoth(images: RgbImage[], a: Detect, b: Detect, rounds = 3) {
  const ta: number[][] = images.map(() => []);
  const tb: number[][] = images.map(() => []);
  const second: boolean[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [i, img] of images.entries()) {
      let t0 = performance.now();
      second[i] = (await a(img)).secondPass;
      ta[i]?.push(performance.now() - t0);
      t0 = performance.now();
      await b(img);
      tb[i]?.push(performance.now() - t0);
    }
  }
  return { a: ta.map((t) => pct(t, 0.5)), b: tb.map((t) => pct(t, 0.5)), second };
}

/** The detector against 0005's fast pass alone, in this process, and the resident memory before and after SSD loads. */
async function cascadeCost(emit: Parameters<Bench>[0], photos: Buffer[]): Promise<void> {
  const decoded = async (bytes: Uint8Array) => {
    const img = await decodeImage(bytes);
    if ('unsupported' in img) throw new Error(img.unsupported);
    return img;
  };
  const common = await Promise.all(photos.map(decoded));
  const corpusImages = await Promise.all(
    readdirSync(corpus)
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .map((f) => decoded(readFileSync(join(corpus, f)))),
  );
  // The reference: 0005's fast pass (the tiny detector at 416, 320 and 224, no BlazeFace), what an image cost before.
  const fastOnly = await loadDetector({ secondPass: false, inputSizes: [416, 320, 224] });
  const cascade = await loadDetector();
  for (const img of [...common, ...corpusImages]) await fastOnly(img); // warm up; the SSD model is not loaded yet
  const rssFast = process.memoryUsage().rss;
  const c = await timeBoth(common, cascade, fastOnly);
  emit({
    bench: 'face',
    corpus: '640x480-jpeg',
    detector: 'detector vs tiny 416+320+224 alone (in process)',
    second_passes: c.second.filter(Boolean).length,
    images: common.length,
    cascade_ms_p50: round(pct(c.a, 0.5)),
    fast_only_ms_p50: round(pct(c.b, 0.5)),
    ratio: round(pct(c.a, 0.5) / pct(c.b, 0.5), 2),
  });
  const all = await timeBoth(corpusImages, cascade, fastOnly, 1);
  for (const second of [false, true]) {
    const idx = all.second.flatMap((s, i) => (s === second ? [i] : []));
    const a = idx.map((i) => all.a[i] as number);
    const b = idx.map((i) => all.b[i] as number);
    emit({
      bench: 'face',
      corpus: second ? 'face-corpus-second-pass' : 'face-corpus-fast-pass-decides',
      images: idx.length,
      of: corpusImages.length,
      cascade_ms_p50: round(pct(a, 0.5)),
      fast_only_ms_p50: round(pct(b, 0.5)),
      ratio: round(pct(a, 0.5) / pct(b, 0.5), 2),
    });
  }
  const mib = (n: number) => round(n / 2 ** 20);
  const rssSecond = process.memoryUsage().rss;
  emit({
    bench: 'face',
    corpus: 'memory',
    rss_mib_fast_pass: mib(rssFast),
    rss_mib_after_second_pass: mib(rssSecond),
    second_pass_adds_mib: mib(rssSecond - rssFast),
  });
}

async function burstLatency(photo: Buffer): Promise<{ idle: number; busy: number }> {
  const pool = new FacePool();
  const p = new Pipeline({
    analyzers: [...analyzers.filter((a) => a.name !== 'face'), faceAnalyzer(() => pool)],
    output: new CollectingOutput(),
  });
  const head = {
    method: 'POST',
    url: '/v1/state',
    headers: [['content-type', 'application/json']] as Array<[string, string]>,
  };
  const json = JSON.stringify({ device: 'toy-1', temp: 21.5, battery: 80, lat: 31.2304, lng: 121.4737 });
  let n = 0;
  const median = (k: number) =>
    pct(
      Array.from({ length: k }, () => {
        const events = new FlowScript({ id: `j${n++}` }).message({ msgId: 1, ...head }, json).close().events;
        const t0 = performance.now();
        for (const ev of events) p.push(ev);
        return performance.now() - t0;
      }),
      0.5,
    );
  try {
    median(300);
    const idle = median(500);
    for (let i = 0; i < 50; i++) {
      const events = new FlowScript({ id: `img${i}` })
        .message({ msgId: 1, method: 'POST', url: '/v1/photo' }, photo)
        .close().events;
      for (const ev of events) p.push(ev);
    }
    const busy = median(500);
    await p.drain();
    return { idle, busy };
  } finally {
    await pool.close();
  }
}

/** Bytes on disk of the detector's packages and of what only they pull in. */
function installBytes(): { bytes: number; packages: number } {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }>;
  };
  const closure = (names: string[]): Set<string> => {
    const seen = new Set<string>();
    const visit = (from: string, name: string) => {
      let dir = from;
      let path = `${dir}/node_modules/${name}`;
      while (!(path in lock.packages) && dir.includes('/node_modules/')) {
        dir = dir.slice(0, dir.lastIndexOf('/node_modules/'));
        path = `${dir}/node_modules/${name}`;
      }
      if (!(path in lock.packages)) path = `node_modules/${name}`;
      if (seen.has(path) || !(path in lock.packages)) return;
      seen.add(path);
      const pkg = lock.packages[path];
      for (const d of Object.keys({ ...pkg?.dependencies, ...pkg?.optionalDependencies })) visit(path, d);
    };
    for (const n of names) visit('', n);
    return seen;
  };
  const rootDeps = Object.keys(lock.packages['']?.dependencies ?? {}).concat(
    Object.keys((lock.packages[''] as { devDependencies?: Record<string, string> }).devDependencies ?? {}),
  );
  const others = closure(rootDeps.filter((d) => !DETECTOR_PACKAGES.includes(d)));
  const mine = [...closure(DETECTOR_PACKAGES)].filter((p) => !others.has(p));
  const du = (p: string): number =>
    readdirSync(p, { withFileTypes: true }).reduce((sum, e) => {
      const full = join(p, e.name);
      return sum + (e.isDirectory() ? du(full) : e.isFile() ? statSync(full).size : 0);
    }, 0);
  // Nested node_modules of a package are counted with it, so count only top-level paths of the closure.
  const top = mine.filter((p) => !mine.some((q) => q !== p && p.startsWith(`${q}/`)));
  return { bytes: top.reduce((s, p) => s + du(join(root, p)), 0), packages: mine.length };
}

const bench: Bench = async (emit) => {
  const images = images640();
  const one = await throughput(1, images, 40);
  emit({
    bench: 'face',
    corpus: '640x480-jpeg',
    detector: 'tiny 416+224 and BlazeFace; SSD, tiny and BlazeFace vote when unsure; wasm',
    detect_ms_p50: round(pct(one.ms, 0.5)),
    detect_ms_p99: round(pct(one.ms, 0.99)),
    images_per_s_1_worker: round(one.perSec),
  });
  const pool = new FacePool();
  const size = pool.size;
  await pool.close();
  const two = await throughput(size, images, 80);
  emit({
    bench: 'face',
    corpus: '640x480-jpeg',
    workers: size,
    images_per_s: round(two.perSec),
    ratio: round(two.perSec / one.perSec, 2),
  });
  await cascadeCost(emit, images);
  const lat = await burstLatency(readFileSync(join(corpus, 'pos-astronaut.jpg')));
  emit({
    bench: 'face',
    corpus: 'json-flow-during-50-photo-burst',
    push_ms_idle: round(lat.idle, 3),
    push_ms_burst: round(lat.busy, 3),
    ratio: round(lat.busy / lat.idle, 2),
  });
  const install = installBytes();
  emit({ bench: 'face', corpus: 'install', packages: install.packages, install_mib: round(install.bytes / 2 ** 20) });
};
export default bench;
