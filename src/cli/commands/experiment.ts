/**
 * `toyscope experiment start|stop|list`: label a stretch of time ("consent off", "pairing") so flows and findings
 * seen while it runs can be told apart, for one device or all. Tagging happens by time when the store is read,
 * so an experiment works for a live proxy as for captures replayed later (`replay --experiment`).
 */
import { deviceName } from '../../config.ts';
import { InputError } from '../../errors.ts';
import { ExperimentError, startExperiment, stopExperiment } from '../../experiments.ts';
import { type Command, flag, parseCommandArgs, str } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import { cell, table } from '../format.ts';
import { resolveDeviceId } from '../store-access.ts';
import { formatTime, zoneLabel } from '../time.ts';

const USAGE = `Usage: toyscope experiment start NAME [--device D] [--note TEXT]
       toyscope experiment stop NAME
       toyscope experiment list [--json]

Labels a stretch of time so the traffic seen meanwhile can be reviewed and reported apart: run the
toy with consent withdrawn as "consent off", with consent given as "consent on", and the compliance
report compares them (principle 5). Flows and findings belong to an experiment when they start
inside its window (and come from its device, when it names one), decided when they are read: it
works for a live proxy and for captures replayed later ('toyscope replay --experiment NAME').

Options:
  --device D    only this device's traffic (name from toyscope.yaml, MAC or IP)
  --note TEXT   a note kept with the experiment (shown in reports)
  --json        list as JSON
  -h, --help    show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope experiment start "consent off" --device teddy --note "app: voice consent withdrawn"
  toyscope experiment stop "consent off"

Exit codes: 0 done, 2 bad arguments, a name already running or not running.`;

export const experiment: Command = {
  name: 'experiment',
  usage: USAGE,

  async run(argv, g) {
    const p = parseCommandArgs(
      'experiment',
      argv,
      { device: { type: 'string' }, note: { type: 'string' }, json: { type: 'boolean' } },
      2,
    );
    if (p.help) {
      g.io.out(`${USAGE}\n`);
      return EXIT.ok;
    }
    const [action, name] = p.positionals;
    if (action !== 'start' && action !== 'stop' && action !== 'list') {
      throw new UsageError(
        action ? `unknown action '${action}' (start, stop or list)` : 'missing action: start, stop or list',
        'experiment',
      );
    }
    if (action !== 'list' && !name) throw new UsageError(`'experiment ${action}' needs a NAME`, 'experiment');
    if (action === 'list' && name) throw new UsageError(`unexpected argument '${name}'`, 'experiment');
    const store = await g.openStore(g.dbFile);
    try {
      const now = Date.now() * 1000;
      if (action === 'start') {
        const device = str(p, 'device');
        const deviceId = device === undefined ? undefined : resolveDeviceId(g, store, device);
        const e = startExperiment(store, { name: name!, deviceId, notes: str(p, 'note') }, now);
        const named = deviceId === undefined ? undefined : deviceName(g.config(), deviceId);
        const who =
          deviceId === undefined ? '' : named === deviceId ? ` for ${deviceId}` : ` for ${named} (${deviceId})`;
        g.io.out(`Experiment '${cell(e.name)}' started at ${formatTime(e.startTs)} (${zoneLabel()})${cell(who)}.\n`);
      } else if (action === 'stop') {
        const e = stopExperiment(store, name!, now);
        g.io.out(
          `Experiment '${cell(e.name)}' stopped: ${formatTime(e.startTs)} — ${formatTime(now)} (${zoneLabel()}).\n`,
        );
      } else if (flag(p, 'json')) {
        g.io.out(`${JSON.stringify({ experiments: store.listExperiments() }, null, 2)}\n`);
      } else {
        const rows = store
          .listExperiments()
          .map((e) => [
            cell(e.name, 40),
            formatTime(e.startTs),
            e.endTs === undefined ? 'running' : formatTime(e.endTs),
            e.deviceId ?? 'all',
            cell(e.notes ?? '', 50),
          ]);
        g.io.out(
          rows.length
            ? `${table(['name', `start (${zoneLabel()})`, 'end', 'device', 'note'], rows)}\n`
            : 'No experiments yet.\n',
        );
      }
      return EXIT.ok;
    } catch (err) {
      if (err instanceof ExperimentError) throw new InputError(err.message);
      throw err;
    } finally {
      store.close();
    }
  },
};
