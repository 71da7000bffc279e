/** Test helpers for the decoder suites: a collecting ByteSink, a violation recorder, and a filter runner. */
import type { ByteSink, Filter } from '../../src/decode/filter.ts';
import type { ViolationInput } from '../../src/model/violation.ts';

/** A ByteSink that copies what it receives and records `end`. */
export function collect(): ByteSink & { bytes(): Uint8Array; ended: number; writes: number } {
  const parts: Uint8Array[] = [];
  const sink = {
    ended: 0,
    writes: 0,
    write(c: Uint8Array) {
      sink.writes++;
      parts.push(c.slice());
    },
    end() {
      sink.ended++;
    },
    bytes: () => new Uint8Array(Buffer.concat(parts)),
  };
  return sink;
}

/** Feeds `chunks` to a fresh filter and returns its output, the violation codes and how often it ended. */
export function runFilter(make: (report: (v: ViolationInput) => void) => Filter, chunks: Uint8Array[]) {
  const violations: ViolationInput[] = [];
  const f = make((v) => violations.push(v));
  const out = collect();
  for (const c of chunks) f.write(c, out);
  f.end(out);
  return { bytes: out.bytes(), codes: violations.map((v) => v.code), violations, ended: out.ended };
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
