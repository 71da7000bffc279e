import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkList } from '../../src/decode/chunk-list.ts';
import { splitAt, utf8 } from '../helpers/splits.ts';

describe('ChunkList', () => {
  it('returns a view when the bytes sit in one chunk and a copy across a boundary', () => {
    const a = utf8('hello');
    const b = utf8(' world');
    const list = new ChunkList();
    list.push(a);
    list.push(new Uint8Array(0));
    list.push(b);
    expect(list.length).toBe(11);
    const view = list.peek(3);
    expect(view.buffer).toBe(a.buffer);
    expect(Buffer.from(view).toString()).toBe('hel');
    const across = list.consume(7);
    expect(across.buffer).not.toBe(a.buffer);
    expect(Buffer.from(across).toString()).toBe('hello w');
    expect(list.length).toBe(4);
    expect(list.at(0)).toBe('o'.charCodeAt(0));
    expect(list.at(4)).toBeUndefined();
    list.skip(1);
    expect(Buffer.from(list.consumeAll()).toString()).toBe('rld');
    expect(list.length).toBe(0);
    expect(list.consume(5).length).toBe(0);
  });

  it('finds a byte across chunks', () => {
    const list = new ChunkList();
    for (const s of ['ab', 'cd', 'e\n', 'f\n']) list.push(utf8(s));
    list.skip(1);
    expect(list.indexOf(0x0a)).toBe(4);
    expect(list.indexOf(0x0a, 5)).toBe(6);
    expect(list.indexOf(0x7a)).toBe(-1);
  });

  it('behaves like one array whatever the chunks and reads (model test)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat()),
        fc.array(fc.tuple(fc.constantFrom('peek', 'consume', 'skip', 'at', 'indexOf'), fc.nat(64))),
        (bytes, cuts, ops) => {
          const list = new ChunkList();
          for (const c of splitAt(bytes, cuts)) list.push(c);
          let model = Array.from(bytes);
          for (const [op, n] of ops) {
            if (op === 'peek') expect(Array.from(list.peek(n))).toEqual(model.slice(0, n));
            if (op === 'consume') expect(Array.from(list.consume(n))).toEqual(model.slice(0, n));
            if (op === 'at') expect(list.at(n)).toBe(model[n]);
            if (op === 'indexOf') expect(list.indexOf(n % 4)).toBe(model.indexOf(n % 4));
            if (op === 'consume' || op === 'skip') {
              if (op === 'skip') list.skip(n);
              model = model.slice(n);
            }
            expect(list.length).toBe(model.length);
          }
        },
      ),
    );
  });
});
