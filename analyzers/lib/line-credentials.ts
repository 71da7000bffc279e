/**
 * Passwords in the commands of clear-text line protocols, as a device's FTP, POP3, IMAP or SMTP client sends them
 * (a camera uploading snapshots over FTP, a toy mailing its photos): FTP's and POP3's `USER name` then `PASS secret`
 * (RFC 959, RFC 1939), IMAP's `tag LOGIN name secret` (RFC 9051, atoms or quoted strings), and `AUTH PLAIN` with its
 * response, inline or on the line after the server's empty challenge (RFC 4616: base64 of `authzid NUL authcid NUL
 * password`; SMTP, POP3 and IMAP alike), and SMTP's `AUTH LOGIN` with the user name and password in base64 on the
 * lines after it. Commands are
 * whole lines at a line start; a protocol's own case rules are kept (commands in upper case as clients send them).
 * FTP's anonymous login is no secret.
 */
import { matchesIn } from './matches.ts';

/** What kind of command gave a password. */
export type CredentialForm = 'user-pass' | 'login' | 'auth-plain' | 'auth-login';

export interface LineCredential {
  form: CredentialForm;
  user: string;
  password: string;
}

/** FTP's anonymous users: their `PASS` is by convention an e-mail address or nothing, no secret. */
const ANONYMOUS = new Set(['anonymous', 'ftp']);
/** `USER name` and, at most three lines on, `PASS secret`. */
const USER_PASS = /^USER ([^\r\n ]{1,128})\r?\n(?:[^\r\n]*\r?\n){0,3}?PASS ([^\r\n]{1,128})\r?$/gm;
/** `tag LOGIN name secret`, each an atom or a quoted string; a tag with a digit in it, as clients number them. */
const IMAP_LOGIN =
  /^(?=[A-Za-z.]*\d)[A-Za-z0-9.]{1,16} LOGIN ("(?:[^"\\\r\n]|\\.){1,128}"|[^\s"]{1,128}) ("(?:[^"\\\r\n]|\\.){1,128}"|[^\s"]{1,128})\r?$/gm;
/** `AUTH PLAIN` (or an IMAP `tag AUTHENTICATE PLAIN`) with its response inline or on the next line. */
const AUTH_PLAIN =
  /^(?:(?=[A-Za-z.]*\d)[A-Za-z0-9.]{1,16} AUTHENTICATE|AUTH) PLAIN(?: |\r?\n)([A-Za-z0-9+/]{4,512}={0,2})\r?$/gm;

/** `AUTH LOGIN`, then the user name and the password in base64, each on a line (the user may come inline). */
const AUTH_LOGIN = /^AUTH LOGIN(?: |\r?\n)([A-Za-z0-9+/]{2,512}={0,2})\r?\n([A-Za-z0-9+/]{2,512}={0,2})\r?$/gm;

/** An IMAP atom or quoted string's text. */
function unquote(s: string): string {
  return s.startsWith('"') ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s;
}

/** The credentials in `text` (a window of a clear-text stream). */
export function lineCredentials(text: string): LineCredential[] {
  const out: LineCredential[] = [];
  if (text.includes('PASS ')) {
    for (const m of matchesIn(USER_PASS, text)) {
      if (!ANONYMOUS.has(m[1]!.toLowerCase())) out.push({ form: 'user-pass', user: m[1]!, password: m[2]! });
    }
  }
  if (text.includes(' LOGIN ')) {
    for (const m of matchesIn(IMAP_LOGIN, text)) {
      out.push({ form: 'login', user: unquote(m[1]!), password: unquote(m[2]!) });
    }
  }
  if (text.includes(' PLAIN')) {
    for (const m of matchesIn(AUTH_PLAIN, text)) {
      const fields = Buffer.from(m[1]!, 'base64').toString('utf8').split('\0');
      if (fields.length === 3 && fields[2] !== '') {
        out.push({ form: 'auth-plain', user: fields[1]!, password: fields[2]! });
      }
    }
  }
  if (text.includes('AUTH LOGIN')) {
    for (const m of matchesIn(AUTH_LOGIN, text)) {
      const user = printable(Buffer.from(m[1]!, 'base64').toString('utf8'));
      const password = printable(Buffer.from(m[2]!, 'base64').toString('utf8'));
      if (user && password) out.push({ form: 'auth-login', user, password });
    }
  }
  return out;
}

/** `s` when it is text a person typed (no control characters), else undefined. */
function printable(s: string): string | undefined {
  return s !== '' && !/[\x00-\x1f\x7f\ufffd]/.test(s) ? s : undefined;
}
