import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { invocation } from '../../src/cli/invocation.ts';

describe('invocation', () => {
  it("says 'toyscope' when an executable toyscope is on the PATH outside npx's node_modules/.bin", () => {
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-path-'));
    const bin = join(dir, 'bin');
    const npxBin = join(dir, 'node_modules', '.bin');
    mkdirSync(bin);
    mkdirSync(npxBin, { recursive: true });
    writeFileSync(join(npxBin, 'toyscope'), '#!/bin/sh\n');
    chmodSync(join(npxBin, 'toyscope'), 0o755);
    expect(invocation({ PATH: [npxBin, '/nonexistent'].join(delimiter) })).toBe('npx toyscope');
    writeFileSync(join(bin, 'toyscope'), '#!/bin/sh\n');
    chmodSync(join(bin, 'toyscope'), 0o644);
    expect(invocation({ PATH: bin })).toBe('npx toyscope'); // not executable
    chmodSync(join(bin, 'toyscope'), 0o755);
    expect(invocation({ PATH: [npxBin, bin].join(delimiter) })).toBe('toyscope');
    expect(invocation({})).toBe('npx toyscope');
  });
});
