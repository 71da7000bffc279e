// A device as the lab named it (toyscope.yaml `devices`, or the name the store has), its id (MAC or IP) as the
// title; the id itself when it has no name. The names are asked for once per page load, by the first one shown.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api.js';

let names;
let loading;

function loadNames() {
  loading ??= getJson('/api/devices').then(
    (r) => {
      names = new Map(r.items.filter((d) => d.name).map((d) => [d.id, d.name]));
    },
    () => {
      names = new Map(); // the ids will do
    },
  );
  return loading;
}

export function Device({ id }) {
  const [, loaded] = useState(names !== undefined);
  useEffect(() => {
    if (names === undefined) loadNames().then(() => loaded(true));
  }, []);
  const name = names?.get(id);
  return name ? html`<span class="device" title=${id}>${name}</span>` : html`<span class="device">${id}</span>`;
}
