/**
 * The analyzer registry: every analyzer the pipeline runs, in order. Add one by writing analyzers/<name>.ts
 * (see analyzers/README.md) and listing it here. The detection issues (voice, face, location, contacts,
 * identifiers, child profile, tls, opaque uploads) fill this list.
 */
import type { Analyzer } from '../src/model/analyzer.ts';
import { childProfile } from './child-profile.ts';
import { contacts } from './contacts.ts';
import { face } from './face.ts';
import { identifiers } from './identifiers.ts';
import { location } from './location.ts';
import { opaqueUpload } from './opaque-upload.ts';
import { tls } from './tls.ts';
import { voice } from './voice.ts';

/** `tls` watches the findings of the others on its flows, so it comes after them. */
export const analyzers: readonly Analyzer[] = [
  voice,
  face,
  location,
  contacts,
  identifiers,
  childProfile,
  tls,
  opaqueUpload,
];
