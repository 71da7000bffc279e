// Destinations: each host per device with operator, country, party, categories received, bytes and TLS states.
import { html } from 'htm/preact';
import { useJson, useLiveRev } from '../api.js';
import { bytes, utc } from '../format.js';
import { t } from '../i18n.js';
import { Device } from '../parts/device.js';
import { party } from '../parts/party.js';
import { href } from '../route.js';

const pairs = (o) =>
  Object.entries(o ?? {})
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

export function Destinations() {
  const rev = useLiveRev();
  const { data } = useJson('/api/destinations', rev);
  return html`
    <h1>${t('destinations')}</h1>
    <div class="scroll">
      <table id="destinations">
        <thead><tr><th>${t('device')}</th><th>${t('host')}</th><th>${t('operator')}</th><th>${t('country')}</th><th>${t('party')}</th><th>${t('category')}</th><th>${t('bytesUp')}</th><th>${t('bytesDown')}</th><th>TLS</th><th>${t('lastSeen')}</th></tr></thead>
        <tbody>
          ${(data?.items ?? []).map(
            (d) => html`<tr class=${d.thirdParty ? 'third' : ''}>
              <td><${Device} id=${d.deviceId} /></td>
              <td><a href=${href('flows', { host: d.host, device: d.deviceId })}>${d.host}</a></td>
              <td>${d.operator ?? ''}</td><td>${d.country ?? ''}</td>
              <td>${party(d.thirdParty, d.firstPartyKnown)}</td>
              <td>${pairs(d.categories)}</td>
              <td class="num">${bytes(d.bytesUp)}</td><td class="num">${bytes(d.bytesDown)}</td>
              <td>${pairs(d.tls)}</td><td>${utc(d.lastTs)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  `;
}
