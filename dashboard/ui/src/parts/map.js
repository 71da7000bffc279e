// A small offline world map: country outlines from world-atlas (served by the dashboard itself, no tile server),
// projected with d3-geo into an SVG, and a point where a revealed coordinate lies. `point` is `[lon, lat]`.
import { geoEqualEarth, geoPath } from 'd3-geo';
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { feature } from 'topojson-client';

const W = 640;
const H = 330;
let countries;

function loadCountries() {
  countries ??= fetch('/static/countries-110m.json')
    .then((r) => r.json())
    .then((topo) => feature(topo, topo.objects.countries));
  return countries;
}

export function WorldMap({ point }) {
  const [land, setLand] = useState(undefined);
  useEffect(() => {
    loadCountries().then(setLand);
  }, []);
  const projection = geoEqualEarth().fitSize([W, H], { type: 'Sphere' });
  const path = geoPath(projection);
  const xy = point ? projection(point) : undefined;
  return html`
    <svg class="map" id="map" viewBox=${`0 0 ${W} ${H}`} role="img" data-ready=${land ? 'true' : 'false'}>
      <path class="sphere" d=${path({ type: 'Sphere' })} />
      ${(land?.features ?? []).map((f) => html`<path class="country" d=${path(f)} />`)}
      ${xy ? html`<circle id="map-point" class="point" cx=${xy[0]} cy=${xy[1]} r="5" data-lonlat=${point.join(',')} />` : ''}
    </svg>
  `;
}
