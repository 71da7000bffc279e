/**
 * The live proxy's listener: one `net.Server` on one port serving explicit proxy requests, CONNECT tunnels and
 * (for the gateway) origin-form HTTP and raw TLS, each connection handled by connection.ts. It builds the shared
 * context once from the options (certificate cache, upstream, CA page) and closes cleanly: stop accepting, end
 * every open connection (so each flow is closed and recorded), resolve when all are gone.
 */
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { matchHost } from '../src/config.ts';
import type { FlowId } from '../src/model/flow.ts';
import type { Limits } from '../src/model/limits.ts';
import type { Ca } from './ca.ts';
import { CaPage } from './ca-page.ts';
import { CertCache, type CertCacheStats, type ProbeCa } from './cert-cache.ts';
import { type CertCheckOptions, CertChecks } from './cert-checks.ts';
import { handleConnection } from './connection.ts';
import type { ConnectionProblem, ProxyContext } from './context.ts';
import type { OpenTap } from './tap.ts';
import type { Target } from './target.ts';
import { Upstream, type UpstreamOptions } from './upstream.ts';

export interface ProxyOptions {
  /** Address and port to listen on (port 0: any free port). */
  listen: { host: string; port: number };
  ca: Ca;
  limits: Limits;
  /** How clouds are reached (the connect timeout comes from the limits). */
  upstream: Omit<UpstreamOptions, 'connectTimeoutMs'>;
  /** Host globs whose TLS is relayed unread (`--ignore-hosts`, config `tls.passthrough`). */
  passthrough: string[];
  /** `--probe-tls`, config `tls.forceIntercept` and `tls.caInstalled` (default: no probe, no lists). */
  certChecks?: Partial<CertCheckOptions>;
  /** Config `tls.probeCa`: a CA the devices may trust, for the `wrong-name` and `expired` forgeries. */
  probeCa?: ProbeCa;
  /** Where relayed bytes go: the stream layer (and the --save capture). */
  openTap: OpenTap;
  /** `--keylog`: receives each SSLKEYLOGFILE line. */
  keylog?: (line: Buffer) => void;
  /** `--save-tls`: hand the taps each intercepted leg's device-side TLS bytes and secrets (LiveConnection.wire). */
  deviceWire?: boolean;
  /** The gateway's original-destination lookup (see ProxyContext). */
  originalDestination?: (socket: Socket) => Target | undefined;
  /** Problems on single connections (refused clouds, bad requests, refused certificates …), for the log. */
  onProblem?: (p: ConnectionProblem) => void;
  /** Prefix of flow ids, unique per run (default: the start time in base 36): `<prefix>:<n>`. */
  flowIdPrefix?: string;
  /** The run's flow id source, when other live sources (DNS forwarder, UDP recorder) share it. */
  nextFlowId?: () => FlowId;
  /** The name a device's DNS answers gave an IP (see ProxyContext.hostOf). */
  hostOf?: (ip: string) => string | undefined;
}

export interface RunningProxy {
  address: AddressInfo;
  /** Connections open now. */
  readonly connections: number;
  readonly certs: CertCacheStats;
  /** Stops accepting, ends every open connection (their flows close), resolves when all are gone. */
  close(): Promise<void>;
}

export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  const certs = new CertCache(opts.ca, opts.limits.MAX_PROXY_CERTS, opts.probeCa);
  const checks = new CertChecks(
    { probe: false, forceIntercept: [], caInstalled: () => false, ...opts.certChecks },
    opts.limits,
  );
  let n = 0;
  const prefix = opts.flowIdPrefix ?? `live-${Date.now().toString(36)}`;
  const ctx: ProxyContext = {
    limits: opts.limits,
    certs,
    upstream: new Upstream({ ...opts.upstream, connectTimeoutMs: opts.limits.PROXY_CONNECT_TIMEOUT_MS }),
    caPage: new CaPage(opts.ca),
    passthrough: (host) => opts.passthrough.some((g) => matchHost(g, host)),
    checks,
    openTap: opts.openTap,
    nextFlowId: opts.nextFlowId ?? (() => `${prefix}:${++n}`),
    ...(opts.hostOf ? { hostOf: opts.hostOf } : {}),
    ...(opts.keylog ? { keylog: opts.keylog } : {}),
    ...(opts.deviceWire ? { deviceWire: true } : {}),
    ...(opts.originalDestination ? { originalDestination: opts.originalDestination } : {}),
    problem: (p) => opts.onProblem?.(p),
  };
  const open = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    void handleConnection(ctx, socket);
  });
  server.maxConnections = opts.limits.MAX_PROXY_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen.port, opts.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    get connections() {
      return open.size;
    },
    get certs() {
      return certs.stats;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of open) s.destroy();
      }),
  };
}
