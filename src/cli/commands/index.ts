/** The commands `toyscope` knows, in help order. A new command is one file in this folder and one line here. */
import type { Command } from '../command.ts';
import { ca } from './ca.ts';
import { captures } from './captures.ts';
import { config } from './config.ts';
import { dashboard } from './dashboard.ts';
import { destinations } from './destinations.ts';
import { evidence } from './evidence.ts';
import { experiment } from './experiment.ts';
import { exportCommand } from './export.ts';
import { findings } from './findings.ts';
import { flows } from './flows.ts';
import { gateway } from './gateway.ts';
import { policy } from './policy.ts';
import { proxy } from './proxy.ts';
import { purge } from './purge.ts';
import { replay } from './replay.ts';
import { report } from './report.ts';

export const COMMANDS: readonly Command[] = [
  replay,
  proxy,
  findings,
  flows,
  evidence,
  exportCommand,
  destinations,
  captures,
  report,
  experiment,
  dashboard,
  policy,
  purge,
  gateway,
  config,
  ca,
];
