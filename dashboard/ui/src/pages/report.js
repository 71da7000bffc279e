// Report: the backend's compliance report (the one renderer, src/report/) embedded for a device, in the UI's
// language unless another is chosen here, with links to print it or download it as JSON or CSV.
import { html } from 'htm/preact';
import { useJson } from '../api.js';
import { currentLang, t } from '../i18n.js';
import { href } from '../route.js';

export function Report({ route }) {
  const devices = useJson('/api/devices').data?.items ?? [];
  const device = route.query.get('device') ?? devices[0]?.id;
  const lang = route.query.get('lang') ?? currentLang();
  const src = device ? `/api/report?${new URLSearchParams({ device, lang })}` : undefined;
  return html`
    <h1>${t('report')}</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>${t('device')} <select value=${device ?? ''} onChange=${(e) => {
        location.hash = href('report', { device: e.currentTarget.value, lang });
      }}>${devices.map((d) => html`<option value=${d.id}>${d.name ?? d.id}</option>`)}</select></label>
      <label>${t('reportLanguage')} <select value=${lang} onChange=${(e) => {
        location.hash = href('report', { device, lang: e.currentTarget.value });
      }}><option value="zh-CN">中文</option><option value="en">English</option></select></label>
      ${
        src
          ? html`<a href=${src} target="_blank" rel="noopener">${t('print')}</a>
        <a href=${`${src}&format=json`}>JSON</a> <a href=${`${src}&format=csv`}>CSV</a>`
          : ''
      }
    </form>
    ${src ? html`<iframe id="report" class="report" title=${t('report')} src=${src}></iframe>` : html`<p class="note">${t('chooseDevice')}</p>`}
  `;
}
