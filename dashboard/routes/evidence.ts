/**
 * Evidence blobs (voice clips, photos, bodies), streamed from the store row by row with single-range requests so
 * an audio element can seek, to a session that revealed the finding they belong to (a logged action,
 * routes/findings.ts): a child's face or voice is personal data as much as a masked value. Every byte is hostile: only audio and raster image types the page shows are served
 * inline under their own type; anything else (HTML, SVG, scripts, unknown) goes out as application/octet-stream
 * with `Content-Disposition: attachment`, and the data CSP (security.ts) sandboxes whatever a browser does with it.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { Store } from '../../src/store/types.ts';
import { IdParams } from '../schemas.ts';

/** Types the page plays or shows; every other type is downloaded. No SVG (it can hold script). */
const INLINE_TYPES: ReadonlySet<string> = new Set([
  'audio/wav',
  'audio/x-wav',
  'audio/wave',
  'audio/ogg',
  'audio/opus',
  'audio/mpeg',
  'audio/webm',
  'audio/aac',
  'audio/flac',
  'audio/amr',
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/bmp',
]);

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` against `size`: [start, end] inclusive, 'bad' (416), or undefined (whole). */
export function parseRange(header: string | undefined, size: number): [number, number] | 'bad' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return header.includes(',') ? undefined : 'bad'; // several: whole body
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start > end || start >= size ? 'bad' : [start, end];
}

/** A file name made only of safe characters. */
const fileName = (id: string) => `evidence-${id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100)}.bin`;

const evidenceRoutes: FastifyPluginAsync<{ store: Store }> = async (app, { store }) => {
  app.get<{ Params: { id: string }; Querystring: { download?: boolean } }>(
    '/api/evidence/:id',
    {
      schema: {
        params: IdParams,
        querystring: { type: 'object', additionalProperties: false, properties: { download: { type: 'boolean' } } },
      },
    },
    async function getEvidence(req, reply) {
      const info = store.evidenceInfo(req.params.id);
      if (!info) return reply.code(404).send({ error: 'no such evidence' });
      if (!req.evidenceAccess?.granted(info.id)) {
        return reply.code(403).send({ error: 'reveal the finding first: its evidence is personal (a logged action)' });
      }
      const mime = info.mime.split(';')[0]!.trim().toLowerCase(); // `audio/ogg;codecs=opus` plays as audio/ogg
      const inline = INLINE_TYPES.has(mime) && !req.query.download;
      reply.header('content-type', inline ? mime : 'application/octet-stream');
      reply.header('content-disposition', inline ? 'inline' : `attachment; filename="${fileName(info.id)}"`);
      reply.header('accept-ranges', 'bytes');
      const size = info.totalBytes;
      const range = parseRange(req.headers.range, size);
      if (range === 'bad') {
        reply.header('content-range', `bytes */${size}`);
        return reply.code(416).send();
      }
      const [start, end] = range ?? [0, size - 1];
      if (range) {
        reply.code(206);
        reply.header('content-range', `bytes ${start}-${end}/${size}`);
      }
      reply.header('content-length', Math.max(0, end - start + 1));
      if (size === 0) return reply.send(Buffer.alloc(0));
      return reply.send(Readable.from(store.readEvidenceRange(info.id, start, end)));
    },
  );
};
export default evidenceRoutes;
