// Findings: every filter the backend has (device, category, host, party, encrypted, experiment, capture, time),
// kept in the URL; pages of 100 fetched by keyset cursor ("load more" asks for the next one), with the total from
// the backend's summary rows when it has one.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson, useJson } from '../api.js';
import { count } from '../format.js';
import { t } from '../i18n.js';
import { href } from '../route.js';
import { FindingTable } from './finding-table.js';

const PAGE = 100;
const CATEGORIES = ['voice', 'face', 'location', 'contacts', 'identifiers', 'child-profile', 'opaque-upload', 'tls'];
const FILTERS = ['device', 'category', 'host', 'thirdParty', 'encrypted', 'experiment', 'capture', 'since', 'until'];

/** The API query of the page's URL query (datetime-local values become µs). */
function apiQuery(query) {
  const q = new URLSearchParams({ limit: String(PAGE) });
  for (const k of FILTERS) {
    const v = query.get(k);
    if (!v) continue;
    q.set(k, k === 'since' || k === 'until' ? String(Date.parse(`${v}Z`) * 1000) : v);
  }
  return q.toString();
}

function Select({ name, value, options, label, onChange }) {
  return html`<label>${label}
    <select name=${name} value=${value ?? ''} onChange=${(e) => onChange(name, e.currentTarget.value)}>
      <option value="">${t('any')}</option>
      ${options.map(([v, l]) => html`<option value=${v}>${l}</option>`)}
    </select></label>`;
}

function Filters({ query }) {
  const devices = useJson('/api/devices').data?.items ?? [];
  const experiments = useJson('/api/experiments').data?.items ?? [];
  const captures = useJson('/api/captures').data?.items ?? [];
  const current = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? '']));
  const set = (k, v) => {
    location.hash = href('findings', { ...current, [k]: v });
  };
  return html`
    <form class="filters" id="filters" onSubmit=${(e) => e.preventDefault()}>
      <${Select} name="device" label=${t('device')} value=${current.device} onChange=${set} options=${devices.map((d) => [d.id, d.name ?? d.id])} />
      <${Select} name="category" label=${t('category')} value=${current.category} onChange=${set} options=${CATEGORIES.map((c) => [c, c])} />
      <label>${t('host')} <input name="host" value=${current.host} onChange=${(e) => set('host', e.currentTarget.value.trim())} /></label>
      <${Select} name="thirdParty" label=${t('party')} value=${current.thirdParty} onChange=${set} options=${[['true', t('thirdParty')], ['false', t('firstParty')]]} />
      <${Select} name="encrypted" label=${t('encrypted')} value=${current.encrypted} onChange=${set} options=${[['true', t('yes')], ['false', t('plaintext')]]} />
      <${Select} name="experiment" label=${t('experiment')} value=${current.experiment} onChange=${set} options=${experiments.map((x) => [String(x.id), x.name])} />
      <${Select} name="capture" label=${t('capture')} value=${current.capture} onChange=${set} options=${captures.map((c) => [c.id, c.path.split('/').pop()])} />
      <label>${t('since')} <input type="datetime-local" step="1" name="since" value=${current.since} onChange=${(e) => set('since', e.currentTarget.value)} /></label>
      <label>${t('until')} <input type="datetime-local" step="1" name="until" value=${current.until} onChange=${(e) => set('until', e.currentTarget.value)} /></label>
      <a href="#/findings">${t('clear')}</a>
    </form>
  `;
}

export function Findings({ route }) {
  const q = apiQuery(route.query);
  const [state, setState] = useState({ q, items: [], next: undefined, total: undefined, error: '', done: false });
  const load = (cursor) =>
    getJson(`/api/findings?${q}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`).then(
      (p) =>
        setState((s) => ({
          q,
          items: cursor && s.q === q ? [...s.items, ...p.items] : p.items,
          next: p.next,
          total: p.total,
          error: '',
          done: true,
        })),
      (e) => setState((s) => ({ ...s, error: String(e.message), done: true })),
    );
  useEffect(() => {
    load();
  }, [q]);
  const fresh = state.q === q;
  return html`
    <h1>${t('findings')} ${state.total === undefined ? '' : html`<span class="note" id="total">${count(state.total)} ${t('total')}</span>`}</h1>
    <${Filters} query=${route.query} />
    ${state.error ? html`<p class="error">${state.error}</p>` : ''}
    <div id="findings-list" data-ready=${fresh && state.done ? 'true' : 'false'}>
      <${FindingTable} id="findings" items=${fresh ? state.items : []} />
    </div>
    ${state.next ? html`<button type="button" id="more" onClick=${() => load(state.next)}>${t('loadMore')}</button>` : html`<p class="note">${t('noMore')}</p>`}
  `;
}
