// A destination's party: third party (tagged), first party when the device has first-party hosts configured, else
// unknown with why: without a firstParty list nothing is claimed (as the CLI and the report say).
import { html } from 'htm/preact';
import { t } from '../i18n.js';

export function party(thirdParty, firstPartyKnown) {
  if (thirdParty) return html`<span class="tag third">${t('thirdParty')}</span>`;
  if (firstPartyKnown) return html`<span class="tag">${t('firstParty')}</span>`;
  return html`<span class="tag unknown" title=${t('partyUnknownWhy')}>${t('partyUnknown')}</span>`;
}
