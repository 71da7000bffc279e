/**
 * `toyscope flows`: what a tester who knows `mitmdump -r` or `tshark` looks at first — one line per request or
 * message (time, device, method and URL or message kind and topic, host with operator, status, bytes, transport
 * and TLS state, findings), filtered; and `toyscope flows show ID`: one flow whole (heads, body summaries,
 * findings, where to find it in Wireshark). Reads only. Heads and URLs are masked unless --reveal
 * (src/report/heads.ts); the rendering of one flow is in src/cli/flow-view.ts.
 */
import { deviceName } from '../../config.ts';
import { InputError } from '../../errors.ts';
import { displayLabel, type TlsState, type Transport } from '../../model/flow.ts';
import { maskPath, maskUrl } from '../../report/heads.ts';
import { writeArray } from '../../report/json.ts';
import type { Exchange, ExchangeQuery, Store } from '../../store/types.ts';
import { type Command, flag, type Globals, type Parsed, parseCommandArgs, parseLimit, str } from '../command.ts';
import { UsageError } from '../errors.ts';
import { flowJson, renderFlow, rtpPayload } from '../flow-view.ts';
import { cell, recipient, size, table } from '../format.ts';
import { scopeOf, withExistingStore } from '../store-access.ts';
import { formatTime, timeHeader } from '../time.ts';

const DEFAULT_LIMIT = 100;
const TRANSPORTS: readonly Transport[] = ['http', 'websocket', 'mqtt', 'coap', 'dns', 'tcp', 'udp'];
const noFlows = (g: Globals) => `No flows yet. Replay a capture with '${g.hint('replay capture.pcapng')}' first.`;

export const flows: Command = {
  name: 'flows',
  usage: `Usage: toyscope flows [options]
       toyscope flows show ID [--json] [--reveal]

Lists what devices sent, one line per request or message, oldest first: time (local), flow id,
device, request (method and URL, WebSocket message, MQTT packet and topic, DNS question), host with
its operator ("3p" for a third party), status, bytes up and down, transport with TLS state, and the
findings on it. A flow that carried no message (TLS left unread, a connection without data) has a
line of its own. Query values and personal-looking path parts are masked unless --reveal.

'flows show ID' prints one flow: endpoints, TLS, every message's head (values masked unless --reveal),
what its body decoded into (parts, token counts), the findings with the key paths that produced them,
and, for a replayed capture, a Wireshark display filter and the frame numbers.

Options:
  --device D         only this device (name from toyscope.yaml, MAC or IP)
  --host H           only flows to this host (or any host under this domain)
  --capture C        only flows from this capture (sha256 or a prefix)
  --transport T      only ${TRANSPORTS.join(', ')}
  --since T          only from T on: 2026-11-23, '2026-11-23 10:55' (local time; Z or +08:00 for
                     another zone) or an age such as 2h or 7d
  --until T          only before T (same forms)
  --with-findings    only requests and messages that carried personal data
  --limit N          at most N lines (default ${DEFAULT_LIMIT} in the table; --json lists every
                     match unless --limit is given)
  --json             print {"exchanges": [...]} (docs/cli.md) instead of a table: every exchange
  --reveal           print URLs, topics and heads unmasked (do not use in CI logs)
  -h, --help         show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope flows --with-findings
  toyscope flows --device teddy --host xfyun.cn --since 1h
  toyscope flows show 3fa9c2d4e5f6:12

Exit codes: 0 listed (even if none), 2 bad arguments, unknown device, capture or flow.`,

  async run(argv, g) {
    if (argv[0] === 'show') return show(argv.slice(1), g, this.usage);
    const p = parseCommandArgs('flows', argv, {
      device: { type: 'string' },
      host: { type: 'string' },
      capture: { type: 'string' },
      transport: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      'with-findings': { type: 'boolean' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      reveal: { type: 'boolean' },
    });
    if (p.help) {
      g.io.out(`${this.usage}\n`);
      return 0;
    }
    const transport = str(p, 'transport');
    if (transport !== undefined && !TRANSPORTS.includes(transport as Transport)) {
      throw new UsageError(`unknown transport '${transport}' (expected one of ${TRANSPORTS.join(', ')})`, 'flows');
    }
    const json = flag(p, 'json');
    // A table is for reading (the first lines, and a note when there are more); --json lists all unless limited.
    const limit = parseLimit(str(p, 'limit'), json ? undefined : DEFAULT_LIMIT, 'flows');
    g.config();
    return withExistingStore(
      g,
      (db) => `${noFlows(g)}\n(no database at ${db})\n`,
      async (store) => {
        const q = query(p, g, store);
        if (transport) q.transport = transport as Transport;
        const reveal = flag(p, 'reveal');
        if (json) {
          // Written one exchange at a time: a lab's whole history is never one string.
          g.io.out('{\n  "exchanges": ');
          const all = limit === undefined ? store.iterateExchanges(q) : store.listExchanges({ ...q, limit });
          writeArray(g.io.out, all, (x) => exchangeJson(x, reveal));
          g.io.out('\n}\n');
          return 0;
        }
        q.limit = limit;
        const list = store.listExchanges(q);
        if (list.length === 0) {
          g.io.out(store.listFlows({ limit: 1 }).length === 0 ? `${noFlows(g)}\n` : 'No flows match.\n');
          return 0;
        }
        g.io.out(`${renderExchanges(list, g, reveal)}\n`);
        if (list.length === limit) g.io.out(`(first ${limit} shown; use --limit or narrow the filters)\n`);
        return 0;
      },
    );
  },
};

function query(p: Parsed, g: Globals, store: Store): ExchangeQuery {
  const q: ExchangeQuery = { ...scopeOf(p, g, store, 'flows') };
  if (flag(p, 'with-findings')) q.withFindings = true;
  return q;
}

async function show(argv: string[], g: Globals, usage: string): Promise<number> {
  const p = parseCommandArgs('flows show', argv, { json: { type: 'boolean' }, reveal: { type: 'boolean' } }, 1);
  if (p.help) {
    g.io.out(`${usage}\n`);
    return 0;
  }
  // The list's ids name a message (`flow#3`): show its flow.
  const id = p.positionals[0]?.replace(/#\d+$/, '');
  if (id === undefined) throw new UsageError('missing flow id', 'flows');
  g.config();
  return withExistingStore(
    g,
    (db) => `${noFlows(g)}\n(no database at ${db})\n`,
    async (store) => {
      const flow = store.getFlow(id);
      if (!flow) throw new InputError(`no flow '${id}' in the database ('${g.hint('flows')}' lists them)`);
      const data = {
        flow,
        messages: store.listMessages(id),
        findings: store.listFindings({ flowId: id, limit: 10_000 }),
        violations: store.listViolations({ flowId: id, limit: 1000 }),
      };
      const reveal = flag(p, 'reveal');
      if (flag(p, 'json')) g.io.out(`${JSON.stringify(flowJson(data, reveal), null, 2)}\n`);
      else g.io.out(`${renderFlow(data, g.config(), reveal)}\n`);
      return 0;
    },
  );
}

/** What the REQUEST column says: `POST /v1/asr?sn=•••`, `ws text`, `mqtt publish /sys/…`, `dns api.x A`. */
export function requestLabel(x: Exchange, reveal: boolean): string {
  const m = x.request;
  if (!m) return x.flow.tls === 'none' ? '(no data)' : '(TLS, not read)';
  switch (m.protocol) {
    case 'http':
      return m.method ? `${m.method} ${maskUrl(m.url ?? '', reveal)}` : `(response ${m.status ?? ''})`;
    case 'websocket':
      return `ws ${m.topic ?? 'message'}`;
    case 'mqtt':
      return `mqtt ${mqttPacket(m.headers)} ${maskPath(m.topic ?? '', reveal)}`.trimEnd();
    case 'coap':
      return m.method ? `coap ${m.method} ${maskUrl(m.url ?? '', reveal)}` : `(coap ${m.status ?? ''})`;
    case 'rtp':
      return `rtp ${rtpPayload(m.headers)}`;
    case 'smtp':
      return 'smtp mail';
    case 'dns':
      return (m.url ?? 'dns:').replace(/^dns:/, 'dns ').replace('?type=', ' ');
    default:
      // A framed raw protocol's command (a watch's `UD`), else only bytes.
      return m.method ? `frame ${m.method}` : `${m.direction === 'upload' ? 'bytes up' : 'bytes down'}`;
  }
}

/** The MQTT packet a message was, from the pseudo-headers src/streams/mqtt.ts gives each kind. */
function mqttPacket(headers: ReadonlyArray<readonly [string, string]>): string {
  if (headers.some(([n]) => n === 'client-id')) return 'CONNECT';
  if (headers.some(([n]) => n === 'topic-filter')) return 'SUBSCRIBE';
  return 'PUBLISH';
}

function renderExchanges(list: Exchange[], g: Globals, reveal: boolean): string {
  const config = g.config();
  const rows = list.map((x) => {
    const up = x.request ? (x.request.direction === 'upload' ? x.request.bodyBytes : 0) : x.flow.bytesUp;
    const down = x.request
      ? (x.response?.bodyBytes ?? (x.request.direction === 'download' ? x.request.bodyBytes : 0))
      : x.flow.bytesDown;
    return [
      formatTime(x.request?.firstTs ?? x.flow.firstTs),
      cell(x.request ? `${x.flow.id}#${x.request.msgId}` : x.flow.id, 24),
      cell(deviceName(config, x.flow.deviceId), 20),
      cell(requestLabel(x, reveal), 56),
      cell(recipient(x.flow.destination, true), 48),
      x.response?.status !== undefined ? String(x.response.status) : '',
      size(up),
      size(down),
      label(x.flow.transport, x.flow.tls),
      cell([...new Set(x.findings.map((f) => `${f.category}/${f.subtype}`))].sort().join(', '), 64),
    ];
  });
  return table([timeHeader(), 'ID', 'DEVICE', 'REQUEST', 'HOST', 'STATUS', 'UP', 'DOWN', 'PROTO', 'FINDINGS'], rows);
}

const label = (t: Transport, tls: TlsState): string => displayLabel(t, tls);

function exchangeJson(x: Exchange, reveal: boolean) {
  const m = x.request;
  return {
    flowId: x.flow.id,
    ...(m ? { msgId: m.msgId } : {}),
    deviceId: x.flow.deviceId,
    ts: m?.firstTs ?? x.flow.firstTs,
    request: requestLabel(x, reveal),
    host: x.flow.destination.host,
    ...(x.flow.destination.operator ? { operator: x.flow.destination.operator } : {}),
    thirdParty: x.flow.destination.thirdParty,
    ...(x.response?.status !== undefined ? { status: x.response.status } : {}),
    transport: x.flow.transport,
    tls: x.flow.tls,
    findings: x.findings.map((f) => ({ id: f.id, category: f.category, subtype: f.subtype })),
  };
}
