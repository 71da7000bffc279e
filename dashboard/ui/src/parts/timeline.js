// The overview's timeline: findings per category per time bucket (GET /api/timeline: the backend picks the bucket
// from the range), drawn by uPlot on a canvas — bundled, nothing fetched. Axis and grid colours come from the
// page's CSS variables and the chart is rebuilt when the theme changes, so dark and light both read; new data
// (the overview's live counter) goes into the chart in place.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { useJson } from '../api.js';
import { t } from '../i18n.js';

/** One colour per category, mid-tones that read on both themes. */
const COLORS = {
  voice: '#e8590c',
  face: '#d6336c',
  location: '#2f9e44',
  contacts: '#1c7ed6',
  identifiers: '#7950f2',
  'child-profile': '#f59f00',
  tls: '#868e96',
  'opaque-upload': '#15aabf',
};
const HEIGHT = 220;

/** A counter bumped when the theme (chosen, or the system's) changes. */
function useThemeRev() {
  const [rev, setRev] = useState(0);
  useEffect(() => {
    const bump = () => setRev((r) => r + 1);
    const observer = new MutationObserver(bump);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    const media = matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', bump);
    return () => {
      observer.disconnect();
      media.removeEventListener('change', bump);
    };
  }, []);
  return rev;
}

const two = (n) => String(n).padStart(2, '0');

/** Tick labels in UTC, 24-hour: `12-02` per day, else `HH:mm` with the date at midnight. */
function timeTicks(_u, splits, _axis, _space, incr) {
  return splits.map((s) => {
    const d = new Date(s * 1000);
    const day = `${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
    if (incr >= 86400) return day;
    const hm = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
    return hm === '00:00' ? `${day} ${hm}` : hm;
  });
}

function options(cats, bucketS, width) {
  const css = getComputedStyle(document.documentElement);
  const muted = css.getPropertyValue('--muted').trim();
  const line = css.getPropertyValue('--line').trim();
  const axis = { stroke: muted, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
  return {
    width,
    height: HEIGHT,
    // Ticks placed and labelled in UTC, like every time on the page.
    tzDate: (s) => uPlot.tzDate(new Date(s * 1000), 'Etc/UTC'),
    scales: {
      // One bucket alone still gets a visible span; counts start at 0 with a little room above the highest.
      x: { time: true, range: (_u, min, max) => (min === max ? [min - bucketS, max + bucketS] : [min, max]) },
      y: { range: (_u, _min, max) => [0, Math.ceil(Math.max(1, max) * 1.15)] },
    },
    axes: [
      { ...axis, values: timeTicks },
      { ...axis, values: (_u, ticks) => ticks.map((v) => (Number.isInteger(v) ? String(v) : '')) },
    ],
    series: [
      { label: t('time') },
      ...cats.map((c) => ({ label: c, stroke: COLORS[c] ?? muted, width: 2, points: { size: 6 } })),
    ],
  };
}

/** `15 min`, `6 h`, `1 d` */
function span(us) {
  const min = Math.round(us / 60e6);
  return min % 1440 === 0 ? `${min / 1440} d` : min % 60 === 0 ? `${min / 60} h` : `${min} min`;
}

export function Timeline({ rev }) {
  const { data } = useJson('/api/timeline', rev);
  const themeRev = useThemeRev();
  const box = useRef(null);
  const chart = useRef(undefined);
  const cats = Object.keys(data?.series ?? {}).sort();
  const shape = `${cats.join(',')}|${data?.bucketUs}|${themeRev}`;
  const points = data ? [data.ts.map((us) => us / 1e6), ...cats.map((c) => data.series[c])] : [];
  // Rebuilt when the categories, the bucket or the theme change; otherwise the new counts go in place.
  useEffect(() => {
    if (!data || !box.current || data.ts.length === 0) return undefined;
    const el = box.current;
    const u = new uPlot(options(cats, data.bucketUs / 1e6, el.clientWidth), points, el);
    chart.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      chart.current = undefined;
    };
  }, [shape]);
  useEffect(() => {
    chart.current?.setData(points);
  }, [data]);
  const empty = data && data.ts.length === 0;
  return html`
    <section>
      <h2>${t('timeline')} ${data ? html`<span class="note">${t('perBucket')} ${span(data.bucketUs)}</span>` : ''}</h2>
      ${empty ? html`<p class="note">${t('none')}</p>` : ''}
      <div id="timeline" class="timeline" ref=${box} data-series=${cats.join(',')}
        data-total=${cats.reduce((n, c) => n + data.series[c].reduce((a, b) => a + b, 0), 0)}></div>
    </section>
  `;
}
