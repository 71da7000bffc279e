/**
 * The analyzer registry: every analyzer the pipeline runs, in order. Add one by writing analyzers/<name>.ts
 * (see analyzers/README.md) and listing it here. The detection issues (voice, face, location, contacts,
 * identifiers, child profile, tls, opaque uploads) fill this list.
 */
import type { Analyzer } from '../src/model/analyzer.ts';

export const analyzers: readonly Analyzer[] = [];
