// Search by value: "where did this MAC / phone number / name go?". The tester types a value or part of it (the
// last digits of a phone number, a MAC in any notation); the answer lists the destinations it went to per device
// with times, and the findings that carried it, masked (the finding's page reveals a value, as a logged action).
// The query is kept in the address bar's fragment (`#/search?q=…`, so back/forward and bookmarks work): a fragment
// never reaches a server, and the API gets it in a POST body, never in a URL a log would keep.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { postJson } from '../api.js';
import { count, utc } from '../format.js';
import { t } from '../i18n.js';
import { Device } from '../parts/device.js';
import { href } from '../route.js';
import { FindingTable } from './finding-table.js';

/** ArrowDown in the box goes to the first finding; the table's own keys (arrows, j k, Enter) take over there. */
function toResults(e) {
  if (e.key !== 'ArrowDown') return;
  const row = document.querySelector('#search-findings tbody tr');
  if (row) {
    e.preventDefault();
    row.focus();
  }
}

/** `2 stored values matched · values containing it · 14 findings` (and when more values matched than were used). */
function summary(r) {
  const parts = [`${count(r.values)} ${t('searchValues')}`, r.match === 'exact' ? t('matchExact') : t('matchContains')];
  if (r.moreValues) parts.push(t('searchMoreValues'));
  parts.push(`${count(r.findings)} ${t('searchFindings')}`);
  return parts.join(' · ');
}

function Destinations({ items }) {
  return html`
    <table id="search-destinations">
      <thead><tr><th>${t('destination')}</th><th>${t('operator')}</th><th>${t('device')}</th><th>${t('category')}</th><th>${t('count')}</th><th>${t('firstSeen')}</th><th>${t('lastSeen')}</th></tr></thead>
      <tbody>
        ${items.map(
          (d) => html`<tr class=${d.thirdParty ? 'third' : ''}>
            <td>${d.host}${d.thirdParty ? html` <span class="tag third">${t('thirdParty')}</span>` : ''}</td>
            <td>${d.operator ?? ''}</td>
            <td><${Device} id=${d.deviceId} /></td>
            <td>${d.categories.join(', ')}</td>
            <td class="num"><a href=${href('findings', { device: d.deviceId, host: d.host })}>${count(d.findings)}</a></td>
            <td>${utc(d.firstTs)}</td>
            <td>${utc(d.lastTs)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  `;
}

export function Search({ route }) {
  const q = route.query.get('q') ?? '';
  const match = route.query.get('match') === 'exact' ? 'exact' : 'contains';
  const [text, setText] = useState(q);
  // The box follows the address bar when its query changes (back, forward, a link), during render: an effect would
  // run after the first paint and wipe what a tester typed meanwhile.
  const [shownQ, setShownQ] = useState(q);
  if (shownQ !== q) {
    setShownQ(q);
    setText(q);
  }
  const [state, setState] = useState({ key: '', result: undefined, error: '' });
  const key = `${match}:${q}`;
  useEffect(() => {
    if (!q) return undefined;
    let live = true;
    postJson('/api/search', { q, match }).then(
      (result) => live && setState({ key, result, error: '' }),
      (e) => live && setState({ key, result: undefined, error: String(e.message) }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  const go = (e) => {
    e.preventDefault();
    location.hash = href('search', { q: text.trim(), match: match === 'exact' ? 'exact' : undefined });
  };
  const r = state.key === key ? state.result : undefined;
  return html`
    <h1>${t('searchValue')}</h1>
    <form class="inline" id="search-form" role="search" onSubmit=${go}>
      <input id="search-q" type="search" size="32" maxlength="256" autocomplete="off" spellcheck="false" autofocus
        aria-label=${t('searchValue')} placeholder=${t('searchHint')} value=${text}
        onInput=${(e) => setText(e.currentTarget.value)} onKeyDown=${toResults} />
      <label><input type="checkbox" id="search-exact" checked=${match === 'exact'}
        onChange=${(e) => {
          location.hash = href('search', { q: text.trim(), match: e.currentTarget.checked ? 'exact' : undefined });
        }} /> ${t('matchExact')}</label>
      <button type="submit">${t('search')}</button>
    </form>
    <p class="note">${t('searchRules')}</p>
    ${state.key === key && state.error ? html`<p class="error" id="search-error">${state.error}</p>` : ''}
    ${
      r &&
      html`<div id="search-result" data-ready="true">
        <p class="note" id="search-summary">${summary(r)}</p>
        <h2>${t('searchWhere')}</h2>
        ${r.destinations.length ? html`<${Destinations} items=${r.destinations} />` : html`<p class="note">${t('searchNoMatch')}</p>`}
        <h2>${t('findings')} <span class="note">${t('searchMasked')}</span></h2>
        <${FindingTable} id="search-findings" items=${r.items} />
      </div>`
    }
  `;
}
