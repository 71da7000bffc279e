// A voice clip: the browser's own audio element (it plays WAV, Ogg Opus, MP3; the backend streams the evidence
// with Range so it seeks) and wavesurfer.js drawing the waveform of that same element.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import WaveSurfer from 'wavesurfer.js';

export function Player({ src }) {
  const audio = useRef(null);
  const wave = useRef(null);
  useEffect(() => {
    const ws = WaveSurfer.create({
      container: wave.current,
      media: audio.current,
      url: src,
      height: 72,
      waveColor: '#7a8cc2',
      progressColor: '#2b4aa8',
      cursorColor: '#c33',
      // Its shadow DOM's <style> needs the page's style nonce (the CSP allows no other inline style).
      cspNonce: document.querySelector('meta[name="style-nonce"]')?.content,
    });
    ws.on('error', () => wave.current?.classList.add('undecodable'));
    return () => ws.destroy();
  }, [src]);
  return html`
    <div class="player">
      <div class="wave" ref=${wave}></div>
      <audio id="voice" ref=${audio} controls preload="metadata" src=${src}></audio>
    </div>
  `;
}
