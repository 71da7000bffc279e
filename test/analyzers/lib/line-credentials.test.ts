import { describe, expect, it } from 'vitest';
import { lineCredentials } from '../../../analyzers/lib/line-credentials.ts';

const plain = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`).toString('base64');

describe('lineCredentials', () => {
  it('reads FTP and POP3 USER/PASS, IMAP LOGIN and AUTH PLAIN', () => {
    expect(lineCredentials('USER cam-8821\r\nPASS Sunny2019!\r\nTYPE I\r\n')).toEqual([
      { form: 'user-pass', user: 'cam-8821', password: 'Sunny2019!' },
    ]);
    expect(lineCredentials('A001 CAPABILITY\r\nA002 LOGIN "mia@toy.example" "pa ss\\"word"\r\n')).toEqual([
      { form: 'login', user: 'mia@toy.example', password: 'pa ss"word' },
    ]);
    expect(lineCredentials('EHLO cam\r\nAUTH PLAIN ' + plain('cam@toy.example', 's3cret') + '\r\n')).toEqual([
      { form: 'auth-plain', user: 'cam@toy.example', password: 's3cret' },
    ]);
    expect(lineCredentials(`AUTH PLAIN\r\n${plain('cam', 'after-challenge')}\r\nMAIL FROM:<a@b>\r\n`)).toEqual([
      { form: 'auth-plain', user: 'cam', password: 'after-challenge' },
    ]);
    const b64 = (x: string) => Buffer.from(x).toString('base64');
    expect(
      lineCredentials(`AUTH LOGIN\r\n${b64('cam@toy.example')}\r\n${b64('Pa55-word')}\r\nMAIL FROM:<x>\r\n`),
    ).toEqual([{ form: 'auth-login', user: 'cam@toy.example', password: 'Pa55-word' }]);
    expect(lineCredentials(`AUTH LOGIN ${b64('cam')}\r\n${b64('inline-user')}\r\n`)).toEqual([
      { form: 'auth-login', user: 'cam', password: 'inline-user' },
    ]);
    expect(lineCredentials(`AUTH LOGIN\r\n${b64('cam')}\r\n${Buffer.from([1, 2, 3]).toString('base64')}\r\n`)).toEqual(
      [],
    );
    expect(lineCredentials('a1 AUTHENTICATE PLAIN ' + plain('x', 'y') + '\r\n')).toEqual([
      { form: 'auth-plain', user: 'x', password: 'y' },
    ]);
  });

  it('takes nothing that is not such a command: anonymous FTP, a PASS without USER, words in prose, bad base64', () => {
    for (const text of [
      'USER anonymous\r\nPASS guest@example.com\r\n',
      'PASS Sunny2019!\r\n',
      'Please USER your PASS wisely\n',
      'we LOGIN here today\n',
      'AUTH PLAIN =\r\n',
      `AUTH PLAIN ${Buffer.from('no separators').toString('base64')}\r\n`,
      'USER a\r\n1\r\n2\r\n3\r\n4\r\nPASS too-far\r\n',
    ]) {
      expect(lineCredentials(text)).toEqual([]);
    }
  });
});
