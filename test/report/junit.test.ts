import { describe, expect, it } from 'vitest';
import { type Config, defaultConfig } from '../../src/config.ts';
import { evaluatePolicy, type Policy } from '../../src/policy.ts';
import { attr, buildJunit, text, xmlSafe } from '../../src/report/junit.ts';
import { finding as makeFinding } from '../../testkit/records.ts';

const config = defaultConfig as Config;

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

/** A minimal XML reader: enough to prove well-formedness of what buildJunit writes (no DTD, no CDATA). */
function parseXml(xml: string): El {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(xml)) throw new Error('invalid XML character');
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(xml))
    throw new Error('lone surrogate');
  const decode = (s: string): string => {
    if (/[<>]/.test(s)) throw new Error(`raw markup character in ${JSON.stringify(s)}`);
    return s.replace(/&(#\d+|[a-z]+);|&/g, (_m, e: string | undefined) => {
      if (!e) throw new Error('bare &');
      if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
      const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
      if (!(e in named)) throw new Error(`unknown entity ${e}`);
      return named[e]!;
    });
  };
  let i = xml.indexOf('?>') + 2;
  const root: El = { name: '#doc', attrs: {}, children: [], text: '' };
  const stack = [root];
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const top = stack[stack.length - 1]!;
    if (lt < 0) {
      if (xml.slice(i).trim()) throw new Error('text after root');
      break;
    }
    top.text += decode(xml.slice(i, lt));
    const gt = xml.indexOf('>', lt);
    const tag = xml.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const el = stack.pop();
      if (el?.name !== tag.slice(1)) throw new Error(`mismatched </${tag.slice(1)}>`);
      continue;
    }
    const m = /^([A-Za-z][\w.-]*)((?:\s+[\w.-]+="[^"]*")*)\s*(\/?)$/.exec(tag);
    if (!m) throw new Error(`bad tag <${tag}>`);
    const el: El = { name: m[1]!, attrs: {}, children: [], text: '' };
    for (const a of m[2]!.matchAll(/([\w.-]+)="([^"]*)"/g)) el.attrs[a[1]!] = decode(a[2]!);
    top.children.push(el);
    if (!m[3]) stack.push(el);
  }
  if (stack.length !== 1 || root.children.length !== 1) throw new Error('unbalanced document');
  return root.children[0]!;
}

const POLICY: Policy = {
  version: 1,
  firstParty: ['*.toycloud.example'],
  rules: [
    { id: 'voice-none', category: 'voice', allow: 'none', description: 'No voice leaves the toy' },
    { id: 'tls', category: '*', allow: 'any', encrypted: true },
  ],
};

describe('buildJunit', () => {
  it('writes one suite per device, one case per rule, one failure per violation', () => {
    const teddy = [
      makeFinding({ id: 'v1', evidence: { excerpt: 'RI••VE', value: 'RIFFsecretWAVE', evidenceId: 'ev-9' } }),
      makeFinding({ id: 'v2', flowId: 'flow-2' }),
    ];
    const xml = buildJunit(
      [
        { name: 'teddy', result: evaluatePolicy(POLICY, teddy, { config }) },
        { name: 'robot', result: evaluatePolicy(POLICY, [], { config }) },
      ],
      { reveal: false },
    );
    const doc = parseXml(xml);
    expect(doc.name).toBe('testsuites');
    expect(doc.attrs).toMatchObject({ tests: '4', failures: '1' });
    const [t, r] = doc.children;
    expect(t!.attrs).toMatchObject({ name: 'teddy', tests: '2', failures: '1' });
    expect(r!.attrs).toMatchObject({ name: 'robot', tests: '2', failures: '0' });
    expect(r!.children.map((c) => c.attrs.name)).toEqual([
      'voice-none: No voice leaves the toy',
      'tls: *: allow any, encrypted',
    ]);
    const failures = t!.children[0]!.children;
    expect(failures).toHaveLength(2);
    expect(failures[0]!.attrs.type).toBe('voice/raw-pcm');
    expect(failures[0]!.text).toContain('flow: flow-1 message 0');
    expect(failures[0]!.text).toContain('evidence: ev-9');
    expect(failures[0]!.text).toContain('excerpt: RI••VE');
    expect(failures[0]!.text).toContain('destination: api.toycloud.example (first party, ToyCo)');
    expect(xml).not.toContain('RIFFsecretWAVE');
    expect(
      buildJunit([{ name: 'teddy', result: evaluatePolicy(POLICY, teddy, { config }) }], { reveal: true }),
    ).toContain('RIFFsecretWAVE');
  });

  it('never reads "0 tests" on a clean run', () => {
    const doc = parseXml(
      buildJunit([{ name: 'policy', result: evaluatePolicy(POLICY, [], { config }) }], { reveal: false }),
    );
    expect(doc.attrs.tests).toBe('2');
    expect(doc.children[0]!.children.every((c) => c.children.length === 0)).toBe(true);
  });

  it('escapes attacker-controlled content and stays well-formed', () => {
    const nasty = ']]><script>&amp;"\'\u0000\u0007\u001b[31m\ud800 \udfff 😀\ufffe\r\n\t';
    const f = makeFinding({
      id: nasty,
      subtype: 'x',
      destination: { host: nasty, etld1: nasty, operator: nasty, thirdParty: true },
      evidence: { excerpt: nasty, value: nasty, evidenceId: nasty },
    });
    for (const reveal of [false, true]) {
      const xml = buildJunit([{ name: nasty, result: evaluatePolicy(POLICY, [f], { config }) }], { reveal });
      const doc = parseXml(xml);
      expect(doc.children[0]!.attrs.name).toBe(xmlSafe(nasty));
      const failure = doc.children[0]!.children[0]!.children[0]!;
      expect(failure.attrs.message).toContain('<script>');
      expect(failure.text).toContain(']]><script>&amp;');
      expect(failure.text).toContain('😀');
      expect(xml).not.toContain(']]>');
    }
  });

  it('xmlSafe keeps pairs, replaces lone surrogates and shows controls', () => {
    expect(xmlSafe('a\u0001b')).toBe('a\\x01b');
    expect(xmlSafe('😀')).toBe('😀');
    expect(xmlSafe('\ud800x\udc00')).toBe('\ufffdx\ufffd');
    expect(text('<&>')).toBe('&lt;&amp;&gt;');
    expect(attr('"\n')).toBe('&quot;&#10;');
  });
});
