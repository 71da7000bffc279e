import { describe, expect, it } from 'vitest';
import { childProfile } from '../../analyzers/child-profile.ts';
import { FlowScript, play } from '../../testkit/playbook.ts';
import { everySplit } from '../helpers/splits.ts';
import { json, run, summary } from './run.ts';

const A = [childProfile];

describe('child-profile', () => {
  it('finds name, birthday, age, gender, school, class and photo URL by key', () => {
    const f = json(A, {
      child: {
        nickname: '小雨',
        birthday: '2018-05-02',
        age: 6,
        gender: 'girl',
        school: '阳光幼儿园',
        class: '大班二班',
      },
      avatarUrl: 'https://cdn.xiaoyu-toys.com/u/42/head.jpg',
    });
    expect(summary(f)).toEqual([
      'age=6',
      'birthday=2018-05-02',
      'class=大班二班',
      'gender=girl',
      'name=小雨',
      'photo=https://cdn.xiaoyu-toys.com/u/42/head.jpg',
      'school=阳光幼儿园',
    ]);
  });

  it('reads Chinese keys and forms', () => {
    const body = new URLSearchParams({
      姓名: '王小明',
      生日: '2017年3月9日',
      性别: '男',
      年龄: '7岁',
      班级: '一年级3班',
    }).toString();
    const f = run(A, { contentType: 'application/x-www-form-urlencoded', body });
    expect(summary(f)).toEqual(['age=7岁', 'birthday=2017年3月9日', 'class=一年级3班', 'gender=男', 'name=王小明']);
  });

  it('takes generic keys only under a child path', () => {
    expect(json(A, { product: { name: 'Robot X1', class: 'com.toy.Main', grade: 'A' } })).toEqual([]);
    expect(summary(json(A, { kid: { name: 'Mia' } }))).toEqual(['name=Mia']);
  });

  const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108020000009077', 'hex');
  const b = 'XyZb0undary';
  /** A multipart body: text fields and one image file. */
  const multipart = (fields: Record<string, string>, file: string, filename: string) =>
    Buffer.concat([
      ...Object.entries(fields).map(([k, v]) =>
        Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`),
      ),
      Buffer.from(
        `--${b}\r\nContent-Disposition: form-data; name="${file}"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      png,
      Buffer.from(`\r\n--${b}--\r\n`),
    ]);
  const upload = (body: Uint8Array | Uint8Array[], url: string) =>
    run(A, { contentType: `multipart/form-data; boundary=${b}`, body, url });

  it('finds a photo sent to a profile/avatar endpoint, under any field', () => {
    const f = upload(multipart({}, 'file', 'kid.png'), '/v2/child/avatar');
    expect(f.map((x) => [x.subtype, x.evidence.value, x.detail?.bytes, x.detail?.context])).toEqual([
      ['photo', 'kid.png', png.length, 'endpoint'],
    ]);
  });

  it("finds a photo beside the child's profile fields, before or after them, at every split", () => {
    const body = multipart({ nickname: 'Mia', age: '6' }, 'photo', 'mia.png');
    const want = ['age=6', 'name=Mia', 'photo=mia.png'];
    for (const chunks of everySplit(body)) expect(summary(upload(chunks, '/api/v1/upload'))).toEqual(want);
    const after = Buffer.concat([
      Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="avatar"; filename="mia.png"\r\n\r\n`),
      png,
      Buffer.from(`\r\n--${b}\r\nContent-Disposition: form-data; name="birthday"\r\n\r\n2019-04-01\r\n--${b}--\r\n`),
    ]);
    expect(summary(upload(after, '/api/v1/upload'))).toEqual(['birthday=2019-04-01', 'photo=mia.png']);
  });

  it('does not claim a photo from the field name alone: an object photo, a face-recognition upload', () => {
    expect(upload(multipart({ item: 'lego-castle' }, 'photo', 'castle.png'), '/api/v1/upload')).toEqual([]);
    const image = Buffer.concat([png, Buffer.alloc(65)]).toString('base64');
    expect(json(A, { image, image_type: 'BASE64', group_id: 'toys' }, { url: '/rest/2.0/face/v3/search' })).toEqual([]);
    expect(json(A, { photo: 'https://cdn.toy-cloud.example/scan/42.jpg', sku: 'X1' })).toEqual([]);
  });

  it('finds a photo whose own path names a child, or sent on a profile topic', () => {
    const image = Buffer.concat([png, Buffer.alloc(65)]).toString('base64');
    expect(json(A, { child: { photo: image } }).map((x) => [x.path, x.detail?.context])).toEqual([
      ['$.child.photo', 'child-path'],
    ]);
    const s = new FlowScript({ transport: 'mqtt', tls: 'none' })
      .message({ msgId: 0, protocol: 'mqtt', mqtt: { packet: 'publish', topic: 'toys/XY-1/profile/avatar' } }, png)
      .close();
    const f = [...play(A, s.events).findingsById.values()];
    expect(f.map((x) => [x.subtype, x.detail?.context])).toEqual([['photo', 'endpoint']]);
  });

  it('does not fire on adult ages, counters and non-gender values', () => {
    expect(json(A, { age: 35, sex: 'unknown-value', birthday: 'tomorrow', school: 12 })).toEqual([]);
  });
});

describe('child-profile in IoT property wrappers', () => {
  it('reads `{"child_name": {"value": …, "time": …}}` (Tuya, Alink) as the child_name key', () => {
    const tuya = { msgId: '1', data: { child_name: { value: 'Lily', time: 1 }, age: { value: 7, time: 1 } } };
    expect(summary(json(A, tuya))).toEqual(['age=7', 'name=Lily']);
    expect(json(A, tuya).find((f) => f.subtype === 'name')?.detail).toMatchObject({ key: 'child_name' });
    expect(summary(json(A, { data: { battery: { value: 7 } } }))).toEqual([]);
  });
});
