/** The commands `toyscope` knows, in help order. A new command is one file in this folder and one line here. */
import type { Command } from '../command.ts';
import { config } from './config.ts';
import { findings } from './findings.ts';
import { policy } from './policy.ts';
import { purge } from './purge.ts';

export const COMMANDS: readonly Command[] = [findings, policy, purge, config];
