// Overview: devices, the device × destination × category matrix (third parties highlighted), the timeline of
// findings per category (parts/timeline.js), the latest findings arriving live, and experiments to start and stop.
// Summaries are refetched (throttled) as the live feed reports commits; the latest findings are prepended straight
// from the feed.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { postJson, useJson, useLive, useLiveRev } from '../api.js';
import { count, utc } from '../format.js';
import { t } from '../i18n.js';
import { Device } from '../parts/device.js';
import { lazy } from '../parts/lazy.js';
import { href } from '../route.js';
import { FindingTable } from './finding-table.js';

/** The timeline's chart (uPlot) is a chunk of its own: the findings page, opened first as often, never loads it. */
const Timeline = lazy(() => import('../parts/timeline.js').then((m) => m.Timeline));

const LATEST = 20;

function Devices({ rev }) {
  const { data } = useJson('/api/devices', rev);
  const items = data?.items ?? [];
  return html`
    <section>
      <h2>${t('devices')}</h2>
      <table id="devices">
        <thead><tr><th>${t('device')}</th><th>${t('count')}</th><th>${t('flowsCount')}</th><th>${t('lastSeen')}</th><th>${t('report')}</th></tr></thead>
        <tbody>
          ${items.map(
            (d) => html`<tr>
              <td><a href=${href('findings', { device: d.id })}>${d.name ?? d.id}</a></td>
              <td class="num">${count(d.findings)}</td>
              <td class="num">${count(d.flows)}</td>
              <td>${utc(d.lastTs)}</td>
              <td><a href=${href('report', { device: d.id })}>${t('report')}</a></td>
            </tr>`,
          )}
        </tbody>
      </table>
    </section>
  `;
}

/** Rows: device + destination host; columns: the categories any row received. */
function Matrix({ rev }) {
  const { data } = useJson('/api/destinations', rev);
  const rows = (data?.items ?? []).filter((r) => Object.keys(r.categories ?? {}).length > 0);
  const cats = [...new Set(rows.flatMap((r) => Object.keys(r.categories)))].sort();
  return html`
    <section>
      <h2>${t('matrix')} <span class="note">${t('matrixNote')}</span></h2>
      <div class="scroll">
        <table id="matrix" class="matrix">
          <thead><tr><th>${t('device')}</th><th>${t('destination')}</th>${cats.map((c) => html`<th>${c}</th>`)}<th>${t('lastSeen')}</th></tr></thead>
          <tbody>
            ${rows.map(
              (r) => html`<tr class=${r.thirdParty ? 'third' : ''}>
                <td><${Device} id=${r.deviceId} /></td>
                <td>${r.host}${r.thirdParty ? html` <span class="tag third">${t('thirdParty')}</span>` : ''}</td>
                ${cats.map((c) => {
                  const n = r.categories[c];
                  return html`<td class="num">${n ? html`<a href=${href('findings', { device: r.deviceId, host: r.host, category: c })}>${count(n)}</a>` : ''}</td>`;
                })}
                <td>${utc(r.lastTs)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </section>
  `;
}

function Latest() {
  const { data } = useJson(`/api/findings?limit=${LATEST}`);
  const [fresh, setFresh] = useState([]);
  useLive((type, f) => {
    if (type === 'finding') setFresh((xs) => [f, ...xs.filter((x) => x.id !== f.id)].slice(0, LATEST));
  });
  const seen = new Set(fresh.map((f) => f.id));
  const items = [...fresh, ...(data?.items ?? []).filter((f) => !seen.has(f.id))].slice(0, LATEST);
  return html`
    <section>
      <h2>${t('latest')}</h2>
      <${FindingTable} id="latest" items=${items} />
    </section>
  `;
}

function Experiments({ rev }) {
  const [bump, setBump] = useState(0);
  const { data } = useJson('/api/experiments', rev + bump);
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const act = (p) =>
    p.then(
      () => setBump((b) => b + 1),
      (e) => setError(String(e.message)),
    );
  const running = (data?.items ?? []).filter((x) => x.endTs === undefined);
  return html`
    <section>
      <h2>${t('experiments')}</h2>
      <form class="inline" onSubmit=${(e) => {
        e.preventDefault();
        if (name) act(postJson('/api/experiments', { name }));
      }}>
        <input aria-label=${t('name')} placeholder=${t('name')} value=${name} onInput=${(e) => setName(e.currentTarget.value)} />
        <button type="submit">${t('start')}</button>
        <span class="error">${error}</span>
      </form>
      <ul>
        ${running.map(
          (x) => html`<li>${x.name} · ${utc(x.startTs)}
            <button type="button" onClick=${() => act(postJson(`/api/experiments/${encodeURIComponent(x.name)}/stop`))}>${t('stop')}</button></li>`,
        )}
      </ul>
    </section>
  `;
}

export function Overview() {
  const rev = useLiveRev();
  return html`
    <${Devices} rev=${rev} />
    <${Matrix} rev=${rev} />
    <${Timeline} rev=${rev} />
    <${Latest} />
    <${Experiments} rev=${rev} />
  `;
}
