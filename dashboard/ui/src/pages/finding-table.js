// A table of findings (time, device, category, destination, masked excerpt), each row a link to its detail page;
// arrow keys / j k move between rows and Enter opens one. Used by the overview, the findings list and search.
import { html } from 'htm/preact';
import { utc } from '../format.js';
import { t } from '../i18n.js';
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

export function FindingTable({ id, items }) {
  if (items.length === 0) return html`<p class="note">${t('none')}</p>`;
  return html`
    <table id=${id} class="findings" onKeyDown=${onKey}>
      <thead><tr><th>${t('time')}</th><th>${t('device')}</th><th>${t('category')}</th><th>${t('destination')}</th><th>${t('excerpt')}</th></tr></thead>
      <tbody>
        ${items.map(
          (
            f,
          ) => html`<tr key=${f.id} tabindex="0" data-href=${findingHref(f.id)} data-id=${f.id} class=${f.destination.thirdParty ? 'third' : ''}>
            <td>${utc(f.firstTs)}</td>
            <td>${f.deviceId}</td>
            <td><a href=${findingHref(f.id)}>${f.category}/${f.subtype}</a></td>
            <td>${f.destination.host}${f.destination.thirdParty ? html` <span class="tag third">${t('thirdParty')}</span>` : ''}</td>
            <td class="excerpt">${f.evidence.excerpt}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  `;
}
