/**
 * `toyscope report`: the compliance report of one device (src/report/compliance*.ts) as printable HTML, JSON or
 * CSV, in English or Chinese, to stdout or a new file (an existing one only with --force). Reads the store only.
 */
import { InputError } from '../../errors.ts';
import { complianceReport, REPORT_FORMATS, type ReportFormat, renderReport } from '../../report/compliance-run.ts';
import { DEFAULT_LANG, LANGS, type Lang } from '../../report/compliance-text.ts';
import { VERSION } from '../../version.ts';
import { type Command, flag, type Globals, parseCommandArgs, str } from '../command.ts';
import { EXIT, oneLine, UsageError } from '../errors.ts';
import { size } from '../format.ts';
import { refuseExisting, writePrivateFile } from '../private-file.ts';
import { resolveDeviceId, withExistingStore } from '../store-access.ts';

const USAGE = `Usage: toyscope report --device D [options]

Writes the compliance report of one device against the eight principles of the 2025 Smart Toy
Personal Information Protection Initiative (智能玩具个人信息保护倡议): a verdict (violation, needs
review, not observed, pass) for the five that traffic can show, the rule behind it and the
findings that are its evidence; coverage by inspection state, so that "not observed" never reads
as "pass"; and a chain of custody (toyscope version, capture SHA-256s, time window, tester,
configuration and policy hashes, experiments). Rules are explained in docs/report.md.

Options:
  --device D          the device (name from toyscope.yaml, MAC or IP)  (required)
  --experiment NAME   only traffic inside this experiment's window (repeatable)
  --policy FILE       the device's declared behaviour (default: policy in toyscope.yaml)
  --tester NAME       who ran the test (chain of custody)
  --format F          html (printable, default), json or csv
  --lang L            en (default) or zh-CN (Chinese; the HTML needs CJK fonts to print)
  --out FILE          write to FILE instead of stdout (mode 0600; an existing FILE only with --force)
  --force             overwrite FILE
  -h, --help          show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope report --device teddy --policy teddy-policy.yaml --tester "Li Wei" --out teddy.html
  toyscope report --device teddy --experiment "consent off" --format json --lang zh-CN

Exit codes: 0 written, 2 bad arguments, unknown device or experiment, bad policy or configuration,
an existing --out FILE without --force.`;

export const report: Command = {
  name: 'report',
  usage: USAGE,

  async run(argv, g) {
    const p = parseCommandArgs('report', argv, {
      device: { type: 'string' },
      experiment: { type: 'string', multiple: true },
      policy: { type: 'string' },
      tester: { type: 'string' },
      format: { type: 'string' },
      lang: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
    });
    if (p.help) {
      g.io.out(`${USAGE}\n`);
      return EXIT.ok;
    }
    const device = str(p, 'device');
    if (!device) throw new UsageError('--device is required', 'report');
    const format = (str(p, 'format') ?? 'html') as ReportFormat;
    if (!REPORT_FORMATS.includes(format))
      throw new UsageError(`--format: expected html, json or csv, got '${format}'`, 'report');
    const lang = (str(p, 'lang') ?? DEFAULT_LANG) as Lang;
    if (!LANGS.includes(lang)) throw new UsageError(`--lang: expected en or zh-CN, got '${lang}'`, 'report');
    const out = str(p, 'out');
    const force = flag(p, 'force');
    if (out !== undefined) refuseExisting(out, force); // before the work, not after it
    const config = g.config();
    return withExistingStore(
      g,
      () => {
        throw new InputError(
          `no database at ${g.dbFile}: replay a capture first ('${g.hint('replay capture.pcapng')}')`,
        );
      },
      (store) => {
        const r = complianceReport(store, {
          deviceId: resolveDeviceId(g, store, device),
          experiments: p.values.experiment as string[] | undefined,
          tester: str(p, 'tester'),
          config,
          configFile: g.configFile,
          policyFile: str(p, 'policy') ?? config.policy,
          toyscopeVersion: VERSION,
        });
        const text = renderReport(r, format, lang);
        if (out === undefined) g.io.out(text);
        else writeReport(g, out, force, text, `${format}, ${lang}`);
        return EXIT.ok;
      },
    );
  },
};

/** Writes the report to a new file (or over one with `force`) and says where: `Wrote a.html (html, en, 12.3 KiB)`. */
function writeReport(g: Globals, file: string, force: boolean, text: string, what: string): void {
  const bytes = Buffer.from(text);
  writePrivateFile(file, bytes, force);
  g.io.out(`Wrote ${oneLine(file)} (${what}, ${size(bytes.length)})\n`);
}
