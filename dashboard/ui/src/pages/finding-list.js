// The findings page's list, virtualised: rows are one line each and of one height (measured from the first one
// drawn), and only those in view plus MARGIN above and below are in the DOM, inside a spacer as tall as every loaded
// row, so the scroll bar is true to what is loaded. Scrolling within AHEAD rows of the last loaded one asks the
// page for the next keyset page (`onMore`). Keys: ↑/↓ (j/k), Page Up/Down, Home/End move the focused row and scroll
// it into view; Enter opens it.
import { html } from 'htm/preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { FindingHead, FindingRow } from './finding-table.js';

const MARGIN = 10;
const AHEAD = 30;

export function FindingList({ items, ready, more, onMore, resetKey }) {
  const box = useRef(null);
  // Until measured: the list's CSS height (70vh) and a row's height at the default font size.
  const [view, setView] = useState(() => ({ top: 0, height: Math.round(innerHeight * 0.7), row: 33, head: 33 }));
  const frame = useRef(0);
  const focusTo = useRef(undefined);

  const measure = () => {
    frame.current = 0;
    const el = box.current;
    if (!el) return;
    const row = el.querySelector('tbody tr')?.getBoundingClientRect().height;
    const head = el.querySelector('thead')?.getBoundingClientRect().height;
    setView((v) => {
      const next = { top: el.scrollTop, height: el.clientHeight, row: row || v.row, head: head || v.head };
      return Object.keys(v).every((k) => v[k] === next[k]) ? v : next; // unchanged: no new render
    });
  };
  const onScroll = () => {
    frame.current ||= requestAnimationFrame(measure);
  };
  useLayoutEffect(measure, [items.length > 0]);
  useEffect(() => {
    addEventListener('resize', onScroll);
    return () => {
      removeEventListener('resize', onScroll);
      cancelAnimationFrame(frame.current);
    };
  }, []);
  useLayoutEffect(() => {
    if (box.current) box.current.scrollTop = 0;
    focusTo.current = undefined;
    measure();
  }, [resetKey]);

  const first = Math.max(0, Math.floor((view.top - view.head) / view.row) - MARGIN);
  const last = Math.min(items.length, Math.ceil((view.top + view.height) / view.row) + MARGIN);
  useEffect(() => {
    if (more && last + AHEAD >= items.length) onMore();
  }, [more, last, items.length]);
  // A row moved to by key gets the focus as soon as it is drawn (at once, or after the scroll it caused).
  const focusPending = () => {
    if (focusTo.current === undefined) return;
    const tr = box.current?.querySelector(`tbody tr[data-index="${focusTo.current}"]`);
    if (!tr) return;
    tr.focus({ preventScroll: true });
    focusTo.current = undefined;
  };
  useLayoutEffect(focusPending);

  // One element per finding, made once: Preact skips an element it has drawn before, so a scroll or a render of
  // the page above draws only the rows that came into view. Rows put on top (live) move the others down: an element
  // made for another index is made again.
  const rows = useRef(new WeakMap());
  const row = (f, index) => {
    let made = rows.current.get(f);
    if (made?.index !== index) {
      made = { index, el: html`<${FindingRow} key=${f.id} f=${f} index=${index} />` };
      rows.current.set(f, made);
    }
    return made.el;
  };

  const onKey = (e) => {
    const tr = e.target.closest('tr[data-index]');
    if (!tr) return;
    const i = Number(tr.dataset.index);
    if (e.key === 'Enter') {
      location.hash = tr.dataset.href;
      return;
    }
    const page = Math.max(1, Math.floor(view.height / view.row) - 1);
    const step = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1, PageDown: page, PageUp: -page }[e.key];
    const to = e.key === 'Home' ? 0 : e.key === 'End' ? items.length - 1 : step === undefined ? i : i + step;
    if (to === i) return;
    e.preventDefault();
    const target = Math.max(0, Math.min(items.length - 1, to));
    const el = box.current;
    const top = view.head + target * view.row;
    if (top < el.scrollTop + view.head) el.scrollTop = top - view.head;
    else if (top + view.row > el.scrollTop + el.clientHeight) el.scrollTop = top + view.row - el.clientHeight;
    focusTo.current = target;
    measure();
    focusPending();
  };

  const height = view.head + (items.length + (more ? 1 : 0)) * view.row;
  return html`
    <div id="findings-list" class=${`vlist${ready ? '' : ' stale'}`} ref=${box} onScroll=${onScroll}
      data-ready=${ready ? 'true' : 'false'} data-first=${first} data-last=${last} aria-busy=${ready ? 'false' : 'true'}>
      <div style=${{ height: `${height}px`, paddingTop: `${first * view.row}px` }}>
        <table id="findings" class="findings" onKeyDown=${onKey}>
          <${FindingHead} />
          <tbody>${items.slice(first, last).map((f, k) => row(f, first + k))}</tbody>
        </table>
      </div>
    </div>
  `;
}
