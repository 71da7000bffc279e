// A photo with the face detector's boxes over it. Boxes are `[x, y, width, height, score]` in the pixels of the
// image the detector saw (`width` × `height`), drawn in percent so they follow the image's displayed size.
import { html } from 'htm/preact';

function boxesOf(detail) {
  try {
    const boxes = JSON.parse(detail?.boxes ?? '[]');
    return Array.isArray(boxes) ? boxes.filter((b) => Array.isArray(b) && b.length >= 4) : [];
  } catch {
    return [];
  }
}

export function Photo({ src, detail }) {
  const w = Number(detail?.width);
  const h = Number(detail?.height);
  const boxes = w > 0 && h > 0 ? boxesOf(detail) : [];
  const pct = (v, of) => `${((Number(v) / of) * 100).toFixed(3)}%`;
  return html`
    <figure class="photo" id="photo">
      <img src=${src} alt="" />
      ${boxes.map(
        ([x, y, bw, bh, score]) => html`<div
          class="face-box"
          data-box=${JSON.stringify([x, y, bw, bh])}
          title=${score === undefined ? '' : `score ${Number(score).toFixed(2)}`}
          style=${{ left: pct(x, w), top: pct(y, h), width: pct(bw, w), height: pct(bh, h) }}
        ></div>`,
      )}
    </figure>
  `;
}
