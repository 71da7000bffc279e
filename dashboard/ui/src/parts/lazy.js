// A component whose code is loaded on first use, from its own chunk (build.mjs splits the bundle): the voice
// player (wavesurfer.js), the map (d3-geo, topojson-client) and the overview's timeline (uPlot) stay out of what
// every page loads first.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';

/** `load()` resolves to the component; until it has, the lazy one draws nothing. */
export function lazy(load) {
  let Component;
  let loading;
  return function Lazy(props) {
    const [, setLoaded] = useState(false);
    useEffect(() => {
      if (Component) return;
      loading ??= load().then((c) => {
        Component = c;
      });
      loading.then(() => setLoaded(true));
    }, []);
    return Component ? html`<${Component} ...${props} />` : '';
  };
}
