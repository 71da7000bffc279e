// The page's only way to the backend: JSON GETs and POSTs to the dashboard's own origin (a 401 sends the user to
// the login page), and the live feed (one EventSource shared by every page). Not rendering: pages do that.
import { useEffect, useRef, useState } from 'preact/hooks';

/** `GET path` as JSON; throws on any status but 200 (and an AbortError when `signal` aborts it). */
export async function getJson(path, { signal } = {}) {
  const res = await fetch(path, { headers: { accept: 'application/json' }, signal });
  if (res.status === 401) {
    location.replace('/login');
    throw new Error('login required');
  }
  if (!res.ok) throw new Error(`${res.status} ${(await res.json().catch(() => ({}))).error ?? res.statusText}`);
  return res.json();
}

/** `POST path` with an optional JSON body; the parsed answer (or undefined for 204). */
export async function postJson(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) location.replace('/login');
  if (!res.ok) throw new Error(`${res.status} ${(await res.json().catch(() => ({}))).error ?? res.statusText}`);
  return res.status === 204 ? undefined : res.json();
}

/** Ids hold `/`: one path segment each. */
export const idPath = (id) => encodeURIComponent(id);

/** `{data, error}` of `getJson(path)`, refetched when `path` or `rev` changes. */
export function useJson(path, rev = 0) {
  const [state, setState] = useState({ data: undefined, error: undefined });
  useEffect(() => {
    let live = true;
    if (!path) return undefined;
    getJson(path).then(
      (data) => live && setState({ data, error: undefined }),
      (error) => live && setState((s) => ({ data: s.data, error })),
    );
    return () => {
      live = false;
    };
  }, [path, rev]);
  return state;
}

const listeners = new Set();
let status = 'connecting';
let events;

/** Opens the live feed once; `finding`, `flow` and `reload` events go to every subscriber. */
function openFeed() {
  if (events) return;
  events = new EventSource('/api/events');
  const tell = (type, data) => {
    for (const l of listeners) l(type, data);
  };
  events.addEventListener('hello', () => {
    status = 'live';
    tell('status', status);
  });
  for (const type of ['finding', 'flow']) events.addEventListener(type, (e) => tell(type, JSON.parse(e.data)));
  events.addEventListener('reload', () => tell('reload'));
  events.onerror = () => {
    status = 'reconnecting';
    tell('status', status);
  };
}

/** Calls `fn(type, data)` (the latest `fn` given) for live events while the component is mounted. */
export function useLive(fn) {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    openFeed();
    const l = (type, data) => ref.current(type, data);
    listeners.add(l);
    return () => listeners.delete(l);
  }, []);
}

/** The feed's state: 'connecting' | 'live' | 'reconnecting'. */
export function useLiveStatus() {
  const [s, setS] = useState(status);
  useLive((type, data) => type === 'status' && setS(data));
  return s;
}

/**
 * A counter that goes up at most every `ms` while live events arrive: pages refetch their summaries on it rather
 * than once per event.
 */
export function useLiveRev(ms = 300) {
  const [rev, setRev] = useState(0);
  const timer = useRef(undefined);
  useLive((type) => {
    if (type === 'status' || timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      setRev((r) => r + 1);
    }, ms);
  });
  useEffect(() => () => clearTimeout(timer.current), []);
  return rev;
}
