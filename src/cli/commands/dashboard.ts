/**
 * `toyscope dashboard`: serves the dashboard (dashboard/server.ts) over the store in the data directory until
 * interrupted. Another process may write the store meanwhile (a replay, a proxy): the live feed polls it.
 * Prints the login URL once, when the token is first made, and warns when listening beyond loopback.
 */
import { UiNotBuiltError } from '../../../dashboard/plugins/static.ts';
import { DEFAULT_LISTEN, parseListen, startDashboard } from '../../../dashboard/server.ts';
import { formatHostPort } from '../../../proxy/address.ts';
import { dataDirPaths } from '../../data-dir.ts';
import { InputError, systemReason } from '../../errors.ts';
import { type Command, parseCommandArgs, str } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';

const USAGE = `Usage: toyscope dashboard [--listen HOST:PORT]

Serves the dashboard over the database in the data directory: devices, destinations, flows,
findings with their evidence, experiments, reports, live updates while a proxy or a replay writes.
The first start makes a login token (DATA_DIR/dashboard-token, mode 0600) and prints a login URL
holding it, once; later starts print the address only (the token stays in that file).

Options:
  --listen HOST:PORT   where to listen (default ${DEFAULT_LISTEN}); another address than loopback
                       is reachable from the network: a warning says so
  -h, --help           show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope dashboard
  toyscope --data-dir lab-data dashboard --listen 127.0.0.1:9000

Exit codes: 0 stopped by Ctrl-C or SIGTERM, 2 bad arguments, address in use, configuration.`;

export const dashboard: Command = {
  name: 'dashboard',
  usage: USAGE,

  async run(argv, g) {
    const p = parseCommandArgs('dashboard', argv, { listen: { type: 'string' } });
    if (p.help) {
      g.io.out(`${USAGE}\n`);
      return EXIT.ok;
    }
    let listen: ReturnType<typeof parseListen>;
    try {
      listen = parseListen(str(p, 'listen') ?? DEFAULT_LISTEN);
    } catch (err) {
      throw new UsageError(`--listen: ${(err as Error).message}`, 'dashboard');
    }
    const config = g.config();
    const store = await g.openStore(g.dbFile);
    try {
      const running = await startDashboard({
        store,
        config,
        listen,
        paths: { ...dataDirPaths(g.dataDir) },
        custody: { configFile: g.configFile, policyFile: config.policy },
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE' || err.code === 'EADDRNOTAVAIL' || err.code === 'EACCES') {
          throw new InputError(`cannot listen on ${formatHostPort(listen)}: ${systemReason(err)}`);
        }
        // An install that skipped `prepare` (npm --ignore-scripts): one line saying how to build the pages.
        if (err instanceof UiNotBuiltError) throw new InputError(err.message);
        throw err;
      });
      for (const w of running.warnings) g.io.err(`warning: ${w}\n`);
      g.io.out(`Dashboard on ${running.url}\n`);
      g.io.out(
        running.loginUrl
          ? `Log in (this link holds the token; it is printed only now): ${running.loginUrl}\n`
          : `Log in with the token in ${dataDirPaths(g.dataDir).dashboardToken}.\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await running.close();
      return EXIT.ok;
    } finally {
      store.close();
    }
  },
};
