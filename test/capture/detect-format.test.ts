import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AutoReader, detectFormat, UnknownCaptureFormatError } from '../../src/capture/detect-format.ts';
import { pcapHeader } from '../../testkit/pcap-writer.ts';
import { oneByteAtATime } from '../helpers/splits.ts';
import { readAll } from './reader-log.ts';

describe('detectFormat', () => {
  it('names pcap in both byte orders and units, and pcapng', () => {
    expect(detectFormat(pcapHeader())).toBe('pcap');
    expect(detectFormat(pcapHeader({ bigEndian: true }))).toBe('pcap');
    expect(detectFormat(pcapHeader({ nanos: true }))).toBe('pcap-nanos');
    expect(detectFormat(pcapHeader({ nanos: true, bigEndian: true }))).toBe('pcap-nanos');
    expect(detectFormat(Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a))).toBe('pcapng');
  });

  it('throws a clear error naming an unknown magic', () => {
    expect(() => detectFormat(new TextEncoder().encode('GET / HTTP/1.1'))).toThrow(/magic 0x47455420/);
    expect(() => detectFormat(Uint8Array.of(1))).toThrow(UnknownCaptureFormatError);
  });
});

describe('AutoReader', () => {
  it('reads the three real captures to the same packets, even one byte at a time', () => {
    const logs = ['lo.pcap', 'lo-nanos.pcap', 'lo.pcapng'].map((f) =>
      readAll((ev) => new AutoReader(ev), oneByteAtATime(readFileSync(`test/data/capture/${f}`))),
    );
    expect(logs[0]!.packets.length).toBeGreaterThan(10);
    expect(logs[1]).toEqual(logs[0]);
    expect(logs[2]).toEqual(logs[0]);
  });

  it('reports a file too short to name its format', () => {
    expect(readAll((ev) => new AutoReader(ev), [Uint8Array.of(0xd4, 0xc3)]).skipped).toEqual(['truncated-file-header']);
  });
});
