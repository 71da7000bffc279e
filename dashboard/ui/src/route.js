// The address bar as the page's state: `#/page/ID?filters`. Reading and writing it; nothing else.

/** `{page, id, query}` from `#/finding/c1%2F3%2Ff0?x=1`. */
export function parseRoute(hash) {
  const [path, qs = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page = 'overview', id] = path.split('/');
  return {
    page: page || 'overview',
    id: id === undefined ? undefined : decodeURIComponent(id),
    query: new URLSearchParams(qs),
  };
}

/** `#/page?query`, dropping empty values. */
export function href(page, query = {}, id) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `#/${page}${id === undefined ? '' : `/${encodeURIComponent(id)}`}${s ? `?${s}` : ''}`;
}

/** Link to one finding. */
export const findingHref = (id) => href('finding', {}, id);
