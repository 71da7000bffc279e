// The dashboard's first page (the full UI is issue 19): devices with links to their reports, the latest findings,
// updated live over /api/events. Every value goes in through textContent: captured text is never markup.
const utc = (us) => new Date(Math.floor(us / 1000)).toISOString().slice(0, 19).replace('T', ' ');

async function api(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (res.status === 401) {
    location.replace('/login');
    throw new Error('login required');
  }
  return res.json();
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.append(c);
    else td.textContent = String(c);
    tr.append(td);
  }
  return tr;
}

function reportLinks(id) {
  const span = document.createElement('span');
  for (const [lang, label] of [
    ['zh-CN', '中文'],
    ['en', 'English'],
  ]) {
    const a = document.createElement('a');
    a.href = `/api/report?${new URLSearchParams({ device: id, lang })}`;
    a.textContent = label;
    span.append(a, ' ');
  }
  return span;
}

const findingRow = (f) =>
  row([utc(f.firstTs), f.deviceId, `${f.category}/${f.subtype}`, f.destination.host, f.evidence.excerpt]);

async function load() {
  const devices = await api('/api/devices');
  document
    .querySelector('#devices tbody')
    .replaceChildren(
      ...devices.items.map((d) => row([d.name ?? d.id, d.findings, d.flows, utc(d.lastTs), reportLinks(d.id)])),
    );
  const page = await api('/api/findings?limit=50');
  document.querySelector('#findings tbody').replaceChildren(...page.items.map(findingRow));
}

function live() {
  const status = document.getElementById('live');
  const events = new EventSource('/api/events');
  events.addEventListener('hello', () => {
    status.textContent = '· live';
  });
  events.addEventListener('finding', (e) => {
    const body = document.querySelector('#findings tbody');
    body.prepend(findingRow(JSON.parse(e.data)));
    while (body.rows.length > 50) body.deleteRow(-1);
  });
  events.addEventListener('reload', () => load());
  events.onerror = () => {
    status.textContent = '· reconnecting';
  };
}

document.getElementById('logout').addEventListener('click', async () => {
  await fetch('/api/session', { method: 'DELETE' });
  location.replace('/login');
});
load().then(live);
