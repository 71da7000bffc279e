/**
 * `toyscope captures`: the captures replayed into the store — id (sha256), file, format, size, capture time
 * range, whether the replay ended, and what was skipped — so a tester can name one in `--capture` filters and purges. Reads only.
 */
import type { CaptureRecord } from '../../store/types.ts';
import { type Command, flag, type Globals, parseCommandArgs } from '../command.ts';
import { cell, size, table } from '../format.ts';
import { withExistingStore } from '../store-access.ts';
import { formatTime, timeHeader } from '../time.ts';

const noCaptures = (g: Globals) => `No captures yet. Replay one with '${g.hint('replay capture.pcapng')}'.`;

export const captures: Command = {
  name: 'captures',
  usage: `Usage: toyscope captures [--json]

Lists the captures replayed into the database, newest first: the first 12 hex digits of the sha256
(enough for --capture in findings, flows and purge), the file as given, format, size, the time of
its first packet, whether its replay ended (an interrupted one: replay it again, or purge it), and
the parts that were skipped (not understood) by reason.

Options:
  --json       print {"captures": [...]} with whole sha256s
  -h, --help   show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope captures
  toyscope flows --capture 3fa9c2d4e5f6

Exit codes: 0 listed (even if none), 2 bad arguments or database.`,

  async run(argv, g) {
    const p = parseCommandArgs('captures', argv, { json: { type: 'boolean' } });
    if (p.help) {
      g.io.out(`${this.usage}\n`);
      return 0;
    }
    return withExistingStore(
      g,
      (db) => `${noCaptures(g)}\n(no database at ${db})\n`,
      async (store) => {
        const list = store.listCaptures();
        if (flag(p, 'json')) g.io.out(`${JSON.stringify({ captures: list }, null, 2)}\n`);
        else if (list.length === 0) g.io.out(`${noCaptures(g)}\n`);
        else g.io.out(`${render(list)}\n`);
        return 0;
      },
    );
  },
};

function render(list: CaptureRecord[]): string {
  const rows = list.map((c) => [
    c.id.slice(0, 12),
    c.firstTs === undefined ? '' : formatTime(c.firstTs),
    cell(c.path, 60),
    c.format,
    size(c.bytes),
    c.status === 'incomplete' ? 'interrupted' : 'complete',
    Object.entries(c.skipped ?? {})
      .map(([reason, n]) => `${cell(reason, 40)} ${n}`)
      .join(', '),
  ]);
  return table(
    ['CAPTURE', `FIRST PACKET ${timeHeader().replace('TIME ', '')}`, 'FILE', 'FORMAT', 'SIZE', 'REPLAY', 'SKIPPED'],
    rows,
  );
}
