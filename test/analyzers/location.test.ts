import { describe, expect, it } from 'vitest';
import { location, nmeaChecksumOk } from '../../analyzers/location.ts';
import { everySplit } from '../helpers/splits.ts';
import { json, run, summary } from './run.ts';

const A = [location];

describe('location', () => {
  it('pairs a latitude with a longitude of the same object, not of another object on the same path', () => {
    const ndjson = (lines: unknown[]) =>
      run(A, { contentType: 'application/x-ndjson', body: lines.map((l) => JSON.stringify(l)).join('\n') });
    expect(summary(ndjson([{ lat: 39.990464 }, { lon: 116.481488 }]))).toEqual([]);
    expect(summary(json(A, { p: { lat: 39.990464 }, q: { lon: 116.481488 } }))).toEqual([]);
    expect(
      summary(
        ndjson([
          { lat: 39.990464, lon: 116.481488 },
          { lat: 22.5431, lon: 114.0579 },
        ]),
      ),
    ).toEqual(['coordinates=22.5431,114.0579', 'coordinates=39.990464,116.481488']);
  });

  it('pairs lat/lon spellings within one object, JSON numbers or strings', () => {
    const f = json(A, { gps: { latitude: 39.990464, longitude: '116.481488' }, other: { lat: 31.2304 } });
    expect(summary(f)).toEqual(['coordinates=39.990464,116.481488']);
    expect(f[0]?.detail).toMatchObject({ decimals: 6, source: 'json' });
  });

  it('pairs across query strings and forms', () => {
    expect(summary(run(A, { url: '/report?lng=116.481&lat=39.990&battery=88' }))).toEqual([
      'coordinates=39.99,116.481',
    ]);
    const form = run(A, { contentType: 'application/x-www-form-urlencoded', body: 'gps_lat=22.5431&gps_lng=114.0579' });
    expect(summary(form)).toEqual(['coordinates=22.5431,114.0579']);
  });

  it('needs precision, range and a pair', () => {
    const f = json(A, {
      a: { lat: 39.9, lng: 116.4 },
      b: { lat: 139.99046, lng: 116.48148 },
      c: { lat: 39.99046 },
      d: { lng: 116.48148 },
      e: { lat: 0.0, lng: 0.0 },
    });
    expect(f).toEqual([]);
  });

  it('reads "lng,lat" strings and [lon, lat] arrays under location keys', () => {
    expect(summary(run(A, { url: '/v3/geocode/regeo?location=116.481488,39.990464&key=abc' }))).toEqual([
      'coordinates=116.481488,39.990464',
    ]);
    expect(summary(json(A, { geo: { coordinates: [116.4815, 39.9905] } }))).toEqual(['coordinates=116.4815,39.9905']);
  });

  it('finds Wi-Fi scan lists in AMap query strings and JSON arrays', () => {
    const macs = 'macs=e8:94:f6:00:00:01,-41,TP-LINK|e8:94:f6:00:00:02,-60,CMCC|e8:94:f6:00:00:03,-70,';
    const f = run(A, { url: `/position?accesstype=1&imei=352315052834187&${macs}&mmac=e8:94:f6:00:00:01,-41,TP-LINK` });
    expect(summary(f)).toEqual(['wifi-scan=e8:94:f6:00:00:01|e8:94:f6:00:00:02|e8:94:f6:00:00:03']);
    expect(f[0]?.detail?.accessPoints).toBe(3);
    // Every BSSID for the map, masked in detail and whole only in the stored evidence detail.
    expect(f[0]?.evidence.detail).toEqual({ bssids: 'e8:94:f6:00:00:01 e8:94:f6:00:00:02 e8:94:f6:00:00:03' });
    expect(String(f[0]?.detail?.bssids)).not.toContain('94:f6');
    const g = json(A, {
      considerIp: false,
      wifiAccessPoints: [
        { macAddress: '3c:37:86:5d:75:d4', signalStrength: -35 },
        { macAddress: '30:86:2d:c4:29:d0', signalStrength: -35 },
      ],
    });
    expect(g.map((x) => [x.subtype, x.detail?.accessPoints])).toEqual([['wifi-scan', 2]]);
  });

  it('keeps at most 32 BSSIDs of a long scan for the map, and counts them all', () => {
    const aps = Array.from({ length: 40 }, (_, i) => ({
      macAddress: `3c:37:86:5d:75:${i.toString(16).padStart(2, '0')}`,
      signalStrength: -40 - i,
    }));
    const [f] = json(A, { wifiAccessPoints: aps });
    expect(f?.detail?.accessPoints).toBe(40);
    const kept = String(f?.evidence.detail?.bssids).split(' ');
    expect(kept).toHaveLength(32);
    expect(kept[31]).toBe('3c:37:86:5d:75:1f');
  });

  it('one access point is not a scan', () => {
    expect(json(A, { wifi: [{ ssid: 'HomeNet', bssid: 'a4:2b:b0:11:22:33', rssi: -48 }] })).toEqual([]);
  });

  it('finds cell towers in bts/nearbts and cellTowers[]', () => {
    const f = run(A, { url: '/position?bts=460,0,4566,6758,-70&nearbts=460,0,4566,6759,-80|460,0,4566,6760,-90' });
    expect(f.map((x) => [x.subtype, x.evidence.value, x.detail?.towers])).toEqual([
      ['cell-tower', '460,0,4566,6758,-70', 3],
    ]);
    const g = json(A, {
      cellTowers: [{ mobileCountryCode: 460, mobileNetworkCode: 0, locationAreaCode: 4566, cellId: 6758 }],
    });
    expect(summary(g)).toEqual(['cell-tower=460,0,4566,6758']);
  });

  it('keeps every tower (up to 32) for the map, as personal detail', () => {
    const f = run(A, { url: '/position?bts=460,0,4566,6758,-70&nearbts=460,0,4566,6759,-80|460,0,4566,6760,-90' });
    expect(f[0]?.evidence.detail?.cells).toBe('460,0,4566,6758 460,0,4566,6759 460,0,4566,6760');
    const towers = Array.from({ length: 40 }, (_, i) => ({
      mobileCountryCode: 460,
      mobileNetworkCode: 0,
      locationAreaCode: 4566,
      cellId: 6000 + i,
    }));
    const g = json(A, { cellTowers: towers });
    expect(g[0]?.detail?.towers).toBe(40);
    expect(String(g[0]?.evidence.detail?.cells).split(' ')).toHaveLength(32);
  });

  it('finds NMEA sentences with a valid checksum only', () => {
    const good = '$GPGGA,092750.000,5321.6802,N,00630.3372,W,1,8,1.03,61.7,M,55.2,M,,*76';
    expect(nmeaChecksumOk(good)).toBe(true);
    const f = run(A, {
      contentType: 'text/plain',
      body: `${good}\r\n$GPGGA,092750.000,5321.6802,N,00630.3372,W,1,8,1.03,61.7,M,55.2,M,,*77\r\n`,
    });
    expect(f.map((x) => [x.subtype, x.detail?.sentences])).toEqual([['nmea', 1]]);
  });

  it('finds NMEA sent as a raw payload with no declared type (MQTT, raw TCP), at every split', () => {
    const rmc = '$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A';
    expect(nmeaChecksumOk(rmc)).toBe(true);
    const body = new TextEncoder().encode(`${rmc}\r\n`);
    for (const chunks of everySplit(body)) {
      expect(run(A, { body: chunks }).map((x) => [x.subtype, x.path])).toEqual([['nmea', '$']]);
    }
    // Random text with dollars in it, and a sentence whose checksum is wrong: no location.
    expect(run(A, { body: 'price $12.50, $GPRMC,123519,A,4807.038,N,01131.000,E,0,0,230394,,*00 $$' })).toEqual([]);
    expect(run(A, { contentType: 'application/octet-stream', body: rmc })).toHaveLength(1);
  });

  it('finds positions with hemisphere letters in free text (trackers and watches over raw TCP/UDP), at every split', () => {
    const cells = '4,255,460,1,9529,21809,158,9529,63555,133,9529,63554,129,9529,21405,126';
    const wifis = '3,home,3c:46:d8:2a:11:7e,-55,school,ac:84:c6:0d:27:91,-70,TP-LINK,50:bd:5f:41:8f:2a,-81';
    const ud = `UD,031226,071503,A,22.570733,N,113.8626083,E,0.00,249.5,0.0,6,100,84,0,0,00000000,${cells},${wifis},12.0`;
    const watch = `[3G*8800000015*${ud.length.toString(16).toUpperCase().padStart(4, '0')}*${ud}]`;
    const body = new TextEncoder().encode(`${watch}\n`);
    for (const chunks of everySplit(body)) {
      const f = run(A, { body: chunks });
      expect(f.map((x) => [x.subtype, x.evidence.value]).sort()).toEqual([
        ['cell-tower', '460,1,9529,21809'],
        ['coordinates', '22.570733,N,113.8626083,E'],
        ['wifi-scan', '3c:46:d8:2a:11:7e|ac:84:c6:0d:27:91|50:bd:5f:41:8f:2a'],
      ]);
      const c = f.find((x) => x.subtype === 'coordinates');
      expect(c?.evidence.detail).toMatchObject({ lat: 22.570733, lon: 113.862608 });
      expect(f.find((x) => x.subtype === 'cell-tower')?.detail?.towers).toBe(4);
    }
    const places = (text: string) =>
      run(A, { body: text })
        .filter((x) => x.subtype === 'coordinates')
        .map((x) => [x.evidence.detail?.lat, x.evidence.detail?.lon, x.detail?.form]);
    expect(places('*HQ,865205030012347,V1,071503,A,2233.8244,N,11351.7765,E,000.00,000,031226,FFFFFBFF#')).toEqual([
      [22.56374, 113.862942, 'ddmm'],
    ]);
    expect(places('fix N22.570733,E113.862608 ok')).toEqual([[22.570733, 113.862608, 'degrees']]);
    expect(places('pos 3352.1234S;15112.5678W;')).toEqual([[-33.868723, -151.209463, 'ddmm']]);
    // No letters, out of range, minutes past 59, 0,0, too few decimals, a wrong NMEA sentence: no position.
    for (const text of [
      'temp=22.570733,113.862608 ok',
      'at 99.123456,N,10.123456,E',
      'at 2275.0000,N,11351.7765,E',
      'at 0.000000,N,0.000000,E',
      'at 22.57,N,113.86,E',
      'x $GPRMC,123519,A,4807.038,N,01131.000,E,0,0,230394,,*00',
    ]) {
      expect(run(A, { body: text })).toEqual([]);
    }
    // One access point with its signal is no scan; a watch report without cells has no tower.
    expect(run(A, { body: 'WIFI,1,home,3c:46:d8:2a:11:7e,-55' })).toEqual([]);
    expect(
      run(A, { body: '[3G*8800000016*0046*UD,031226,072503,V,0.000000,N,0.000000,E,0,0,0,0,100,77,0,0,0,0,0,0,0]' }),
    ).toEqual([]);
  });

  it('finds geohashes by key', () => {
    expect(summary(json(A, { geohash: 'wx4g0bm6c', hash: 'wx4g0bm6c' }))).toEqual(['geohash=wx4g0bm6c']);
  });

  it('does not fire on telemetry that looks like coordinates', () => {
    const f = json(A, {
      battery: 81.235,
      temp: 36.615,
      fw: '116.481.488',
      ts: 1700000000.123,
      lat: 'N/A',
      level: 39.990464,
      volume: 116.481488,
    });
    expect(f).toEqual([]);
  });

  it('gives the same findings whatever the chunking', () => {
    const body = new TextEncoder().encode(
      JSON.stringify({
        loc: { lat: 22.54313, lon: 114.05786 },
        macs: 'e8:94:f6:00:00:01,-41,a|e8:94:f6:00:00:02,-60,b',
      }),
    );
    const want = summary(run(A, { contentType: 'application/json', body }));
    expect(want).toHaveLength(2);
    for (const chunks of everySplit(body)) {
      expect(summary(run(A, { contentType: 'application/json', body: chunks }))).toEqual(want);
    }
  });
});

describe('location in IoT property wrappers', () => {
  it('pairs `{"lat": {"value": …}, "lon": {"value": …}}` in the wrappers\' object', () => {
    const f = json(A, { data: { lat: { value: 31.2304, time: 1 }, lon: { value: 121.4737, time: 1 } } });
    expect(summary(f)).toEqual(['coordinates=31.2304,121.4737']);
    expect(f[0]?.path).toBe('$.data');
  });
});
