// Findings: every filter the backend has (device, category, host, party, encrypted, experiment, capture, time),
// kept in the URL. A filter change updates the list in place (history.pushState, no reload; back and forward, or a
// link, set the filters from the address bar again) and aborts the request it replaces. The list is virtualised
// (finding-list.js) over keyset pages of PAGE fetched by cursor as it scrolls, at most MAX_ROWS; the total comes
// from the backend's summary rows when it has one. The first page is asked for before the page first paints; the
// filters' option lists (devices, experiments, captures) load after the first rows and are kept for the next visit.
// New findings arrive live: prepended when the list is at its top, else counted in a "N new findings — show" bar.
import { html } from 'htm/preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { getJson, useLiveRev } from '../api.js';
import { count } from '../format.js';
import { t } from '../i18n.js';
import { href } from '../route.js';
import { FindingList } from './finding-list.js';

const PAGE = 100;
const MAX_ROWS = 10_000;
/** The list asks for its first page again at most this often while the live feed reports commits. */
const LIVE_MS = 1000;
const CATEGORIES = ['voice', 'face', 'location', 'contacts', 'identifiers', 'child-profile', 'opaque-upload', 'tls'];
const FILTERS = ['device', 'category', 'host', 'thirdParty', 'encrypted', 'experiment', 'capture', 'since', 'until'];

/** The page's filters from a URL query, in FILTERS order, empty ones dropped: `category=voice&…`. */
function pick(query) {
  const q = new URLSearchParams();
  for (const k of FILTERS) if (query.get(k)) q.set(k, query.get(k));
  return q.toString();
}

/** The API query of the page's filters (datetime-local values become µs). */
function apiQuery(filters) {
  const q = new URLSearchParams({ limit: String(PAGE) });
  for (const [k, v] of new URLSearchParams(filters)) {
    q.set(k, k === 'since' || k === 'until' ? String(Date.parse(`${v}Z`) * 1000) : v);
  }
  return q.toString();
}

/** Option lists, kept across visits: shown at once, refreshed once `go` is true (after the first rows). */
const optionLists = new Map();
function useOptions(path, go) {
  const [items, setItems] = useState(optionLists.get(path) ?? []);
  useEffect(() => {
    if (!go) return undefined;
    const ctl = new AbortController();
    getJson(path, { signal: ctl.signal }).then(
      (d) => {
        optionLists.set(path, d.items);
        setItems(d.items);
      },
      () => {},
    );
    return () => ctl.abort();
  }, [path, go]);
  return items;
}

function Select({ name, value, options, label, onChange }) {
  // A value from the address bar shows even before (or without) its option list.
  const all = value && !options.some(([v]) => v === value) ? [[value, value], ...options] : options;
  return html`<label>${label}
    <select name=${name} value=${value ?? ''} onChange=${(e) => onChange(name, e.currentTarget.value)}>
      <option value="">${t('any')}</option>
      ${all.map(([v, l]) => html`<option value=${v}>${l}</option>`)}
    </select></label>`;
}

function Filters({ filters, go, set }) {
  const devices = useOptions('/api/devices', go);
  const experiments = useOptions('/api/experiments', go);
  const captures = useOptions('/api/captures', go);
  const current = new URLSearchParams(filters);
  const v = (k) => current.get(k) ?? '';
  return html`
    <form class="filters" id="filters" onSubmit=${(e) => e.preventDefault()}>
      <${Select} name="device" label=${t('device')} value=${v('device')} onChange=${set} options=${devices.map((d) => [d.id, d.name ?? d.id])} />
      <${Select} name="category" label=${t('category')} value=${v('category')} onChange=${set} options=${CATEGORIES.map((c) => [c, c])} />
      <label>${t('host')} <input name="host" value=${v('host')} onChange=${(e) => set('host', e.currentTarget.value.trim())} /></label>
      <${Select} name="thirdParty" label=${t('party')} value=${v('thirdParty')} onChange=${set} options=${[['true', t('thirdParty')], ['false', t('notThirdParty')]]} />
      <${Select} name="encrypted" label=${t('encrypted')} value=${v('encrypted')} onChange=${set} options=${[['true', t('yes')], ['false', t('plaintext')]]} />
      <${Select} name="experiment" label=${t('experiment')} value=${v('experiment')} onChange=${set} options=${experiments.map((x) => [String(x.id), x.name])} />
      <${Select} name="capture" label=${t('capture')} value=${v('capture')} onChange=${set} options=${captures.map((c) => [c.id, c.path.split('/').pop()])} />
      <label>${t('since')} <input type="datetime-local" step="1" name="since" value=${v('since')} onChange=${(e) => set('since', e.currentTarget.value)} /></label>
      <label>${t('until')} <input type="datetime-local" step="1" name="until" value=${v('until')} onChange=${(e) => set('until', e.currentTarget.value)} /></label>
      <a href="#/findings">${t('clear')}</a>
    </form>
  `;
}

export function Findings({ route }) {
  const [filters, setFilters] = useState(() => pick(route.query));
  // The address bar changed under the page (back, forward, a link): it wins.
  useEffect(() => setFilters(pick(route.query)), [route]);
  const set = (k, value) => {
    const q = new URLSearchParams(filters);
    q.set(k, value);
    const next = pick(q);
    history.pushState(null, '', href('findings', Object.fromEntries(new URLSearchParams(next))));
    setFilters(next);
  };

  const [list, setList] = useState({
    filters: undefined,
    items: [],
    next: undefined,
    total: undefined,
    error: '',
    gen: 0,
  });
  const [paging, setPaging] = useState(false); // a further page on its way (the first one is `!ready`)
  const [go, setGo] = useState(false);
  const [fresh, setFresh] = useState(undefined); // `{filters, n, more}`: new findings not in the list yet
  const request = useRef(undefined);
  const probe = useRef(undefined);
  const current = useRef(list);
  current.current = list;
  const load = (f, cursor) => {
    request.current?.abort();
    probe.current?.abort();
    if (!cursor) setFresh(undefined);
    const ctl = new AbortController();
    request.current = ctl;
    setPaging(Boolean(cursor)); // a new first page ends any paging it aborts
    const path = `/api/findings?${apiQuery(f)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const settled = () => {
      if (request.current === ctl) request.current = undefined;
    };
    getJson(path, { signal: ctl.signal }).then(
      (p) => {
        settled();
        setList((s) => ({
          filters: f,
          items: cursor ? [...s.items, ...p.items] : p.items,
          next: p.next,
          total: cursor ? s.total : p.total,
          error: '',
          gen: cursor ? s.gen : s.gen + 1,
        }));
        setPaging(false);
        setGo(true);
      },
      (e) => {
        settled();
        if (e.name === 'AbortError') return;
        // A first page that failed shows no rows of the filters before it.
        setList((s) =>
          cursor
            ? { ...s, next: undefined, error: String(e.message) }
            : { filters: f, items: [], error: String(e.message), gen: s.gen + 1 },
        );
        setPaging(false);
        setGo(true);
      },
    );
  };
  // A layout effect: the request leaves before the page first paints, not after.
  useLayoutEffect(() => {
    load(filters);
    return () => request.current?.abort();
  }, [filters]);

  // Live: on commits (throttled), the first page of these filters again. Findings in it the list lacks are new:
  // put at the top when they all belong there and the list is scrolled to its top, else counted in a bar whose
  // button loads the first page afresh. The keyset cursor of the rows below stays valid either way.
  const rev = useLiveRev(LIVE_MS);
  const seenRev = useRef(rev);
  useEffect(() => {
    if (rev === seenRev.current) return;
    seenRev.current = rev;
    if (current.current.filters !== filters || request.current) return; // a first page or a further one is coming
    probe.current?.abort();
    const ctl = new AbortController();
    probe.current = ctl;
    getJson(`/api/findings?${apiQuery(filters)}`, { signal: ctl.signal }).then(
      (p) => {
        const s = current.current;
        if (s.filters !== filters || request.current) return;
        const known = new Set(s.items.map((f) => f.id));
        const unknown = p.items.filter((f) => !known.has(f.id));
        const beyond = p.total !== undefined && s.total !== undefined ? p.total - s.total - unknown.length : 0;
        if (unknown.length === 0 && beyond <= 0) return;
        const onTop = unknown.every((f, i) => p.items[i] === f) && beyond <= 0;
        const box = document.getElementById('findings-list');
        if (onTop && (box?.scrollTop ?? 0) === 0) {
          setList({ ...s, items: [...unknown, ...s.items], total: p.total });
          setFresh(undefined);
        } else {
          setFresh({ filters, n: unknown.length + Math.max(0, beyond), more: unknown.length === p.items.length });
        }
      },
      () => {},
    );
  }, [rev]);

  // Ready once the first page of these filters is in (a further page loading leaves the rows as they are).
  const ready = list.filters === filters;
  const more = ready && list.next !== undefined && list.items.length < MAX_ROWS;
  const end = list.items.length >= MAX_ROWS && list.next ? t('narrow') : t('noMore');
  return html`
    <h1>${t('findings')} ${list.total === undefined || !ready ? '' : html`<span class="note" id="total">${count(list.total)} ${t('total')}</span>`}</h1>
    <${Filters} filters=${filters} go=${go} set=${set} />
    ${list.error ? html`<p class="error">${list.error}</p>` : ''}
    ${
      fresh && fresh.filters === filters
        ? html`<p class="live-bar"><button type="button" id="new-findings" onClick=${() => load(filters)}>
            ${count(fresh.n)}${fresh.more ? '+' : ''} ${t('newFindings')}</button></p>`
        : ''
    }
    ${
      ready && list.items.length === 0
        ? html`<p class="note" id="findings-list" data-ready="true">${t('none')}</p>`
        : html`<${FindingList} items=${list.items} ready=${ready} more=${more} resetKey=${`${list.filters}#${list.gen}`}
            onMore=${() => !paging && load(filters, list.next)} />`
    }
    <p class="note" id="list-end">${count(list.items.length)}${list.total === undefined ? '' : ` / ${count(list.total)}`} · ${!ready || paging ? t('loading') : more ? '' : end}</p>
  `;
}
