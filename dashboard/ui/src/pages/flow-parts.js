// Pieces of a flow shared by the flows page and a finding's page: a message's head (request line or status,
// masked headers) and the "copy as curl / as HAR" buttons (the HAR comes from the backend; curl is made from its
// first request).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { getJson, idPath } from '../api.js';
import { t } from '../i18n.js';

/** `GET /path` / `HTTP 200` / `MQTT topic` */
export function requestLine(m) {
  if (m.method) return `${m.method} ${m.url ?? ''}`;
  if (m.status !== undefined) return `HTTP ${m.status}`;
  if (m.topic) return `${m.protocol.toUpperCase()} ${m.topic}`;
  return m.protocol;
}

export function MessageHead({ msg }) {
  return html`<pre class="head" id="head">${requestLine(msg)}${'\n'}${(msg.headers ?? []).map(([n, v]) => `${n}: ${v}\n`).join('')}${msg.headTruncated ? '…\n' : ''}</pre>`;
}

const shellQuote = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;

/** A curl command line for a HAR request (headers as recorded, masked values included). */
export function curlOf(req) {
  const parts = ['curl', '-X', req.method, shellQuote(req.url)];
  for (const h of req.headers ?? []) {
    if (/^(host|content-length|connection)$/i.test(h.name) || h.name.startsWith(':')) continue;
    parts.push('-H', shellQuote(`${h.name}: ${h.value}`));
  }
  return parts.join(' ');
}

export function CopyButtons({ flowId }) {
  const [note, setNote] = useState('');
  const copy = (make) =>
    getJson(`/api/flows/${idPath(flowId)}/har`)
      .then((har) => navigator.clipboard.writeText(make(har)))
      .then(
        () => setNote(t('copied')),
        (e) => setNote(String(e.message)),
      );
  return html`<span class="copy">
    <button type="button" id="copy-curl" onClick=${() => copy((h) => h.log.entries.map((e) => curlOf(e.request)).join('\n'))}>${t('copyCurl')}</button>
    <button type="button" id="copy-har" onClick=${() => copy((h) => JSON.stringify(h, null, 2))}>${t('copyHar')}</button>
    <span class="note" id="copy-note">${note}</span>
  </span>`;
}
