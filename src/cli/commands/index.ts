/**
 * The commands `toyscope` knows, in help order: name and summary here, the command itself loaded only when it runs,
 * so `--version`, `--help` and one command never load the others' dependencies (Fastify, forge, the face model …).
 * A new command is one file in this folder and one entry here.
 */
import type { Command } from '../command.ts';

/** One command as the top level sees it before loading it. */
export interface CommandEntry {
  name: string;
  /** One line for `toyscope --help`. */
  summary: string;
  /** Imports the command's module. */
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'replay',
    summary: 'analyze pcap/pcapng captures (CI gate with --policy)',
    load: async () => (await import('./replay.ts')).replay,
  },
  {
    name: 'proxy',
    summary: 'run the live intercepting proxy (HTTP, HTTPS, WebSocket, MQTT)',
    load: async () => (await import('./proxy.ts')).proxy,
  },
  {
    name: 'findings',
    summary: 'list what personal data devices sent, and where',
    load: async () => (await import('./findings.ts')).findings,
  },
  {
    name: 'flows',
    summary: 'list requests and messages, or show one flow whole (flows show ID)',
    load: async () => (await import('./flows.ts')).flows,
  },
  {
    name: 'evidence',
    summary: 'export a stored voice clip or photo to a file (evidence export ID)',
    load: async () => (await import('./evidence.ts')).evidence,
  },
  {
    name: 'export',
    summary: 'write stored flows as a HAR file (--har)',
    load: async () => (await import('./export.ts')).exportCommand,
  },
  {
    name: 'destinations',
    summary: 'list where each device sent data, and which personal data went there',
    load: async () => (await import('./destinations.ts')).destinations,
  },
  {
    name: 'captures',
    summary: 'list the captures replayed into the database (ids for --capture)',
    load: async () => (await import('./captures.ts')).captures,
  },
  {
    name: 'report',
    summary: 'write the compliance report of a device (HTML, JSON or CSV; English or Chinese)',
    load: async () => (await import('./report.ts')).report,
  },
  {
    name: 'experiment',
    summary: 'start, stop or list experiments (labelled time windows, e.g. "consent off")',
    load: async () => (await import('./experiment.ts')).experiment,
  },
  {
    name: 'dashboard',
    summary: 'serve the dashboard over the database (default 127.0.0.1:8081)',
    load: async () => (await import('./dashboard.ts')).dashboard,
  },
  {
    name: 'policy',
    summary: 'check stored findings against a privacy policy (CI gate, JUnit)',
    load: async () => (await import('./policy.ts')).policy,
  },
  {
    name: 'geo',
    summary: 'import, list or purge the offline Wi-Fi and cell position tables (for the map)',
    load: async () => (await import('./geo.ts')).geo,
  },
  {
    name: 'purge',
    summary: 'delete captured personal data (evidence, unmasked values)',
    load: async () => (await import('./purge.ts')).purge,
  },
  {
    name: 'gateway',
    summary: 'transparent mode: be the gateway of a test network (up), print its rules, clean up',
    load: async () => (await import('./gateway.ts')).gateway,
  },
  {
    name: 'config',
    summary: 'validate toyscope.yaml and print the resolved configuration',
    load: async () => (await import('./config.ts')).config,
  },
  {
    name: 'ca',
    summary: 'create, show or export the interception CA',
    load: async () => (await import('./ca.ts')).ca,
  },
];
