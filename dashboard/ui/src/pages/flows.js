// Flows, like a proxy's list: one row per flow (time, device, transport, host, TLS state, sizes), filtered by host,
// transport and TLS state in the URL, paged by keyset; `?id=` opens one flow with its message heads, its findings
// and the copy-as-curl/HAR buttons.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson, idPath, useJson } from '../api.js';
import { bytes, utc } from '../format.js';
import { t } from '../i18n.js';
import { Device } from '../parts/device.js';
import { href } from '../route.js';
import { FindingTable } from './finding-table.js';
import { CopyButtons, MessageHead } from './flow-parts.js';

const FILTERS = ['host', 'device', 'transport', 'tls'];

function FlowDetail({ id }) {
  const { data, error } = useJson(`/api/flows/${idPath(id)}`);
  if (error) return html`<p class="error">${error.message}</p>`;
  if (!data) return html`<p class="note">${t('loading')}</p>`;
  const f = data.flow;
  return html`
    <section class="flow" id="flow">
      <h2>${t('flow')} ${f.id} ${f.transport === 'http' || f.transport === 'websocket' ? html`<${CopyButtons} flowId=${f.id} />` : ''}</h2>
      <p><${Device} id=${f.deviceId} /> → ${f.destination.host} (${f.server.ip}:${f.server.port}) · ${f.transport} · TLS ${f.tls} · ↑${bytes(f.bytesUp)} ↓${bytes(f.bytesDown)}</p>
      ${data.messages.map((m) => html`<${MessageHead} msg=${m} />`)}
      <${FindingTable} id="flow-findings" items=${data.findings} />
    </section>
  `;
}

export function Flows({ route }) {
  const current = Object.fromEntries(FILTERS.map((k) => [k, route.query.get(k) ?? '']));
  const q = new URLSearchParams({ limit: '100' });
  for (const [k, v] of Object.entries(current)) if (v) q.set(k, v);
  const qs = q.toString();
  const [state, setState] = useState({ qs, items: [], next: undefined });
  const load = (cursor) =>
    getJson(`/api/flows?${qs}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`).then((p) =>
      setState((s) => ({ qs, items: cursor && s.qs === qs ? [...s.items, ...p.items] : p.items, next: p.next })),
    );
  useEffect(() => {
    load();
  }, [qs]);
  const set = (k, v) => {
    location.hash = href('flows', { ...current, [k]: v });
  };
  const id = route.query.get('id');
  return html`
    <h1>${t('flows')}</h1>
    ${id ? html`<${FlowDetail} id=${id} />` : ''}
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>${t('host')} <input name="host" value=${current.host} onChange=${(e) => set('host', e.currentTarget.value.trim())} /></label>
      <label>${t('transport')} <select value=${current.transport} onChange=${(e) => set('transport', e.currentTarget.value)}>
        <option value="">${t('any')}</option>
        ${['http', 'websocket', 'mqtt', 'coap', 'dns', 'tcp', 'udp'].map((x) => html`<option>${x}</option>`)}
      </select></label>
      <label>TLS <select value=${current.tls} onChange=${(e) => set('tls', e.currentTarget.value)}>
        <option value="">${t('any')}</option>
        ${['none', 'intercepted', 'decrypted', 'passthrough', 'device-rejected-cert', 'opaque'].map((x) => html`<option>${x}</option>`)}
      </select></label>
    </form>
    <table id="flows" class="flows">
      <thead><tr><th>${t('time')}</th><th>${t('device')}</th><th>${t('transport')}</th><th>${t('host')}</th><th>TLS</th><th>${t('bytesUp')}</th><th>${t('bytesDown')}</th></tr></thead>
      <tbody>
        ${(state.qs === qs ? state.items : []).map(
          (f) => html`<tr key=${f.id} class=${f.destination.thirdParty ? 'third' : ''}>
            <td><a href=${href('flows', { ...current, id: f.id })}>${utc(f.firstTs)}</a></td>
            <td><${Device} id=${f.deviceId} /></td><td>${f.transport}</td><td>${f.destination.host}</td><td>${f.tls}</td>
            <td class="num">${bytes(f.bytesUp)}</td><td class="num">${bytes(f.bytesDown)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${state.next ? html`<button type="button" onClick=${() => load(state.next)}>${t('loadMore')}</button>` : ''}
  `;
}
