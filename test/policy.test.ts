import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Config, defaultConfig, parseConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';
import type { Finding } from '../src/model/finding.ts';
import { evaluatePolicy, loadPolicy, type Policy, parsePolicy } from '../src/policy.ts';
import { finding as makeFinding } from '../testkit/records.ts';

const config = defaultConfig as Config;
const to = (host: string, over: Partial<Finding> = {}): Finding =>
  makeFinding({ destination: { host, etld1: host, thirdParty: true }, ...over });
const policy = (p: Partial<Policy>): Policy => ({ version: 1, rules: [], ...p });

describe('parsePolicy', () => {
  it('reads YAML and JSON', () => {
    const y = parsePolicy('version: 1\nrules:\n  - {category: voice, allow: first-party}\n', 'p.yaml');
    const j = parsePolicy('{"version":1,"rules":[{"category":"voice","allow":"first-party"}]}', 'p.json');
    expect(y).toEqual(j);
  });

  it.each([
    ['version: 2\nrules: []', 'p.yaml: version: expected 1'],
    ['version: 1', 'p.yaml: rules: required'],
    ['version: 1\nrules: []\nextra: 1', 'p.yaml: extra: unknown key'],
    ['version: 1\nrules: [{category: voice, allow: maybe}]', 'p.yaml: rules[0].allow: expected one of first-party'],
    ['version: 1\nrules: [{category: smell, allow: none}]', 'p.yaml: rules[0].category: expected one of voice'],
    ['version: 1\nrules: [{category: voice, allow: none, colour: 1}]', 'p.yaml: rules[0].colour: unknown key'],
    [
      'version: 1\nrules: [{category: voice, allow: any, hosts: ["a b"]}]',
      'p.yaml: rules[0].hosts[0]: expected a host',
    ],
    [
      'version: 1\nrules: [{category: voice, allow: any, encrypted: false}]',
      'p.yaml: rules[0].encrypted: expected true',
    ],
    [
      'version: 1\nrules: []\ndeclared: {thirdParties: [{categories: [voice]}]}',
      'p.yaml: declared.thirdParties[0]: needs a host or an operator',
    ],
    [
      'version: 1\nrules: [{id: a, category: voice, allow: any}, {id: a, category: face, allow: any}]',
      "duplicate rule id 'a'",
    ],
    ['version: 1\nrules: [\n', 'p.yaml: line'],
  ])('rejects %j', (text, message) => {
    expect(() => parsePolicy(text, 'p.yaml')).toThrow(ConfigError);
    expect(() => parsePolicy(text, 'p.yaml')).toThrow(message);
  });
});

describe('evaluatePolicy', () => {
  it('lets the first matching rule decide', () => {
    const p = policy({
      firstParty: ['*.toycloud.example'],
      rules: [
        { id: 'opus-ok', category: 'voice', subtype: 'opus', allow: 'any' },
        { id: 'voice-1p', category: 'voice', allow: 'first-party' },
        { id: 'voice-none', category: 'voice', allow: 'none' },
      ],
    });
    const r = evaluatePolicy(
      p,
      [
        to('asr.thirdparty.example', { id: 'a', subtype: 'opus' }),
        to('api.toycloud.example', { id: 'b' }),
        to('asr.thirdparty.example', { id: 'c' }),
      ],
      { config },
    );
    expect(r.rules.map((x) => [x.id, x.checked, x.violations.map((v) => v.finding.id)])).toEqual([
      ['opus-ok', 1, []],
      ['voice-1p', 2, ['c']],
      ['voice-none', 0, []],
    ]);
    expect(r.passed).toBe(false);
    expect(r.violations[0]!.reason).toContain('third party asr.thirdparty.example');
  });

  it("allows unlisted categories unless a '*' none rule says otherwise", () => {
    const f = to('x.example', { category: 'location', subtype: 'gps' });
    const open = policy({ rules: [{ category: 'voice', allow: 'none' }] });
    expect(evaluatePolicy(open, [f], { config }).passed).toBe(true);
    const closed = policy({
      rules: [
        { category: 'voice', allow: 'any' },
        { category: '*', allow: 'none' },
      ],
    });
    const r = evaluatePolicy(closed, [f, to('x.example')], { config });
    expect(r.violations.map((v) => [v.ruleId, v.finding.category])).toEqual([['rule-2', 'location']]);
    expect(r.violations[0]!.reason).toContain('must not leave the device');
  });

  it('requires third parties to be declared for the category, by host or operator', () => {
    const p = policy({
      declared: {
        thirdParties: [
          { host: '*.speech.example', categories: ['voice'] },
          { operator: 'AdCo', categories: ['*'], purpose: 'analytics' },
        ],
      },
      rules: [{ category: '*', allow: 'third-party' }],
    });
    const findings = [
      to('eu.speech.example', { id: 'declared-host' }),
      to('eu.speech.example', { id: 'wrong-category', category: 'face', subtype: 'jpeg' }),
      to('px.ads.example', {
        id: 'by-operator',
        destination: { host: 'px.ads.example', etld1: 'ads.example', operator: 'adco', thirdParty: true },
      }),
      to('unknown.example', { id: 'undeclared' }),
    ];
    const r = evaluatePolicy(p, findings, { config });
    expect(r.violations.map((v) => v.finding.id)).toEqual(['wrong-category', 'undeclared']);
    expect(r.violations[1]!.reason).toContain('not declared for voice');
  });

  it('counts first party from the policy and from the configuration', () => {
    const cfg = parseConfig('firstParty: {global: [cloud.toy.example]}', 'toyscope.yaml');
    const p = policy({ firstParty: ['*.toycloud.example'], rules: [{ category: '*', allow: 'first-party' }] });
    const r = evaluatePolicy(
      p,
      [to('api.toycloud.example'), to('cloud.toy.example'), to('evil.example', { id: 'x' })],
      {
        config: cfg,
      },
    );
    expect(r.violations.map((v) => v.finding.id)).toEqual(['x']);
  });

  it('restricts further by hosts globs', () => {
    const p = policy({ rules: [{ category: 'location', allow: 'any', hosts: ['geo.toycloud.example'] }] });
    const ok = to('geo.toycloud.example', { category: 'location', subtype: 'gps' });
    const bad = to('maps.other.example', { id: 'bad', category: 'location', subtype: 'gps' });
    const r = evaluatePolicy(p, [ok, bad], { config });
    expect(r.violations.map((v) => v.finding.id)).toEqual(['bad']);
    expect(r.violations[0]!.reason).toContain("not among the rule's hosts");
  });

  it('requires TLS when encrypted: true', () => {
    const p = policy({ rules: [{ id: 'tls', category: 'identifiers', allow: 'any', encrypted: true }] });
    const clear = to('api.toycloud.example', {
      id: 'clear',
      category: 'identifiers',
      subtype: 'imei',
      encrypted: false,
    });
    const tls = to('api.toycloud.example', { id: 'tls', category: 'identifiers', subtype: 'imei', encrypted: true });
    const r = evaluatePolicy(p, [clear, tls], { config });
    expect(r.violations.map((v) => [v.finding.id, v.reason])).toEqual([
      ['clear', 'identifiers/imei sent to api.toycloud.example without TLS'],
    ]);
  });

  it('flags personal data of an undeclared category when declared.categories is given', () => {
    const p = policy({ declared: { categories: ['voice'] }, rules: [] });
    const r = evaluatePolicy(
      p,
      [
        to('a.example'),
        to('a.example', { id: 'loc', category: 'location', subtype: 'gps' }),
        to('a.example', { category: 'tls', subtype: 'weak' }),
      ],
      { config },
    );
    expect(r.rules[0]!.id).toBe('declared-categories');
    expect(r.rules[0]!.checked).toBe(2);
    expect(r.violations.map((v) => v.finding.id)).toEqual(['loc']);
  });

  it('passes with no findings and still lists every rule', () => {
    const r = evaluatePolicy(policy({ rules: [{ category: 'voice', allow: 'none' }] }), [], { config });
    expect(r.passed).toBe(true);
    expect(r.rules).toHaveLength(1);
    expect(r.rules[0]!.title).toBe('voice: allow none');
  });
});

describe('examples/policy.yaml', () => {
  it('is valid', () => {
    const p = loadPolicy(join(import.meta.dirname, '../examples/policy.yaml'));
    expect(p.rules.at(-1)).toMatchObject({ id: 'nothing-else', category: '*', allow: 'none' });
  });
});
