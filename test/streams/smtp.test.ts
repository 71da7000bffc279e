import { describe, expect, it } from 'vitest';
import type { FlowEvent } from '../../src/model/events.ts';
import { recognizeTcp, serverMayWait } from '../../src/streams/recognize.ts';
import { mailHeaders, SmtpStream } from '../../src/streams/smtp.ts';
import { everySplit } from '../helpers/splits.ts';

/** The client's side of a session: commands, a mail with dot-stuffed lines, the end marker, more commands. */
const session = Buffer.from(
  [
    'EHLO cam',
    'MAIL FROM:<cam@toy.example>',
    'RCPT TO:<mum@toy.example>',
    'DATA',
    'Subject: Snapshot of',
    '  the garden',
    'Content-Type: text/plain',
    '',
    'line one',
    '..a line that began with a dot',
    '.',
    'QUIT',
    '',
  ].join('\r\n'),
);

function play(chunks: Uint8Array[]): FlowEvent[] {
  const events: FlowEvent[] = [];
  const s = new SmtpStream('f', (e) => events.push(e));
  s.data('down', Buffer.from('220 mail.toy.example ESMTP\r\n'), 1);
  for (const c of chunks) s.data('up', c, 2);
  s.close(3);
  return events;
}

/** Each message's protocol, headers and whole body. */
function messages(events: FlowEvent[]) {
  const out = new Map<number, { protocol: string; headers: unknown; body: string }>();
  for (const e of events) {
    if (e.type === 'message.head') {
      out.set(e.msg.msgId, { protocol: e.msg.protocol, headers: e.msg.headers, body: '' });
    } else if (e.type === 'message.chunk') out.get(e.msgId)!.body += Buffer.from(e.data).toString('latin1');
  }
  return [...out.values()];
}

describe('SmtpStream', () => {
  it('makes the mail after DATA a message, its header fields unfolded, dot-stuffing undone, whatever the cut', () => {
    const expected = [
      { protocol: 'raw', headers: [], body: '220 mail.toy.example ESMTP\r\n' },
      {
        protocol: 'raw',
        headers: [],
        body: 'EHLO cam\r\nMAIL FROM:<cam@toy.example>\r\nRCPT TO:<mum@toy.example>\r\nDATA\r\nQUIT\r\n',
      },
      {
        protocol: 'smtp',
        headers: [
          ['Subject', 'Snapshot of the garden'],
          ['Content-Type', 'text/plain'],
        ],
        body: 'line one\r\n.a line that began with a dot\r\n',
      },
    ];
    for (const chunks of everySplit(session, 1 << 12)) expect(messages(play(chunks))).toEqual(expected);
  });

  it('ends a mail cut by the close, and keeps a lone dot inside a line', () => {
    const cut = Buffer.from('EHLO x\r\nDATA\r\nSubject: a\r\n\r\n3.5 apples\r\n.not the end\r\n');
    const all = messages(play([cut])); // the server's greeting, the commands, the mail
    expect(all[2]).toEqual({ protocol: 'smtp', headers: [['Subject', 'a']], body: '3.5 apples\r\n.not the end\r\n' });
  });

  it('ends a mail that has no body at its `.` line, and takes a mail without header fields', () => {
    const noBody = messages(play([Buffer.from('EHLO x\r\nDATA\r\nSubject: a\r\n.\r\nQUIT\r\n')]));
    expect(noBody[2]).toEqual({ protocol: 'smtp', headers: [['Subject', 'a']], body: '' });
    expect(noBody[1]!.body).toBe('EHLO x\r\nDATA\r\nQUIT\r\n');
    const noHeaders = messages(play([Buffer.from('EHLO x\r\nDATA\r\n\r\nhello\r\n.\r\n')]));
    expect(noHeaders[2]).toEqual({ protocol: 'smtp', headers: [], body: 'hello\r\n' });
  });

  it('unfolds header fields and skips lines that are none', () => {
    expect(mailHeaders('From: a@b\r\nTo: c@d,\r\n\te@f\r\nnot a header\r\n')).toEqual([
      ['From', 'a@b'],
      ['To', 'c@d, e@f'],
    ]);
  });
});

describe('recognising SMTP', () => {
  it('waits past a line-protocol greeting for the client, and takes EHLO or HELO', () => {
    expect(serverMayWait(Buffer.from('220 mail.example ESMTP\r\n'))).toBe(true);
    expect(serverMayWait(Buffer.from('+OK POP3 ready\r\n'))).toBe(true);
    expect(serverMayWait(Buffer.from('* OK IMAP4rev1\r\n'))).toBe(true);
    expect(serverMayWait(Buffer.from('SSH-2.0-OpenSSH_9\r\n'))).toBe(false);
    expect(recognizeTcp(Buffer.from('EHLO cam.local\r\n'), false, 25)).toBe('smtp');
    expect(recognizeTcp(Buffer.from('helo cam\r\n'), false, 2525)).toBe('smtp');
    expect(recognizeTcp(Buffer.from('EHL'), false, 25)).toBe('more');
    expect(recognizeTcp(Buffer.from('USER cam\r\n'), true, 21)).toBe('unknown');
    // The server's second line is a reply to the client: the client's bytes decide from there.
    expect(serverMayWait(Buffer.from('220 ftp ready\r\n331 password please\r\n'))).toBe(false);
  });
});
