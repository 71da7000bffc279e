// The dashboard's single page: a shell (navigation, language, theme, live state) and a hash router
// (`#/findings?category=voice`: filters live in the URL, so a view can be bookmarked and shared). Pages are in
// pages/; every captured value reaches the DOM through Preact as text, never as markup.
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLiveStatus } from './api.js';
import { currentLang, setLang, t } from './i18n.js';
import { Destinations } from './pages/destinations.js';
import { FindingDetail } from './pages/finding.js';
import { Findings } from './pages/findings.js';
import { Flows } from './pages/flows.js';
import { Overview } from './pages/overview.js';
import { Report } from './pages/report.js';
import { Search } from './pages/search.js';
import { parseRoute } from './route.js';

const PAGES = [
  ['overview', Overview],
  ['findings', Findings],
  ['destinations', Destinations],
  ['flows', Flows],
  ['search', Search],
  ['report', Report],
];

function useRoute() {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

function useTheme() {
  const [theme, setTheme] = useState(localStorage.getItem('toyscope.theme') ?? 'auto');
  useEffect(() => {
    localStorage.setItem('toyscope.theme', theme);
    if (theme === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
  }, [theme]);
  return [theme, setTheme];
}

async function logout() {
  await fetch('/api/session', { method: 'DELETE' });
  location.replace('/login');
}

function App() {
  const route = useRoute();
  const live = useLiveStatus();
  const [lang, setLangState] = useState(currentLang());
  const [theme, setTheme] = useTheme();
  const Page = route.page === 'finding' ? FindingDetail : (PAGES.find(([p]) => p === route.page)?.[1] ?? Overview);
  const switchLang = () => {
    setLang(lang === 'en' ? 'zh-CN' : 'en');
    setLangState(currentLang());
  };
  return html`
    <header class="top">
      <strong class="brand">toyscope</strong>
      <nav>
        ${PAGES.map(
          ([p]) => html`<a href=${`#/${p}`} aria-current=${route.page === p ? 'page' : undefined}>${t(p)}</a>`,
        )}
      </nav>
      <span class=${`live ${live}`} id="live">● ${t(live)}</span>
      <button type="button" onClick=${switchLang}>${t('language')}</button>
      <select aria-label=${t('theme')} value=${theme} onChange=${(e) => setTheme(e.currentTarget.value)}>
        <option value="auto">auto</option>
        <option value="light">light</option>
        <option value="dark">dark</option>
      </select>
      <button type="button" onClick=${logout}>${t('logout')}</button>
    </header>
    <main key=${lang}><${Page} route=${route} /></main>
  `;
}

render(html`<${App} />`, document.getElementById('app'));
