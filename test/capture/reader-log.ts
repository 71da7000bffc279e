/** Test helper: feeds a capture reader chunks and logs what it emitted, packets with their data copied. */
import type { CaptureReader, RawPacket, ReaderEvents } from '../../src/capture/types.ts';

export interface ReaderLog {
  packets: Array<Omit<RawPacket, 'data'> & { data: number[] }>;
  skipped: string[];
  secrets: Array<{ type: number; data: number[] }>;
}

export function readAll(make: (ev: ReaderEvents) => CaptureReader, chunks: Uint8Array[]): ReaderLog {
  const log: ReaderLog = { packets: [], skipped: [], secrets: [] };
  const reader = make({
    packet: (p) => log.packets.push({ ...p, data: [...p.data] }),
    skipped: (reason, count = 1) => {
      for (let i = 0; i < count; i++) log.skipped.push(reason);
    },
    secrets: (type, data) => log.secrets.push({ type, data: [...data] }),
  });
  for (const c of chunks) reader.write(c);
  reader.end();
  return log;
}
