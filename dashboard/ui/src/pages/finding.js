// One finding: what it is, where it went, the evidence to hear or see (voice player, photo with face boxes,
// location on the offline map; a Wi-Fi scan's access points or cell towers placed from the lab's position tables,
// a tower's country by its MCC), the value masked until revealed (a logged action), the request head it came in,
// the path inside the body, and the evidence download. The player and the map come from their own chunks, loaded
// the first time a finding needs them.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { idPath, postJson, useJson } from '../api.js';
import { utc } from '../format.js';
import { t } from '../i18n.js';
import { Device } from '../parts/device.js';
import { lazy } from '../parts/lazy.js';
import { lonLatOf } from '../parts/lonlat.js';
import { party } from '../parts/party.js';
import { Photo } from '../parts/photo.js';
import { href } from '../route.js';
import { MessageHead } from './flow-parts.js';

const Player = lazy(() => import('../parts/player.js').then((m) => m.Player));
const WorldMap = lazy(() => import('../parts/map.js').then((m) => m.WorldMap));

const PHOTO = new Set(['face', 'child-profile']);

function Reveal({ finding, onValue }) {
  const [state, setState] = useState({});
  const reveal = () =>
    postJson(`/api/findings/${idPath(finding.id)}/reveal`).then(
      (r) => {
        setState({ value: r.value });
        onValue(r);
      },
      (e) => setState({ error: String(e.message) }),
    );
  return html`
    <dl class="facts">
      <dt>${t('excerpt')}</dt>
      <dd><code id="excerpt">${finding.evidence.excerpt}</code> <span class="note">(${t('masked')})</span></dd>
      ${
        state.value === undefined
          ? html`<dd><button type="button" id="reveal" onClick=${reveal}>${t('reveal')}</button> <span class="error">${state.error ?? ''}</span></dd>`
          : html`<dd><code id="revealed">${state.value}</code> <span class="note">${t('revealed')}</span></dd>`
      }
    </dl>
  `;
}

/** The photo or clip, once revealed: the server serves it only to a session that revealed the finding (logged). */
function Evidence({ finding, revealed }) {
  const id = finding.evidence.evidenceId;
  if (!id) return '';
  if (!revealed) {
    return html`<section><h2>${t('evidence')}</h2><p class="note" id="evidence-hidden">${t('evidenceHidden')}</p></section>`;
  }
  const src = `/api/evidence/${idPath(id)}`;
  const mime = String(finding.detail?.mime ?? '');
  return html`
    <section>
      <h2>${t('evidence')}</h2>
      ${finding.category === 'voice' ? html`<${Player} src=${src} />` : ''}
      ${PHOTO.has(finding.category) && (mime === '' || mime.startsWith('image/')) ? html`<${Photo} src=${src} detail=${finding.detail} />` : ''}
      <p><a id="download" href=${`${src}?download=true`} download>${t('download')}</a>${finding.evidence.truncated ? ' (truncated)' : ''}</p>
    </section>
  `;
}

function Head({ finding }) {
  const { data } = useJson(`/api/flows/${idPath(finding.flowId)}`);
  const msgs = data?.messages ?? [];
  const msg = msgs.find((m) => m.msgId === finding.msgId) ?? msgs[0];
  if (!msg) return '';
  return html`
    <section>
      <h2>${t('requestHead')} <a class="note" href=${href('flows', { id: finding.flowId })}>${t('flow')} ${finding.flowId}</a></h2>
      <${MessageHead} msg=${msg} />
    </section>
  `;
}

/** What a scan's places say, in words: how many were placed, and what to do when none were. */
function placesNote(summary, revealed) {
  const one = summary.counted === 1;
  const what = t(summary.kind === 'cell' ? (one ? 'tower' : 'towers') : one ? 'accessPoint' : 'accessPoints');
  const countries = summary.countries.map((c) => `MCC ${c.mcc}: ${c.name}`).join(', ');
  const lines = [];
  const byArea = summary.byArea ?? 0;
  if (summary.kept === 0) lines.push(`${summary.counted} ${what}: ${t('placesPurged')}`);
  else if (summary.located === 0 && byArea === 0) lines.push(`${summary.counted} ${what}, ${t('placesNone')} `);
  else if (summary.located === 0) {
    // Only towers placed by their area: said below.
  } else if (!revealed) lines.push(`${summary.located} / ${summary.counted} ${what} ${t('placesFound')}`);
  else {
    const est = revealed.estimate;
    lines.push(
      `${summary.located} / ${summary.counted} ${what} ${t('placesShown')}${est ? ` · ${t('estimate')} ±${est.accuracyM} m` : ''}`,
    );
  }
  if (summary.kept > 0 && byArea > 0) {
    const lead = summary.located > 0 ? '·' : `${summary.counted} ${what}:`;
    lines.push(`${lead} ${byArea} ${t('placesByArea')}${revealed ? '' : ` — ${t('revealToPlace')}`}`);
  }
  return { text: lines.join(' '), countries, none: summary.kept > 0 && summary.located === 0 && byArea === 0 };
}

function Places({ summary, revealed }) {
  const note = placesNote(summary, revealed);
  return html`<section>
    <h2>${t('map')}</h2>
    <p class="note" id="places-note">${note.text}${note.none ? html`<code>toyscope geo import</code>` : ''}</p>
    ${note.countries ? html`<p class="note" id="places-countries">${note.countries}</p>` : ''}
    <${WorldMap} places=${revealed ?? summary} />
  </section>`;
}

export function FindingDetail({ route }) {
  const { data, error } = useJson(`/api/findings/${idPath(route.id ?? '')}`);
  // What a reveal placed, for the finding revealed (another finding's page starts without it).
  const [shown, setShown] = useState({ id: undefined });
  const { point, places } = shown.id === route.id ? shown : {};
  if (error) return html`<p class="error">${t('error')}: ${error.message}</p>`;
  if (!data) return html`<p class="note">${t('loading')}</p>`;
  const f = data.finding;
  // Face boxes are drawn on the photo; a scan's masked BSSID list says nothing the count does not.
  const detail = Object.entries(f.detail ?? {}).filter(([k]) => k !== 'boxes' && k !== 'bssids');
  return html`
    <h1>${f.category}/${f.subtype}</h1>
    <dl class="facts" id="finding">
      <dt>${t('time')}</dt><dd>${utc(f.firstTs)}</dd>
      <dt>${t('device')}</dt><dd><${Device} id=${f.deviceId} /></dd>
      <dt>${t('destination')}</dt>
      <dd>${f.destination.host} ${f.destination.operator ? `· ${f.destination.operator}` : ''}
        ${party(f.destination.thirdParty, data.firstPartyKnown)}</dd>
      <dt>${t('encrypted')}</dt><dd>${f.encrypted ? t('yes') : t('plaintext')}</dd>
      <dt>${t('confidence')}</dt><dd>${f.confidence}</dd>
      ${f.path ? html`<dt>${t('path')}</dt><dd><code id="path">${f.path}</code></dd>` : ''}
      ${detail.map(([k, v]) => html`<dt>${k}</dt><dd>${String(v)}</dd>`)}
    </dl>
    <${Reveal} key=${f.id} finding=${f} onValue=${(r) => setShown({ id: f.id, point: lonLatOf(r.detail), places: r.places })} />
    ${
      data.places
        ? html`<${Places} summary=${data.places} revealed=${places} />`
        : f.category === 'location'
          ? html`<section><h2>${t('map')}</h2>${point ? '' : html`<p class="note">${t('mapNote')}</p>`}<${WorldMap} point=${point} /></section>`
          : ''
    }
    <${Evidence} finding=${f} revealed=${shown.id === route.id} />
    <${Head} finding=${f} />
  `;
}
