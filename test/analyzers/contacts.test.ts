import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contacts, mayHoldPhone } from '../../analyzers/contacts.ts';
import { PHONE_IN_TEXT } from '../../analyzers/lib/phone.ts';
import { json, run, summary } from './run.ts';

const A = [contacts];

describe('contacts', () => {
  it('counts a repeated value that changed its state every time it came (vCards), not only the first', () => {
    const card = 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Mia Li\r\nEND:VCARD\r\n';
    const f = json(A, { events: [{ card }, { card }, { card }] });
    expect(f.find((x) => x.subtype === 'vcard')?.detail).toEqual({ cards: 3 });
  });

  it('validates phone numbers under phone keys', () => {
    const f = json(A, { phone: '13812345678', mobile: 13912345678, tel: '12345678901', sos: '+1 415 555 2671' });
    expect(summary(f)).toEqual([
      'phone-number=+14155552671',
      'phone-number=+8613812345678',
      'phone-number=+8613912345678',
    ]);
    expect(f.find((x) => x.evidence.value === '+8613812345678')?.detail).toMatchObject({
      type: 'MOBILE',
      country: 'CN',
    });
  });

  it('takes bare numbers in text only with context, E.164 without', () => {
    const text = '请拨打妈妈电话 13812345678, order 13912345678, intl +44 7911 123456';
    const f = run(A, { contentType: 'text/plain; charset=utf-8', body: text });
    expect(summary(f)).toEqual([
      'family-relation=妈妈 +8613812345678',
      'phone-number=+447911123456',
      'phone-number=+8613812345678',
    ]);
  });

  it('finds e-mail addresses but not image names', () => {
    const f = json(A, { email: 'mia.parent@example.com', note: 'icon@2x.png, contact li@qq.com' });
    expect(summary(f)).toEqual(['email=li@qq.com', 'email=mia.parent@example.com']);
  });

  it('finds contact lists and family relations next to numbers', () => {
    const f = json(A, {
      contacts: [
        { name: '妈妈', phone: '13812345678' },
        { name: 'Grandpa Li', phone: '13912345679' },
        { name: 'Coach', phone: '13712345670' },
      ],
    });
    const s = summary(f);
    expect(s).toContain('contact-list=妈妈 +8613812345678');
    expect(s).toContain('family-relation=妈妈 +8613812345678');
    expect(s).toContain('family-relation=Grandpa +8613912345679');
    expect(s.filter((x) => x.startsWith('phone-number'))).toHaveLength(3);
    expect(f.find((x) => x.subtype === 'contact-list')?.detail).toEqual({ entries: 3 });
    const odd = json(A, {
      'family|list': [
        { name: 'A', phone: '13812345678' },
        { name: 'B', phone: '13912345679' },
      ],
    });
    expect(odd.find((x) => x.subtype === 'contact-list')?.path).toBe('$["family|list"]');
    // Two NDJSON lines: two lists on one path, each counted on its own.
    const lines = [
      {
        contacts: [
          { name: 'A', phone: '13812345678' },
          { name: 'B', phone: '13912345679' },
        ],
      },
      {
        contacts: [
          { name: 'C', phone: '13712345670' },
          { name: 'D', phone: '13612345671' },
        ],
      },
    ];
    const two = run(A, { contentType: 'application/x-ndjson', body: lines.map((l) => JSON.stringify(l)).join('\n') });
    expect(two.filter((x) => x.subtype === 'contact-list').map((x) => [x.evidence.value, x.detail])).toEqual([
      ['A +8613812345678', { entries: 2 }],
      ['C +8613712345670', { entries: 2 }],
    ]);
    expect(summary(json(A, { mom: '13812345678' }))).toEqual([
      'family-relation=mom +8613812345678',
      'phone-number=+8613812345678',
    ]);
  });

  it('counts vCards', () => {
    const card = (n: string, t: string) =>
      `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:${n}\r\nTEL;TYPE=CELL:${t}\r\nEND:VCARD\r\n`;
    const f = run(A, { contentType: 'text/vcard', body: card('Mia Li', '13812345678') + card('Bo', '13912345678') });
    expect(summary(f)).toEqual(['phone-number=+8613812345678', 'phone-number=+8613912345678', 'vcard=Mia Li']);
    expect(f.find((x) => x.subtype === 'vcard')?.detail).toEqual({ cards: 2 });
  });

  it('does not fire on order ids, timestamps and versions', () => {
    const f = json(A, {
      orderId: '13812345678',
      ts: 1700000000000,
      battery: 13,
      fw: '13.8.12345678',
      msg: 'order 13812345678 shipped',
      number: 42,
    });
    expect(f).toEqual([]);
  });
});

describe('contacts pre-test', () => {
  it('never rules out a text in which PHONE_IN_TEXT finds a number of 7 digits or more (validatePhone needs 7)', () => {
    const unit = fc.constantFrom('1', '3', '8', '0', '6', '5', ' ', '-', '+', 'a', '.');
    const candidate = (s: string) => [...s.matchAll(PHONE_IN_TEXT)].some((m) => m[0].replace(/\D/g, '').length >= 7);
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), (s) => !candidate(s) || mayHoldPhone(s)),
      { numRuns: 50_000 },
    );
    for (const s of ['call 13812345678', '008613812345678', '138 1234 5678', '+86 138-1234-5678']) {
      expect(candidate(s) && mayHoldPhone(s)).toBe(true);
    }
  });

  it('rules out digit runs no Chinese mobile number fits: an IMEI, an order id', () => {
    expect(mayHoldPhone('862012345678901x')).toBe(false);
    expect(mayHoldPhone('order 201805041234')).toBe(false);
  });
});
