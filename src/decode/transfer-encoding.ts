/**
 * MIME's Content-Transfer-Encoding (RFC 2045 6): the filter that undoes `base64` or `quoted-printable` on a mail's
 * body or a MIME part; none for `7bit`, `8bit`, `binary` or a value not known here (the bytes are read as sent).
 */
import type { ViolationSink } from '../model/violation.ts';
import { Base64Filter } from './base64.ts';
import type { Filter } from './filter.ts';
import { QuotedPrintableFilter } from './quoted-printable.ts';

/** The decoding filter for a Content-Transfer-Encoding value, or undefined when the bytes are as sent. */
export function transferDecoder(value: string | undefined, report: ViolationSink): Filter | undefined {
  const coding = value?.trim().toLowerCase();
  if (coding === 'base64') return new Base64Filter(report);
  if (coding === 'quoted-printable') return new QuotedPrintableFilter();
  return undefined;
}
