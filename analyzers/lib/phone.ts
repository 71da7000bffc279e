/**
 * Phone numbers: validation with libphonenumber-js (full metadata, so the number type is known: a Chinese mobile
 * number must be MOBILE, not only the right length), plus the context words that make a bare 11-digit number a
 * phone number. Not a finder of numbers in arbitrary text on its own: callers give it a candidate and context.
 */

import { phoneNumbers } from '../../src/lazy-packages.ts';

/** A validated number in E.164 with its country and type. */
export interface Phone {
  e164: string;
  country: string;
  type: string;
}

const ACCEPTED_TYPES = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE', 'FIXED_LINE', 'VOIP', 'PERSONAL_NUMBER']);

/**
 * Validates `raw` (digits with optional `+`, spaces, dashes, brackets). Without a `+`, it is read as a Chinese
 * national number; `mobileOnly` (used without key context) accepts only MOBILE numbers.
 */
export function validatePhone(raw: string, mobileOnly = false): Phone | undefined {
  const s = raw.trim();
  if (s.length < 7 || s.length > 24 || !/^\+?[\d\s\-().]+$/.test(s)) return undefined;
  const digits = s.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return undefined;
  const p = phoneNumbers().parsePhoneNumberFromString(s.startsWith('00') ? `+${s.slice(2)}` : s, 'CN');
  if (!p?.isValid()) return undefined;
  const type = p.getType() ?? 'UNKNOWN';
  if (mobileOnly ? type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE' : !ACCEPTED_TYPES.has(type)) return undefined;
  return { e164: p.number, country: p.country ?? '', type };
}

/** Chinese mobile numbers and E.164 numbers in free text (`+` form), not inside longer digit runs. */
export const PHONE_IN_TEXT =
  /(?<![\d+])(?:(?:\+|00)86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)|\+[1-9]\d{0,3}[- ]?\d{2,4}(?:[- ]?\d{2,4}){1,3}(?!\d)/g;

/** Words that, a few characters before a number in text, say it is a phone number. */
export const PHONE_CONTEXT =
  /电话|手机|号码|联系|致电|拨打|\btel\b|phone|mobile|call|contact|whatsapp|wechat|微信|sos/i;

/** Family relations (a child's device lists its family's numbers under these names). */
export const RELATION_WORDS =
  /妈妈|爸爸|奶奶|爷爷|外婆|外公|姥姥|姥爷|家人|哥哥|姐姐|弟弟|妹妹|叔叔|阿姨|舅舅|姑姑|老师|\b(?:mother|father|mom|mum|mommy|mummy|dad|daddy|grandma|grandpa|granny|grandmother|grandfather|nana|papa|mama|sister|brother|aunt|uncle|family|parent|guardian|teacher)\b/i;
