/**
 * Masking the personal values only: a finding keeps its kind, sizes, durations and reasons readable, masks the
 * personal parts of its excerpt and detail, and keeps them whole in `evidence.value` / `evidence.detail` only.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Analyzer, ReportInput } from '../../src/model/analyzer.ts';
import { maskDetail, maskExcerpt, redact } from '../../src/pipeline/redact.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';

/** Reports `input` at the end of each message, then updates it once when `update` is given. */
function reporting(input: Omit<ReportInput, 'category'>, update?: Partial<ReportInput>): Analyzer {
  return {
    name: 'contacts',
    wants: () => true,
    open: (ctx) => ({
      end() {
        const h = ctx.report({ category: 'contacts', ...input, ...(update ? { streaming: true } : {}) });
        if (update) h.update(update);
      },
    }),
  };
}

const findingOf = (a: Analyzer) => play([a], new FlowScript().message({ msgId: 0 }, '{}').close().events).findings;

describe('redact', () => {
  it('keeps a few characters at each end of a value, all of a short one masked', () => {
    expect(redact('+8613812345678')).toBe('+86••••••••678');
    expect(redact('7')).toBe('•');
  });

  it('counts characters, not UTF-16 units: a character outside the BMP is kept or masked whole', () => {
    expect(redact('😀😀😀😀😀😀😀😀')).toBe('😀😀••••😀😀');
    expect(redact('ab\ud800cd')).toBe('a•••d'); // a lone surrogate counts as one
    const byCharacter = (v: string) => {
      const chars = [...v];
      if (chars.length <= 4) return '•'.repeat(chars.length);
      const keep = Math.min(3, Math.floor(chars.length / 4));
      return chars.slice(0, keep).join('') + '•'.repeat(chars.length - 2 * keep) + chars.slice(-keep).join('');
    };
    for (const unit of ['binary', 'grapheme'] as const) {
      fc.assert(fc.property(fc.string({ unit, maxLength: 40 }), (v) => redact(v) === byCharacter(v)));
    }
  });

  it('masks only the personal parts of an excerpt; a plain string is one personal value', () => {
    expect(maskExcerpt(['raw-pcm 16000 Hz, 4.4 s'])).toBe('raw-pcm 16000 Hz, 4.4 s');
    expect(maskExcerpt(['mother ', { personal: '+8613812345678' }])).toBe('mother +86••••••••678');
    expect(maskExcerpt('HomeNet-5G')).toBe('Ho••••••5G');
    expect(maskDetail({ lat: 31.2304, ssid: 'HomeNet-5G' })).toEqual({ lat: '3•••••4', ssid: 'Ho••••••5G' });
  });
});

describe('findings: masked where printed, whole only as evidence', () => {
  it('a readable excerpt stays readable; personal detail is masked in detail and whole in evidence.detail', () => {
    const [f] = findingOf(
      reporting({
        subtype: 'phone-number',
        excerpt: ['mother ', { personal: '+8613812345678' }],
        detail: { country: 'CN', source: 'json' },
        personal: { e164: '+8613812345678' },
      }),
    );
    expect(f?.evidence).toMatchObject({ excerpt: 'mother +86••••••••678', value: 'mother +8613812345678' });
    expect(f?.detail).toEqual({ country: 'CN', source: 'json', e164: '+86••••••••678' });
    expect(f?.evidence.detail).toEqual({ e164: '+8613812345678' });
  });

  it('an update re-masks from what the analyzer said, not from the masked text', () => {
    const input = { subtype: 'x', excerpt: ['raw-pcm 16000 Hz'], detail: { bytes: 1 } };
    const out = findingOf(reporting(input, { excerpt: ['raw-pcm 16000 Hz, 4.4 s'], personal: { lat: 31.2 } }));
    expect(out.at(-1)?.evidence.excerpt).toBe('raw-pcm 16000 Hz, 4.4 s');
    expect(out.at(-1)?.detail).toEqual({ bytes: 1, lat: '••••' });
    expect(out.at(-1)?.evidence.detail).toEqual({ lat: 31.2 });
  });
});
