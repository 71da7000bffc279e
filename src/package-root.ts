/**
 * The package's root folder, for files read at run time (package.json, analyzers/data, dashboard/ui). One level
 * above this module both in the sources (src/) and in the bundle (dist/, where every chunk sits at the top), so
 * the same line is true under tsx and from `dist/`; and which of the two is running. Nothing else.
 */
import { join } from 'node:path';

/** Absolute path of the folder holding package.json. */
export const PACKAGE_ROOT: string = join(import.meta.dirname, '..');

/** True when running the TypeScript sources (tsx, vitest), false from the bundle bin/build.mjs wrote in dist/. */
export const FROM_SOURCES: boolean = import.meta.url.endsWith('.ts');
