// A table of findings (time, device, category, destination, masked excerpt), each row a link to its detail page;
// arrow keys / j k move between rows and Enter opens one. Used by the overview and a flow's findings; its head and
// rows also make the findings page's virtualised list (finding-list.js).
import { html } from 'htm/preact';
import { utc } from '../format.js';
import { t } from '../i18n.js';
import { Device } from '../parts/device.js';
import { findingHref } from '../route.js';

function onKey(e) {
  const row = e.target.closest('tr');
  if (!row) return;
  const next = ['ArrowDown', 'j'].includes(e.key)
    ? row.nextElementSibling
    : ['ArrowUp', 'k'].includes(e.key)
      ? row.previousElementSibling
      : undefined;
  if (next) {
    e.preventDefault();
    next.focus();
  } else if (e.key === 'Enter') {
    location.hash = row.dataset.href;
  }
}

export const FindingHead = () =>
  html`<thead><tr><th>${t('time')}</th><th>${t('device')}</th><th>${t('category')}</th><th>${t('destination')}</th><th>${t('excerpt')}</th></tr></thead>`;

/** One finding's row; `index` (its place in a longer list) lands in `data-index`. */
export function FindingRow({ f, index }) {
  return html`<tr tabindex="0" data-href=${findingHref(f.id)} data-id=${f.id} data-index=${index} class=${f.destination.thirdParty ? 'third' : ''}>
    <td>${utc(f.firstTs)}</td>
    <td><${Device} id=${f.deviceId} /></td>
    <td title=${`${f.category}/${f.subtype}`}><a href=${findingHref(f.id)}>${f.category}/${f.subtype}</a></td>
    <td title=${f.destination.host}>${f.destination.host}${f.destination.thirdParty ? html` <span class="tag third">${t('thirdParty')}</span>` : ''}</td>
    <td class="excerpt" title=${f.evidence.excerpt}>${f.evidence.excerpt}</td>
  </tr>`;
}

export function FindingTable({ id, items }) {
  if (items.length === 0) return html`<p class="note">${t('none')}</p>`;
  return html`
    <table id=${id} class="findings" onKeyDown=${onKey}>
      <${FindingHead} />
      <tbody>${items.map((f) => html`<${FindingRow} key=${f.id} f=${f} />`)}</tbody>
    </table>
  `;
}
