/**
 * `toyscope evidence export ID [-o FILE]`: writes a stored evidence blob (the voice clip, the photo) as a file a
 * player or viewer opens, with its sha256 and the finding it belongs to. A WAV written while the child was still
 * talking has "until the end" sizes (analyzers/lib/audio-wav.ts); the exported copy gets the real ones. Personal
 * data is never written to a terminal, and a file is created mode 0600 and not overwritten without --force.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.ts';
import type { Finding } from '../../model/finding.ts';
import type { Store, StoredEvidence } from '../../store/types.ts';
import { type Command, flag, parseCommandArgs, str } from '../command.ts';
import { EXIT, oneLine, UsageError } from '../errors.ts';
import { size } from '../format.ts';
import { writePrivateFile } from '../private-file.ts';
import { withExistingStore } from '../store-access.ts';

/** File name extensions by evidence MIME type (parameters ignored). */
const EXTENSIONS: Record<string, string> = {
  'audio/wav': 'wav',
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/webm': 'webm',
  'audio/amr': 'amr',
  'audio/aac': 'aac',
  'audio/flac': 'flac',
  'audio/mp4': 'm4a',
  'audio/3gpp': '3gp',
  'audio/amr-wb': 'awb',
  'audio/silk': 'silk',
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'image/webp': 'webp',
};

export const evidence: Command = {
  name: 'evidence',
  usage: `Usage: toyscope evidence export ID [-o FILE] [--force]

Writes the evidence stored with a finding — the voice clip (raw PCM as WAV, Opus in Ogg, as sent
otherwise), the photo — to FILE, and prints its type, size, sha256 and the finding it belongs to.
ID is an evidence id or the id of a finding that kept evidence ('toyscope flows show' and
'toyscope findings --json' show both). Without -o the bytes go to standard output, which must not
be a terminal: 'toyscope evidence export ID > clip.wav'. A FILE that is a directory gets a name
from the id. Files are created with mode 0600: they hold a child's voice or face.

Options:
  -o, --output FILE   where to write (default: standard output, never a terminal)
  --force             overwrite FILE if it exists
  -h, --help          show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope evidence export 3fa9c2d4e5f6:12/e0 -o clip.wav
  toyscope evidence export 3fa9c2d4e5f6:12/f1 -o evidence/

Exit codes: 0 written, 2 bad arguments, unknown id, purged evidence, a terminal as output, or an
existing file without --force.`,

  async run(argv, g) {
    const [sub, ...rest] = argv;
    if (sub === '--help' || sub === '-h' || sub === undefined) {
      if (sub === undefined) throw new UsageError("missing subcommand: 'evidence export ID'", 'evidence');
      g.io.out(`${this.usage}\n`);
      return EXIT.ok;
    }
    if (sub !== 'export') throw new UsageError(`unknown subcommand '${sub}' (expected 'export')`, 'evidence');
    const p = parseCommandArgs(
      'evidence',
      rest,
      { output: { type: 'string', short: 'o' }, force: { type: 'boolean' } },
      1,
    );
    if (p.help) {
      g.io.out(`${this.usage}\n`);
      return EXIT.ok;
    }
    const id = p.positionals[0];
    if (id === undefined) throw new UsageError('missing evidence or finding id', 'evidence');
    const output = str(p, 'output');
    if (output === undefined && g.io.stdoutIsTerminal) {
      throw new UsageError(
        'refusing to write a voice clip or photo to a terminal: use -o FILE or redirect',
        'evidence',
      );
    }
    g.config();
    return withExistingStore(
      g,
      (db) => `No evidence: no database at ${db}.\n`,
      async (store) => {
        const { blob, finding } = lookup(store, id);
        const bytes = playable(blob);
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const where = output === undefined ? 'standard output' : write(target(output, blob), bytes, flag(p, 'force'));
        if (output === undefined) g.io.outBytes(bytes);
        const about = finding ? ` — finding ${finding.id} ${finding.category}/${finding.subtype}` : '';
        const cut = blob.truncated ? ' (cut at the evidence cap: the head only)' : '';
        const line = `Wrote ${oneLine(where)}: ${blob.mime}, ${size(bytes.length)}${cut}, sha256 ${sha256}${about}\n`;
        // With the bytes on stdout, the description goes to stderr so the file stays clean.
        if (output === undefined) g.io.err(line);
        else g.io.out(line);
        return EXIT.ok;
      },
    );
  },
};

/** The blob for an evidence id, or for the finding id that references one. */
function lookup(store: Store, id: string): { blob: StoredEvidence; finding?: Finding } {
  const flowId = id.slice(0, id.lastIndexOf('/'));
  const findings = flowId ? store.listFindings({ flowId, limit: 10_000 }) : [];
  const byFinding = findings.find((f) => f.id === id);
  const evidenceId = byFinding ? byFinding.evidence.evidenceId : id;
  if (byFinding && evidenceId === undefined) {
    throw new InputError(`finding ${id} kept no evidence (or it was purged)`);
  }
  const blob = evidenceId === undefined ? undefined : store.readEvidence(evidenceId);
  if (!blob) throw new InputError(`no evidence '${id}' in the database (purged, or never kept)`);
  const finding = byFinding ?? findings.find((f) => f.evidence.evidenceId === evidenceId);
  return finding ? { blob, finding } : { blob };
}

/** A directory target gets `<id>.<ext>` with the id made file-name safe. */
function target(output: string, blob: StoredEvidence): string {
  if (/[/\\]$/.test(output) && !existsSync(output)) throw new InputError(`no directory ${output}`);
  if (!existsSync(output) || !statSync(output).isDirectory()) return output;
  const ext = EXTENSIONS[blob.mime.split(';')[0]!.trim()] ?? 'bin';
  return join(output, `${blob.id.replace(/[^A-Za-z0-9._-]/g, '_')}.${ext}`);
}

function write(file: string, bytes: Uint8Array, force: boolean): string {
  writePrivateFile(file, bytes, force);
  return file;
}

/**
 * The bytes as a player wants them: a streaming WAV (RIFF and data sizes 0xFFFFFFFF, written before the length
 * was known) gets its real sizes; anything else is exported as stored.
 */
export function playable(blob: StoredEvidence): Uint8Array {
  const b = blob.bytes;
  const isStreamingWav =
    blob.mime.startsWith('audio/wav') &&
    b.length >= 44 &&
    Buffer.from(b.subarray(0, 4)).toString('latin1') === 'RIFF' &&
    Buffer.from(b.subarray(36, 40)).toString('latin1') === 'data' &&
    new DataView(b.buffer, b.byteOffset).getUint32(40, true) === 0xffffffff;
  if (!isStreamingWav) return b;
  const out = Buffer.from(b);
  const data = out.length - 44;
  out.writeUInt32LE(36 + data, 4);
  out.writeUInt32LE(data, 40);
  return out;
}
