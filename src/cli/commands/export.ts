/**
 * `toyscope export --har`: stored flows as a HAR file for browsers, mitmproxy and HTTP Toolkit (src/report/har.ts
 * builds the entries): filtered by capture, device, host and time, written entry by entry to a file (mode 0600,
 * not overwritten without --force) or standard output. Heads and URLs are masked unless --reveal; bodies are in
 * only where the store kept them as evidence, and only with --reveal. Reads the store only.
 */
import { closeSync, writeSync } from 'node:fs';
import { exportable, HAR_TAIL, harEntries, harHead } from '../../report/har.ts';
import { VERSION } from '../cli.ts';
import { type Command, flag, type Globals, parseCommandArgs, str } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import { openPrivateFile } from '../private-file.ts';
import { readAllFlows, scopeOf, withExistingStore } from '../store-access.ts';

export const exportCommand: Command = {
  name: 'export',
  usage: `Usage: toyscope export --har [options]

Writes stored flows as a HAR (HTTP Archive 1.2) that browsers, mitmproxy and HTTP Toolkit open:
one entry per HTTP request with its response (heads, times, sizes), a flow's WebSocket messages on
its upgrade entry, each entry's 'connection' being its flow id. toyscope stores no bodies: an entry
carries one only where a finding kept evidence that is that whole body (a photo upload), and only
with --reveal; the '_toyscope' field of each entry names its flow, messages and evidence. Heads and
URLs are masked unless --reveal. MQTT, DNS and raw flows have no HAR form: they are counted, not
written. 'toyscope replay FILE.har' reads it back.

Options:
  --har             the format (the only one)
  --capture C       only flows from this capture (sha256 or a prefix; 'toyscope captures' lists them)
  --device D        only this device (name from toyscope.yaml, MAC or IP)
  --host H          only flows to this host (or any host under this domain)
  --since T         only flows from T on: 2026-11-23, '2026-11-23 10:55' (local time) or an age (2h, 7d)
  --until T         only flows before T (same forms)
  -o, --output FILE write there (mode 0600) instead of standard output
  --force           overwrite FILE
  --reveal          unmasked heads and URLs, and evidence bodies (personal data: do not share the file)
  -h, --help        show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope export --har --device teddy -o teddy.har
  toyscope export --har --capture 3fa9c2 --since 1d > today.har

Exit codes: 0 written (even if empty), 2 bad arguments, unknown device or capture, FILE exists.`,

  async run(argv, g) {
    const p = parseCommandArgs('export', argv, {
      har: { type: 'boolean' },
      capture: { type: 'string' },
      device: { type: 'string' },
      host: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      output: { type: 'string', short: 'o' },
      force: { type: 'boolean' },
      reveal: { type: 'boolean' },
    });
    if (p.help) {
      g.io.out(`${this.usage}\n`);
      return EXIT.ok;
    }
    if (!flag(p, 'har')) throw new UsageError('say the format: --har (the only one)', 'export');
    g.config();
    return withExistingStore(
      g,
      (db) => `Nothing to export: no database at ${db}.\n`,
      async (store) => {
        const flows = readAllFlows(store, scopeOf(p, g, store, 'export'));
        const reveal = flag(p, 'reveal');
        const sink = output(g, str(p, 'output'), flag(p, 'force'));
        let entries = 0;
        let skipped = 0;
        try {
          sink.write(harHead(VERSION));
          for (const flow of flows) {
            if (!exportable(flow)) {
              skipped++;
              continue;
            }
            const list = harEntries(
              {
                flow,
                messages: store.listMessages(flow.id),
                findings: store.listFindings({ flowId: flow.id, limit: 10_000 }),
                evidence: (id) => store.readEvidence(id),
              },
              reveal,
            );
            for (const e of list) sink.write(`${entries++ === 0 ? '' : ','}\n${JSON.stringify(e)}`);
          }
          sink.write(HAR_TAIL);
        } finally {
          sink.close();
        }
        const others = skipped > 0 ? `; ${skipped} MQTT, DNS or raw flows have no HAR form` : '';
        const masked = reveal ? '' : '; heads and URLs masked (--reveal shows them)';
        g.io.err(
          `exported ${entries} entries from ${flows.length - skipped} flows to ${sink.name}${others}${masked}\n`,
        );
        return EXIT.ok;
      },
    );
  },
};

/** Where the HAR goes: a new file (mode 0600: it may hold personal data) or standard output. */
function output(
  g: Globals,
  file: string | undefined,
  force: boolean,
): { name: string; write(s: string): void; close(): void } {
  if (file === undefined) return { name: 'standard output', write: (s) => g.io.out(s), close: () => {} };
  const fd = openPrivateFile(file, force);
  return { name: file, write: (s) => void writeSync(fd, s), close: () => closeSync(fd) };
}
