/**
 * `toyscope ca init|show|export`: creates, describes and exports the interception CA that `toyscope proxy` signs
 * its per-host certificates with (DATA_DIR/ca/, key mode 0600). The CA logic is proxy/ca.ts; this file parses
 * arguments and prints.
 */
import { writeFileSync } from 'node:fs';
import { type Ca, createCa, fingerprint, loadCa } from '../../../proxy/ca.ts';
import { dataDirPaths, ensureDataDir } from '../../data-dir.ts';
import { InputError, systemReason } from '../../errors.ts';
import { type Command, flag, type Globals, type OptionSpec, parseCommandArgs, str } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';

const USAGE = `Usage: toyscope ca <init|show|export> [options]

The certificate authority toyscope proxy uses to intercept HTTPS. Install its certificate on the
device or phone under test (the proxy also serves it at http://ca.toyscope/ with install steps).
It lives in DATA_DIR/ca/: toyscope-ca.pem (the certificate) and toyscope-ca-key.pem (the private
key, mode 0600: keep it on this machine). 'toyscope proxy' creates it on first start.

Subcommands:
  init                   create the CA (refuses to replace an existing one)
  show                   print where it is, its subject, validity and SHA-256 fingerprint
  export [--pem|--der]   print the certificate (PEM, the default) or write it in DER
    --out FILE           write to FILE instead of standard output (required with --der)
  -h, --help             show this help
Global options: --data-dir DIR (see 'toyscope --help').

Examples:
  toyscope ca init
  toyscope ca export > toyscope-ca.pem
  toyscope ca export --der --out toyscope-ca.cer
  adb push toyscope-ca.cer /sdcard/Download/

Exit codes: 0 done, 2 bad arguments, no CA yet (show, export) or a CA already there (init).`;

export const ca: Command = {
  name: 'ca',
  usage: USAGE,

  async run(argv, g) {
    const [sub, ...rest] = argv;
    if (sub === '-h' || sub === '--help') {
      g.io.out(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (sub !== 'init' && sub !== 'show' && sub !== 'export') {
      throw new UsageError(
        sub === undefined ? "missing subcommand: 'toyscope ca init|show|export'" : `unknown subcommand 'ca ${sub}'`,
        'ca',
      );
    }
    const options: OptionSpec = sub === 'export' ? { pem: BOOL, der: BOOL, out: { type: 'string' } } : {};
    const p = parseCommandArgs(`ca ${sub}`, rest, options);
    if (p.help) {
      g.io.out(`${USAGE}\n`);
      return EXIT.ok;
    }
    const caDir = dataDirPaths(g.dataDir).ca;
    if (sub === 'init') {
      ensureDataDir(g.dataDir);
      const made = createCa(caDir);
      g.io.out(`Created the CA in ${caDir}\n${describe(made)}`);
      return EXIT.ok;
    }
    const found = loadCa(caDir);
    if (!found) throw new InputError(`no CA in ${caDir}: run '${g.hint('ca init')}' (or start '${g.hint('proxy')}')`);
    if (sub === 'show') {
      g.io.out(describe(found));
      return EXIT.ok;
    }
    return exportCa(found, p, g);
  },
};

const BOOL = { type: 'boolean' } as const;

function exportCa(found: Ca, p: ReturnType<typeof parseCommandArgs>, g: Globals): number {
  if (flag(p, 'pem') && flag(p, 'der')) throw new UsageError('choose one of --pem and --der', 'ca export');
  const out = str(p, 'out');
  const der = flag(p, 'der');
  if (der && !out) throw new UsageError('DER is binary: give --out FILE', 'ca export');
  if (!out) {
    g.io.out(found.certPem);
    return EXIT.ok;
  }
  try {
    writeFileSync(out, der ? found.certDer : found.certPem);
  } catch (err) {
    throw new InputError(`cannot write ${out}: ${systemReason(err)}`);
  }
  g.io.err(`wrote the CA certificate (${der ? 'DER' : 'PEM'}) to ${out}\n`);
  return EXIT.ok;
}

/** What `ca show` prints: the files, subject, validity and fingerprint. */
function describe(c: Ca): string {
  return [
    `certificate  ${c.certFile}`,
    `private key  ${c.keyFile} (mode 0600)`,
    `subject      ${c.x509.subject.replace(/\n/g, ', ')}`,
    `valid        ${c.x509.validFrom} to ${c.x509.validTo}`,
    `SHA-256      ${fingerprint(c)}`,
    '',
  ].join('\n');
}
