// A small offline map: country outlines from world-atlas (served by the dashboard itself, no tile server),
// projected with d3-geo into an SVG. It draws a revealed coordinate (`point`, `[lon, lat]`) on the whole world; a
// scan's located access points or towers (`places.points`, with accuracy circles) and its estimate, zoomed to them;
// and highlights the countries of `places.countries` (world-atlas ids are ISO 3166-1 numeric codes), zoomed to them
// when nothing else is placed.
import { geoCircle, geoEqualEarth, geoMercator, geoPath } from 'd3-geo';
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { feature } from 'topojson-client';
import { t } from '../i18n.js';

const W = 640;
const H = 330;
const PAD = 24;
/** Metres in a degree of latitude. */
const M_PER_DEG = 111_320;
/** The zoomed view shows at least this far around the estimate. */
const MIN_VIEW_M = 150;
/** Scale bar lengths to choose from, in metres. */
const SCALES = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000];
let countries;

function loadCountries() {
  countries ??= fetch('/static/countries-110m.json')
    .then((r) => r.json())
    .then((topo) => feature(topo, topo.objects.countries));
  return countries;
}

const circle = (p, m) =>
  geoCircle()
    .center([p.lon, p.lat])
    .radius(m / M_PER_DEG)();

/** What the view fits: the points' circles (at least MIN_VIEW_M around the estimate), else the highlighted countries. */
function focusOf(places, highlighted) {
  const points = places?.points ?? [];
  if (points.length > 0) {
    const around = places.estimate ?? points[0];
    return {
      type: 'GeometryCollection',
      geometries: [
        circle(around, Math.max(MIN_VIEW_M, around.accuracyM ?? 0)),
        ...points.map((p) => circle(p, p.accuracyM ?? 0)),
      ],
    };
  }
  if (highlighted.length > 0) return { type: 'FeatureCollection', features: highlighted };
  return { type: 'Sphere' };
}

export function WorldMap({ point, places }) {
  const [land, setLand] = useState(undefined);
  useEffect(() => {
    loadCountries().then(setLand);
  }, []);
  const ids = new Set((places?.countries ?? []).map((c) => c.numeric));
  const features = land?.features ?? [];
  const highlighted = features.filter((f) => ids.has(f.id));
  const inner = [
    [PAD, PAD],
    [W - PAD, H - PAD],
  ];
  // A scan's places on Mercator centred on them (circles stay round at street scale); countries and the world on
  // Equal Earth.
  const zoomed = (places?.points ?? []).length > 0;
  const projection = !places
    ? geoEqualEarth().fitSize([W, H], { type: 'Sphere' })
    : zoomed
      ? geoMercator().fitExtent(inner, focusOf(places, highlighted))
      : geoEqualEarth().fitExtent(inner, focusOf(places, highlighted));
  const path = geoPath(projection);
  const xy = point ? projection(point) : undefined;
  const located = places?.points ?? [];
  const est = places?.estimate;
  const estXy = est ? projection([est.lon, est.lat]) : undefined;
  return html`
    <svg class="map" id="map" viewBox=${`0 0 ${W} ${H}`} role="img" data-ready=${land ? 'true' : 'false'}>
      <path class="sphere" d=${path({ type: 'Sphere' })} />
      ${features.map((f) => html`<path class=${ids.has(f.id) ? 'country highlight' : 'country'} data-id=${f.id} d=${path(f)} />`)}
      ${xy ? html`<circle id="map-point" class="point" cx=${xy[0]} cy=${xy[1]} r="5" data-lonlat=${point.join(',')} />` : ''}
      ${located.map((p) => (p.accuracyM ? html`<path class="accuracy" d=${path(circle(p, p.accuracyM))} />` : ''))}
      ${est?.accuracyM ? html`<path class="accuracy estimate" d=${path(circle(est, est.accuracyM))} />` : ''}
      ${located.map((p) => {
        const [x, y] = projection([p.lon, p.lat]);
        const title = p.areaCells ? `${p.label} (${t('areaOfCells').replace('{n}', p.areaCells)})` : p.label;
        return html`<circle class=${`place ${p.kind}${p.areaCells ? ' area' : ''}`} cx=${x} cy=${y} r="4" data-lonlat=${`${p.lon},${p.lat}`}><title>${title}</title></circle>`;
      })}
      ${zoomed ? html`<${ScaleBar} projection=${projection} at=${est ?? located[0]} />` : ''}
      ${estXy ? html`<circle id="map-estimate" class="point" cx=${estXy[0]} cy=${estXy[1]} r="5" data-lonlat=${`${est.lon},${est.lat}`} />` : ''}
    </svg>
  `;
}

/** A bar of a round length (10 m … 50 km) between 60 and 150 pixels long, bottom left. */
function ScaleBar({ projection, at }) {
  const px = (m) => {
    const [x0] = projection([at.lon, at.lat]);
    const [x1] = projection([at.lon + m / (M_PER_DEG * Math.cos((at.lat * Math.PI) / 180)), at.lat]);
    return x1 - x0;
  };
  const m = SCALES.find((len) => px(len) >= 60) ?? SCALES.at(-1);
  const w = px(m);
  const y = H - 10;
  return html`<g class="scale" id="map-scale" data-metres=${m}>
    <path d=${`M${PAD},${y - 4}V${y}H${PAD + w}V${y - 4}`} />
    <text x=${PAD + w + 6} y=${y}>${m >= 1000 ? `${m / 1000} km` : `${m} m`}</text>
  </g>`;
}
