// Display helpers: times (UTC), byte sizes, numbers. Text only: every value lands in the page as text nodes.

/** `2024-05-01 12:00:03` from µs since the epoch (UTC). */
export const utc = (us) =>
  us === undefined ? '' : new Date(Math.floor(us / 1000)).toISOString().slice(0, 19).replace('T', ' ');

/** `1.2 MB` */
export function bytes(n) {
  if (n === undefined) return '';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** `1,234,567` */
export const count = (n) => (n === undefined ? '' : Number(n).toLocaleString('en-US'));
