/**
 * CommonJS packages loaded with `require` at first use instead of `import` at start-up. Each costs tens of
 * milliseconds of CPU that every process importing a module needing it pays: most runs read no YAML (`--version`, a
 * replay without toyscope.yaml, the bundle's JSON catalogue), validate no policy and meet no phone number. And
 * `require` skips the scan node's ESM loader makes of a CommonJS file for its exports (cjs-module-lexer): tldts loads
 * in ≈ 20 ms of CPU that way against ≈ 110 ms through `import`. Only the loading lives here; callers use each
 * package's own API.
 */
import { createRequire } from 'node:module';
import { FROM_SOURCES } from './package-root.ts';

type Yaml = typeof import('yaml');
type AjvModule = typeof import('ajv');
type Tldts = typeof import('tldts');
type PhoneNumbers = Pick<typeof import('libphonenumber-js/max'), 'parsePhoneNumberFromString'>;
type MccMncList = typeof import('mcc-mnc-list');
type Iso3166 = typeof import('iso-3166-1');

const require = createRequire(import.meta.url);
let yamlModule: Yaml | undefined;
let ajvModule: AjvModule | undefined;
let tldtsModule: Tldts | undefined;
let phoneModule: PhoneNumbers | undefined;
let mccModule: MccMncList | undefined;
let isoModule: Iso3166 | undefined;

/** The yaml module (its CommonJS build for node, the one `import 'yaml'` loads). */
export function yaml(): Yaml {
  yamlModule ??= require('yaml') as Yaml;
  return yamlModule;
}

/** The ajv module (CommonJS; `Ajv` is its class). */
export function ajv(): AjvModule {
  ajvModule ??= require('ajv') as AjvModule;
  return ajvModule;
}

/** tldts (eTLD+1 of a host). */
export function tldts(): Tldts {
  tldtsModule ??= require('tldts') as Tldts;
  return tldtsModule;
}

/**
 * libphonenumber-js's parser with its full metadata: from the sources its CommonJS build, from dist/ the one file
 * bin/build.mjs made of the same (≈ 10 ms of CPU at the first phone number instead of ≈ 40 for ≈ 90 modules).
 */
export function phoneNumbers(): PhoneNumbers {
  phoneModule ??= require(FROM_SOURCES ? 'libphonenumber-js/max' : './phone-numbers.cjs') as PhoneNumbers;
  return phoneModule;
}

/** mcc-mnc-list (mobile networks by MCC/MNC, ≈ 3,000 records from Wikipedia's list): read for the MCC → country map. */
export function mccMncList(): MccMncList {
  mccModule ??= require('mcc-mnc-list') as MccMncList;
  return mccModule;
}

/** iso-3166-1 (alpha-2, alpha-3, numeric codes and English names of countries). */
export function iso3166(): Iso3166 {
  isoModule ??= require('iso-3166-1') as Iso3166;
  return isoModule;
}
