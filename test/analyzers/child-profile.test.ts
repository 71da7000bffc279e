import { describe, expect, it } from 'vitest';
import { childProfile } from '../../analyzers/child-profile.ts';
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

  it('finds a photo sent as a multipart file under a photo field', () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108020000009077', 'hex');
    const b = 'XyZb0undary';
    const body = Buffer.concat([
      Buffer.from(
        `--${b}\r\nContent-Disposition: form-data; name="avatar"; filename="kid.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      png,
      Buffer.from(`\r\n--${b}--\r\n`),
    ]);
    const f = run(A, { contentType: `multipart/form-data; boundary=${b}`, body });
    expect(f.map((x) => [x.subtype, x.evidence.value, x.detail?.bytes])).toEqual([['photo', 'kid.png', png.length]]);
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
