/**
 * `toyscope report`: the compliance report of one device (src/report/compliance*.ts) as printable HTML, JSON or
 * CSV, in Chinese or English, to stdout or a file. Reads only.
 */
import { writeFileSync } from 'node:fs';
import { InputError } from '../../errors.ts';
import { complianceReport, REPORT_FORMATS, type ReportFormat, renderReport } from '../../report/compliance-run.ts';
import { LANGS, type Lang } from '../../report/compliance-text.ts';
import { VERSION } from '../../version.ts';
import { type Command, parseCommandArgs, str } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
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
  --lang L            zh-CN (default) or en
  --out FILE          write to FILE instead of stdout
  -h, --help          show this help
Global options: --data-dir DIR, --config FILE, --db FILE (see 'toyscope --help').

Examples:
  toyscope report --device teddy --policy teddy-policy.yaml --tester "Li Wei" --out teddy.html
  toyscope report --device teddy --experiment "consent off" --format json --lang en

Exit codes: 0 written, 2 bad arguments, unknown device or experiment, bad policy or configuration.`;

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
    const lang = (str(p, 'lang') ?? 'zh-CN') as Lang;
    if (!LANGS.includes(lang)) throw new UsageError(`--lang: expected zh-CN or en, got '${lang}'`, 'report');
    const config = g.config();
    return withExistingStore(
      g,
      () => {
        throw new InputError(`no database at ${g.dbFile}: replay a capture first`);
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
        const out = str(p, 'out');
        if (out) writeFileSync(out, text);
        else g.io.out(text);
        return EXIT.ok;
      },
    );
  },
};
