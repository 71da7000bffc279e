import { describe, expect, it } from 'vitest';
import {
  catalogue,
  globToRegExp,
  operatorOf,
  operatorOfRequest,
  parseCatalogue,
  pathGlobToRegExp,
  topicGlobToRegExp,
} from '../../../analyzers/lib/services.ts';
import type { MessageHead } from '../../../src/model/message.ts';

describe('services catalogue', () => {
  it('names the operators of known cloud hosts', () => {
    expect(operatorOf('nls-gateway-cn-shanghai.aliyuncs.com')).toBe('Alibaba NLS');
    expect(operatorOf('apilocate.amap.com')).toBe('AMap (Gaode)');
    expect(operatorOf('api.map.baidu.com')).toBe('Baidu Maps');
    expect(operatorOf('a1b2c3.iot-as-mqtt.cn-shanghai.aliyuncs.com')).toBe('Alibaba Cloud IoT');
    expect(operatorOf('a3k7odshaiipe8-ats.iot.eu-west-1.amazonaws.com')).toBe('AWS IoT Core');
    expect(operatorOf('transcribestreaming.us-east-1.amazonaws.com')).toBe('Amazon Transcribe');
    expect(operatorOf('IOT.TUYACN.COM.')).toBe('Tuya');
    expect(operatorOf('api.xiaoyu-toys.com')).toBeUndefined();
    expect(operatorOf('oss-cn-hangzhou.aliyuncs.com')).toBeUndefined();
  });

  it('names public resolvers a device reaches over DNS-over-HTTPS or DNS-over-TLS, as kind dns', () => {
    for (const [host, operator] of [
      ['dns.google', 'Google Public DNS'],
      ['cloudflare-dns.com', 'Cloudflare 1.1.1.1'],
      ['security.cloudflare-dns.com', 'Cloudflare 1.1.1.1'],
      ['dns.alidns.com', 'Alibaba Cloud Public DNS'],
    ]) {
      expect(catalogue().serviceOf(host!)).toMatchObject({ operator, kind: 'dns' });
    }
  });

  it('covers every kind the issue asks for, each entry with a source and a date', () => {
    const kinds = new Set(catalogue().services.map((s) => s.kind));
    for (const k of ['speech', 'face', 'geolocation', 'iot', 'analytics', 'ads'])
      expect(kinds.has(k as never)).toBe(true);
    for (const s of catalogue().services) expect(s.source).toMatch(/^https:\/\//);
  });

  it('matches globs by whole labels', () => {
    expect(globToRegExp('*.amap.com').test('a.b.amap.com')).toBe(true);
    expect(globToRegExp('*.amap.com').test('amap.com')).toBe(false);
    expect(globToRegExp('*.amap.com').test('evilamap.com')).toBe(false);
    expect(globToRegExp('transcribe.*.amazonaws.com').test('transcribe.a.b.amazonaws.com')).toBe(false);
    expect(globToRegExp('nls-gateway*.aliyuncs.com').test('nls-gateway-ap-southeast-1.aliyuncs.com')).toBe(true);
  });

  it('prefers the most specific glob and rejects malformed entries', () => {
    const c = parseCatalogue(`services:
  - { operator: Wide, country: CN, kind: iot, hosts: ["*.example.com"], source: s, date: "2026-01-01" }
  - { operator: Narrow, country: CN, kind: speech, hosts: ["asr.example.com"], source: s, date: "2026-01-01" }`);
    expect(c.serviceOf('asr.example.com')?.operator).toBe('Narrow');
    expect(c.serviceOf('x.example.com')?.operator).toBe('Wide');
    expect(() =>
      parseCatalogue(
        'services:\n  - { operator: X, country: CN, kind: toys, hosts: [a], source: s, date: "2026-01-01" }',
      ),
    ).toThrow(/unknown kind/);
    expect(() =>
      parseCatalogue(
        'services:\n  - { operator: X, country: CN, kind: iot, hosts: [], source: s, date: "2026-01-01" }',
      ),
    ).toThrow(/hosts/);
  });
});

/** An upload head: `GET /path?query` with headers given as an object. */
function req(method: string, url: string, headers: Record<string, string> = {}): MessageHead {
  return { msgId: 1, direction: 'upload', protocol: 'http', method, url, headers: Object.entries(headers) };
}

/** An MQTT PUBLISH from the device on `topic`. */
function pub(topic: string): MessageHead {
  return { msgId: 1, direction: 'upload', protocol: 'mqtt', headers: [], mqtt: { packet: 'publish', topic, qos: 1 } };
}

/** An MQTT SUBSCRIBE from the device to `filters`, as src/streams/mqtt.ts announces it. */
function sub(...filters: string[]): MessageHead {
  const headers = filters.map((f) => ['topic-filter', f] as const);
  return {
    msgId: 1,
    direction: 'upload',
    protocol: 'mqtt',
    headers,
    mqtt: { packet: 'subscribe', topic: filters.join(', ') },
  };
}

const VOLC_V3 = {
  'X-Api-App-Key': '123456789',
  'X-Api-Access-Key': 'ak',
  'X-Api-Resource-Id': 'volc.bigasr.sauc.duration',
};
const IFLYTEK_Q = 'authorization=YXBpX2tleQ%3D%3D&date=Thu%2C%2001%20Aug&host=iat-api.xfyun.cn';
const TC3 = { authorization: 'TC3-HMAC-SHA256 Credential=AKID/2026-11-23/asr/tc3_request' };

/** One case per request matcher in services.yaml: a head it names, and a near miss it must not. */
const MATCHER_CASES: Array<{ operator: string; shape: string; hit: MessageHead; miss: MessageHead }> = [
  {
    operator: 'iFlytek',
    shape: 'IAT websocket',
    hit: req('GET', `/v2/iat?${IFLYTEK_Q}`, { upgrade: 'websocket' }),
    miss: req('GET', '/v2/iat?authorization=x&host=iat-api.xfyun.cn'),
  },
  {
    operator: 'iFlytek',
    shape: 'TTS websocket',
    hit: req('GET', `wss://tts.toy.example/v2/tts?${IFLYTEK_Q}`),
    miss: req('GET', `/v2/tts/extra?${IFLYTEK_Q}`),
  },
  {
    operator: 'Baidu Speech',
    shape: 'server_api',
    hit: req('POST', '/server_api?dev_pid=1537&cuid=toy&token=24.abc'),
    miss: req('GET', '/server_api'),
  },
  { operator: 'Baidu Speech', shape: 'pro_api', hit: req('POST', '/pro_api'), miss: req('PUT', '/pro_api') },
  {
    operator: 'Baidu Speech',
    shape: 'text2audio POST',
    hit: req('POST', '/text2audio'),
    miss: req('POST', '/text2audio/v2'),
  },
  {
    operator: 'Baidu Speech',
    shape: 'text2audio GET',
    hit: req('GET', '/text2audio?tex=%E4%BD%A0%E5%A5%BD&tok=24.abc&cuid=toy&ctp=1&lan=zh'),
    miss: req('GET', '/text2audio?tex=hello'),
  },
  {
    operator: 'Baidu AI Cloud',
    shape: 'face v3 detect/match/search',
    hit: req('POST', '/rest/2.0/face/v3/search?access_token=24.abc'),
    miss: req('POST', '/rest/2.0/face/v3/delete?access_token=24.abc'),
  },
  {
    operator: 'Baidu AI Cloud',
    shape: 'face library',
    hit: req('POST', '/rest/2.0/face/v3/faceset/user/add?access_token=24.abc'),
    miss: req('POST', '/rest/2.0/face/v3/faceset/user/add'),
  },
  {
    operator: 'Alibaba NLS',
    shape: 'ws/v1 with X-NLS-Token',
    hit: req('GET', '/ws/v1', { 'X-NLS-Token': 'a1b2c3' }),
    miss: req('GET', '/ws/v1', { 'X-Token': 'a1b2c3' }),
  },
  {
    operator: 'Alibaba NLS',
    shape: 'ws/v1 with token query',
    hit: req('GET', '/ws/v1?token=a1b2c3'),
    miss: req('GET', '/ws/v2?token=a1b2c3'),
  },
  {
    operator: 'Alibaba NLS',
    shape: 'stream/v1 with appkey',
    hit: req('POST', '/stream/v1/asr?appkey=k&format=pcm&sample_rate=16000'),
    miss: req('POST', '/stream/v1/asr?format=pcm'),
  },
  {
    operator: 'Alibaba NLS',
    shape: 'stream/v1 with X-NLS-Token',
    hit: req('POST', '/stream/v1/FlashRecognizer', { 'x-nls-token': 't' }),
    miss: req('POST', '/stream/v1/other', { 'x-nls-token': 't' }),
  },
  {
    operator: 'Tencent Cloud ASR',
    shape: 'API 3.0 X-TC-Action',
    hit: req('POST', '/', { 'X-TC-Action': 'SentenceRecognition', 'X-TC-Version': '2019-06-14', ...TC3 }),
    miss: req('POST', '/', { 'X-TC-Action': 'DescribeRegions' }),
  },
  {
    operator: 'Tencent Cloud ASR',
    shape: 'real-time ASR websocket',
    hit: req('GET', '/asr/v2/1259228442?engine_model_type=16k_zh&voice_id=c64385ee&signature=abc&secretid=AKID'),
    miss: req('GET', '/asr/v2/1259228442?engine_model_type=16k_zh&voice_id=c64385ee'),
  },
  {
    operator: 'Tencent Cloud Face',
    shape: 'API 3.0 X-TC-Action',
    hit: req('POST', '/', { 'X-TC-Action': 'DetectFace', ...TC3 }),
    miss: req('GET', '/', { 'X-TC-Action': 'DetectFace' }),
  },
  {
    operator: 'Face++ (Megvii)',
    shape: 'facepp v3',
    hit: req('POST', '/facepp/v3/detect'),
    miss: req('GET', '/facepp/v3/detect'),
  },
  {
    operator: 'Amazon Transcribe',
    shape: 'X-Amz-Target Transcribe.*',
    hit: req('POST', '/', { 'X-Amz-Target': 'Transcribe.StartTranscriptionJob' }),
    miss: req('POST', '/', { 'X-Amz-Target': 'DynamoDB_20120810.PutItem' }),
  },
  {
    operator: 'Amazon Transcribe',
    shape: 'HTTP/2 stream-transcription',
    hit: req('POST', '/stream-transcription', { 'x-amzn-transcribe-sample-rate': '16000' }),
    miss: req('POST', '/stream-transcription'),
  },
  {
    operator: 'Amazon Transcribe',
    shape: 'websocket stream-transcription',
    hit: req('GET', '/stream-transcription-websocket?language-code=en-US&media-encoding=pcm&sample-rate=16000'),
    miss: req('GET', '/stream-transcription-websocket?language-code=en-US'),
  },
  {
    operator: 'AWS Rekognition',
    shape: 'X-Amz-Target RekognitionService.*',
    hit: req('POST', '/', { 'x-amz-target': 'RekognitionService.DetectFaces' }),
    miss: req('POST', '/', { 'x-amz-target': 'Rekognition.DetectFaces' }),
  },
  {
    operator: 'AMap (Gaode)',
    shape: 'geocode',
    hit: req('GET', '/v3/geocode/regeo?key=abc&location=116.48,39.99'),
    miss: req('GET', '/v3/geocode/regeo/x?key=abc'),
  },
  {
    operator: 'AMap (Gaode)',
    shape: 'hardware location',
    hit: req('GET', '/position?accesstype=1&imei=352315052834187&macs=aa:bb:cc:dd:ee:ff,-50,wifi&key=abc'),
    miss: req('GET', '/position?accesstype=1'),
  },
  {
    operator: 'Google Geolocation',
    shape: 'geolocate',
    hit: req('POST', '/geolocation/v1/geolocate?key=AIza'),
    miss: req('POST', '/geolocation/v1/geolocate'),
  },
  {
    operator: 'Tuya',
    shape: 'd.json atop',
    hit: req('POST', '/d.json?a=tuya.device.timer.count&devId=bf7e&et=1&t=1657046157&v=4.0&sign=04f9'),
    miss: req('POST', '/d.json?a=tuya.device.timer.count&devId=bf7e'),
  },
  {
    operator: 'Tuya',
    shape: 'TuyaLink MQTT topic',
    hit: pub('tylink/26b7b1f3a5c2d8e4f9xyz1/thing/property/report'),
    miss: pub('tylink/26b7b1f3a5c2d8e4f9xyz1/status'),
  },
  {
    operator: 'Volcengine Speech',
    shape: 'v2 streaming ASR',
    hit: req('GET', '/api/v2/asr', { Authorization: 'Bearer; FYaWxBiJnuh-0KBTS00KCo73rxmDnalivd1UDSD-W5E=' }),
    miss: req('GET', '/api/v2/asr', { Authorization: 'Bearer FYaWxBiJnuh' }),
  },
  {
    operator: 'Volcengine Speech',
    shape: 'v1 TTS over HTTP',
    hit: req('POST', '/api/v1/tts', { authorization: 'Bearer;token' }),
    miss: req('GET', '/api/v1/tts', { authorization: 'Bearer;token' }),
  },
  {
    operator: 'Volcengine Speech',
    shape: 'v3 big-model streaming ASR',
    hit: req('GET', '/api/v3/sauc/bigmodel_nostream', { ...VOLC_V3, 'X-Api-Connect-Id': 'uuid' }),
    miss: req('GET', '/api/v3/sauc/bigmodel', { ...VOLC_V3, 'X-Api-Resource-Id': 'other.resource' }),
  },
  {
    operator: 'Volcengine Speech',
    shape: 'v3 big-model file ASR',
    hit: req('POST', '/api/v3/auc/bigmodel/submit', { ...VOLC_V3, 'X-Api-Resource-Id': 'volc.bigasr.auc' }),
    miss: req('POST', '/api/v3/auc/bigmodel/submit', { 'X-Api-App-Key': '123456789' }),
  },
  {
    operator: 'Azure Speech',
    shape: 'short-audio STT with language',
    hit: req('POST', '/speech/recognition/conversation/cognitiveservices/v1?language=zh-CN&format=detailed'),
    miss: req('POST', '/speech/recognition/conversation/cognitiveservices/v2?language=zh-CN'),
  },
  {
    operator: 'Azure Speech',
    shape: 'short-audio STT with subscription key',
    hit: req('POST', '/speech/recognition/interactive/cognitiveservices/v1', { 'Ocp-Apim-Subscription-Key': 'k' }),
    miss: req('POST', '/speech/recognition/meeting/cognitiveservices/v1', { 'Ocp-Apim-Subscription-Key': 'k' }),
  },
  {
    operator: 'Azure Speech',
    shape: 'TTS',
    hit: req('POST', '/cognitiveservices/v1', { 'X-Microsoft-OutputFormat': 'riff-16khz-16bit-mono-pcm' }),
    miss: req('POST', '/cognitiveservices/v1', { 'Content-Type': 'application/ssml+xml' }),
  },
  {
    operator: 'Azure Face',
    shape: 'face v1.0 detect',
    hit: req('POST', '/face/v1.0/detect?returnFaceId=false&detectionModel=detection_03', {
      'Ocp-Apim-Subscription-Key': 'k',
    }),
    miss: req('POST', '/face/v1.0/detect', { Authorization: 'Bearer eyJ0' }),
  },
  {
    operator: 'Baidu Maps',
    shape: 'IP location',
    hit: req('GET', '/location/ip?ip=111.206.214.37&coor=bd09ll&ak=E4805d16'),
    miss: req('GET', '/location/ip?ip=111.206.214.37'),
  },
  {
    operator: 'Baidu Maps',
    shape: 'geocoding v3',
    hit: req('GET', '/geocoding/v3/?address=%E5%8C%97%E4%BA%AC&output=json&ak=E4805d16'),
    miss: req('GET', '/geocoding/v2/?address=x&ak=E4805d16'),
  },
  {
    operator: 'Baidu Maps',
    shape: 'reverse geocoding v3',
    hit: req('GET', '/reverse_geocoding/v3?ak=E4805d16&output=json&coordtype=wgs84ll&location=31.2256,121.4988'),
    miss: req('GET', '/reverse_geocoding/v3/?location=31.2256,121.4988'),
  },
  {
    operator: 'Baidu Maps',
    shape: 'hardware location',
    hit: req('POST', '/locapi/v2?ver=1.0&trace=false&prod=toy&src=toy&key=E4805d16'),
    miss: req('GET', '/locapi/v2'),
  },
  {
    operator: 'Alibaba Cloud IoT',
    shape: 'thing topics',
    hit: pub('/sys/a1B2c3D4e5F/toy-001/thing/event/property/post'),
    miss: pub('/sys/a1B2c3D4e5F/toy-001/event/property/post'),
  },
  {
    operator: 'Alibaba Cloud IoT',
    shape: 'OTA topics',
    hit: pub('/ota/device/inform/a1B2c3D4e5F/toy-001'),
    miss: pub('/ota/device/inform/a1B2c3D4e5F'),
  },
  {
    operator: 'Alibaba Cloud IoT',
    shape: 'default custom topics',
    hit: sub('/a1B2c3D4e5F/toy-001/user/get'),
    miss: pub('/a1B2c3D4e5F/toy-001/user/chat'),
  },
  {
    operator: 'AWS IoT Core',
    shape: 'device shadow',
    hit: pub('$aws/things/toy-001/shadow/name/location/update'),
    miss: pub('aws/things/toy-001/shadow/update'),
  },
  {
    operator: 'AWS IoT Core',
    shape: 'jobs',
    hit: sub('$aws/things/toy-001/jobs/notify-next', '$aws/things/toy-001/jobs/get/accepted'),
    miss: pub('$aws/things/toy-001/job/get'),
  },
];

describe('request-shape matchers', () => {
  for (const c of MATCHER_CASES) {
    it(`${c.operator}: ${c.shape}`, () => {
      expect(operatorOfRequest(c.hit)).toBe(c.operator);
      expect(operatorOfRequest(c.miss)).toBeUndefined();
    });
  }

  it('has a case above for every matcher in services.yaml', () => {
    for (const s of catalogue().services) {
      const cases = MATCHER_CASES.filter((c) => c.operator === s.operator).length;
      expect({ operator: s.operator, matchers: s.requests?.length ?? 0 }).toEqual({
        operator: s.operator,
        matchers: cases,
      });
    }
  });

  it('reads only upload heads with a URL, and absolute-form targets by their path', () => {
    const hit = MATCHER_CASES[0]?.hit as MessageHead;
    expect(operatorOfRequest({ ...hit, direction: 'download' })).toBeUndefined();
    expect(operatorOfRequest({ msgId: 2, direction: 'upload', protocol: 'websocket', headers: [] })).toBeUndefined();
    expect(operatorOfRequest(req('GET', `http://10.0.0.5:8080/v2/iat?${IFLYTEK_Q}#frag`))).toBe('iFlytek');
    expect(operatorOfRequest(req('GET', `/v2/iat?x=http://a/b&${IFLYTEK_Q}`))).toBe('iFlytek');
  });

  it('reads topics of MQTT uploads only, and only against topic matchers', () => {
    const topic = '/sys/a1B2c3D4e5F/toy-001/thing/event/property/post';
    expect(operatorOfRequest({ ...pub(topic), direction: 'download' })).toBeUndefined();
    expect(operatorOfRequest(req('POST', topic))).toBeUndefined();
    expect(operatorOfRequest({ ...pub('x'), mqtt: { packet: 'publish' } })).toBeUndefined();
    const connect: MessageHead = {
      msgId: 1,
      direction: 'upload',
      protocol: 'mqtt',
      headers: [['client-id', 'a1B2c3D4e5F.toy-001|securemode=2|']],
      mqtt: { packet: 'connect', clientId: 'a1B2c3D4e5F.toy-001|securemode=2|' },
    };
    expect(operatorOfRequest(connect)).toBeUndefined();
    // A SUBSCRIBE names the service when any of its filters fits; an MQTT head never fits an HTTP shape.
    expect(operatorOfRequest(sub('devices/toy-001/cmd', '$aws/things/toy-001/shadow/update/delta'))).toBe(
      'AWS IoT Core',
    );
    expect(operatorOfRequest({ ...pub('/v2/iat'), url: `/v2/iat?${IFLYTEK_Q}` })).toBeUndefined();
  });

  it('compiles topic globs level by level', () => {
    const thing = topicGlobToRegExp('/sys/+/+/thing/#');
    expect(thing.test('/sys/pk/dn/thing')).toBe(true);
    expect(thing.test('/sys/pk/dn/thing/event/property/post')).toBe(true);
    expect(thing.test('/sys/pk/dn/things/event')).toBe(false);
    expect(thing.test('/sys/pk//thing/event')).toBe(false);
    expect(thing.test('/sys/pk/x/dn/thing/event')).toBe(false);
    expect(topicGlobToRegExp('$aws/things/*/shadow/get').test('$aws/things/t1/shadow/get')).toBe(true);
    expect(topicGlobToRegExp('$aws/things/*/shadow/get').test('xaws/things/t1/shadow/get')).toBe(false);
    expect(topicGlobToRegExp('a/{b,c}/d').test('a/c/d')).toBe(true);
    expect(topicGlobToRegExp('a/{b,c}/d').test('a/bc/d')).toBe(false);
  });

  it('accepts a topic alone and rejects malformed topics', () => {
    const entry = (requests: string) =>
      `services:\n  - { operator: X, country: CN, kind: iot, hosts: [a], source: s, date: "2026-01-01", requests: ${requests} }`;
    expect(
      parseCatalogue(entry('[{ topic: "dev/+/up", source: s }]')).serviceOfRequest(pub('dev/1/up'))?.operator,
    ).toBe('X');
    const bad: Array<[string, RegExp]> = [
      ['[{ topic: "dev/+/up", path: /x, source: s }]', /cannot be combined/],
      ['[{ topic: "dev/+/up", headers: { a: "*" }, source: s }]', /cannot be combined/],
      ['[{ topic: "", source: s }]', /non-empty topic glob/],
      ['[{ topic: 7, source: s }]', /non-empty topic glob/],
      ['[{ topic: "dev/#/up", source: s }]', /whole last topic level/],
      ['[{ topic: "dev/a#", source: s }]', /whole last topic level/],
      ['[{ topic: "dev/x+/up", source: s }]', /whole level/],
      ['[{ topic: "+/+/#", source: s }]', /literal level/],
      ['[{ topic: "dev/+/up" }]', /`source` missing/],
    ];
    for (const [requests, why] of bad) expect(() => parseCatalogue(entry(requests)), requests).toThrow(why);
  });

  it('prefers the matcher with the most conditions', () => {
    const c = parseCatalogue(`services:
  - { operator: Loose, country: CN, kind: iot, hosts: [a.example], source: s, date: "2026-01-01",
      requests: [{ method: POST, path: /api, source: s }] }
  - { operator: Tight, country: CN, kind: speech, hosts: [b.example], source: s, date: "2026-01-01",
      requests: [{ method: POST, path: /api, query: [sig], source: s }] }`);
    expect(c.serviceOfRequest(req('POST', '/api?sig=1'))?.operator).toBe('Tight');
    expect(c.serviceOfRequest(req('post', '/api'))?.operator).toBe('Loose');
    // Method and path are remembered, query keys and headers are checked again on every request.
    expect(c.serviceOfRequest(req('POST', '/api?sig=2'))?.operator).toBe('Tight');
    expect(c.serviceOfRequest(req('POST', '/api?other=1'))?.operator).toBe('Loose');
  });

  it('rejects malformed matchers', () => {
    const entry = (requests: string) =>
      `services:\n  - { operator: X, country: CN, kind: iot, hosts: [a], source: s, date: "2026-01-01", requests: ${requests} }`;
    const bad: Array<[string, RegExp]> = [
      ['{ a: b }', /must be a list/],
      ['[{ path: /x, source: s }]', /at least two/],
      ['[{ path: /x, method: POST }]', /`source` missing/],
      ['[{ path: /x, method: POST, body: y, source: s }]', /unknown key body/],
      ['[{ path: x, method: POST, source: s }]', /path/],
      ['[{ path: /x, method: post, source: s }]', /method/],
      ['[{ path: /x, query: [], source: s }]', /query/],
      ['[{ path: /x, headers: { X-Token: "*" }, source: s }]', /lower case/],
      ['[{ path: /x, headers: { x-token: "" }, source: s }]', /value glob/],
      ['[{ path: /x, headers: {}, source: s }]', /headers/],
      ['[plain]', /not a mapping/],
    ];
    for (const [requests, why] of bad) expect(() => parseCatalogue(entry(requests)), requests).toThrow(why);
  });

  it('compiles path globs within one segment, with alternatives', () => {
    expect(pathGlobToRegExp('/v3/geocode/*').test('/v3/geocode/geo')).toBe(true);
    expect(pathGlobToRegExp('/v3/geocode/*').test('/v3/geocode/a/b')).toBe(false);
    expect(pathGlobToRegExp('/face/{detect,match}').test('/face/match')).toBe(true);
    expect(pathGlobToRegExp('/face/{detect,match}').test('/face/matches')).toBe(false);
    expect(pathGlobToRegExp('/d.json').test('/dxjson')).toBe(false);
  });
});
