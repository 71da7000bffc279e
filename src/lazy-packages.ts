/**
 * CommonJS packages loaded with `require` at first use instead of `import` at start-up. Each costs tens of
 * milliseconds of CPU that every process importing a module needing it pays: most runs read no YAML (`--version`, a
 * replay without toyscope.yaml, the bundle's JSON catalogue), validate no policy and meet no phone number. And
 * `require` skips the scan node's ESM loader makes of a CommonJS file for its exports (cjs-module-lexer): tldts loads
 * in ≈ 20 ms of CPU that way against ≈ 110 ms through `import`. Only the loading lives here; callers use each
 * package's own API.
 */
import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');
type AjvModule = typeof import('ajv');
type Tldts = typeof import('tldts');
type PhoneNumbers = typeof import('libphonenumber-js/max');

const require = createRequire(import.meta.url);
let yamlModule: Yaml | undefined;
let ajvModule: AjvModule | undefined;
let tldtsModule: Tldts | undefined;
let phoneModule: PhoneNumbers | undefined;

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

/** libphonenumber-js with its full metadata (its CommonJS build). */
export function phoneNumbers(): PhoneNumbers {
  phoneModule ??= require('libphonenumber-js/max') as PhoneNumbers;
  return phoneModule;
}
