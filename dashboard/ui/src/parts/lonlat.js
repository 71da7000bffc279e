// Where a revealed location lies, read from the location analyzer's detail; the map (map.js) draws it.

/** `[lon, lat]` from the location analyzer's unmasked detail (`lat`/`lon`, or `first`/`second` of a string). */
export function lonLatOf(detail) {
  if (!detail) return undefined;
  const lat = Number(detail.lat);
  const lon = Number(detail.lon);
  if (Number.isFinite(lat) && Number.isFinite(lon) && detail.lat !== undefined) return [lon, lat];
  const a = Number(detail.first);
  const b = Number(detail.second);
  if (!Number.isFinite(a) || !Number.isFinite(b) || detail.first === undefined) return undefined;
  // A pair written as a string has no names: a value past ±90 can only be the longitude.
  return Math.abs(a) > 90 ? [a, b] : [b, a];
}
