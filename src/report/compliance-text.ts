/**
 * The compliance report's words in Simplified Chinese and English: principle titles of the 2025 Smart Toy Personal
 * Information Protection Initiative, verdicts, the sentence of each check rule, coverage states and headings.
 * Data and tiny formatters only; the renderers (compliance-html.ts, compliance-csv.ts) pick a language.
 */
import type { Verdict } from './compliance.ts';

export type Lang = 'zh-CN' | 'en';
export const LANGS: readonly Lang[] = ['zh-CN', 'en'];
/** The report's language unless asked for another: English reads on any machine (Chinese needs CJK fonts). */
export const DEFAULT_LANG: Lang = 'en';

type Text = Record<Lang, string>;
type Params = Record<string, string | number> | undefined;

export const PRINCIPLES: Record<number, Text> = {
  1: { 'zh-CN': '严守合规底线，扛起保护责任', en: 'Hold the compliance baseline; take responsibility for protection' },
  2: {
    'zh-CN': '聚焦必要原则，严控个人信息收集范围',
    en: 'Necessity: strictly limit what personal information is collected',
  },
  3: { 'zh-CN': '优化告知方式，保障知情同意', en: 'Clear notice; informed consent' },
  4: { 'zh-CN': '强化风险评估，完善防护措施', en: 'Risk assessment and protective measures' },
  5: { 'zh-CN': '尊重用户选择，提供替代方案', en: 'Respect user choice; offer alternatives' },
  6: { 'zh-CN': '规范个人信息流转，严控第三方合作机构', en: 'Govern data flows; control third-party partners' },
  7: { 'zh-CN': '关怀特殊需求，体现人文温度', en: 'Care for special needs' },
  8: { 'zh-CN': '配合监管检查，主动接受监督', en: 'Cooperate with supervision and inspection' },
};

export const VERDICTS: Record<Verdict, Text> = {
  violation: { 'zh-CN': '违规', en: 'Violation' },
  'needs-review': { 'zh-CN': '需人工复核', en: 'Needs review' },
  'not-observed': { 'zh-CN': '未观察到', en: 'Not observed' },
  pass: { 'zh-CN': '通过', en: 'Pass' },
  'not-assessable': { 'zh-CN': '无法从流量评估', en: 'Not assessable from traffic' },
};

/** Each rule's sentence; `{name}` is replaced by the check's params. */
export const RULES: Record<string, Text> = {
  'p2-sensitive': {
    'zh-CN': '未发现人脸、位置或家庭联系人数据上传（可读上行流量占 {visible}%）。',
    en: 'No face, location or family-contact data seen leaving the device ({visible}% of upload bytes readable).',
  },
  'p2-sensitive-no-policy': {
    'zh-CN': '上传了人脸、位置或联系人数据；未提供隐私政策声明，无法判断是否为功能所必需。',
    en: 'Face, location or contact data was uploaded; with no policy declaration, necessity cannot be judged.',
  },
  'p2-undeclared-sensitive': {
    'zh-CN': '上传了隐私政策未声明的人脸、位置或家庭联系人数据。',
    en: 'Face, location or family-contact data was uploaded without being declared in the policy.',
  },
  'p2-declared-sensitive': {
    'zh-CN': '上传了已声明的敏感数据；请确认确有功能需要。',
    en: 'Declared sensitive data was uploaded: confirm that a feature needs it.',
  },
  'p2-uploaded-media': {
    'zh-CN': '语音或图像被上传到云端，而非在设备端处理；请确认必要性。',
    en: 'Voice or images were uploaded instead of processed on the device: confirm they must be.',
  },
  'p2-no-uploaded-media': {
    'zh-CN': '未发现语音或图像上传（可读上行流量占 {visible}%）。',
    en: 'No voice or images seen leaving the device ({visible}% of upload bytes readable).',
  },
  'p3-types': {
    'zh-CN': '未发现个人信息上传（可读上行流量占 {visible}%）。',
    en: 'No personal data seen leaving the device ({visible}% of upload bytes readable).',
  },
  'p3-no-declaration': {
    'zh-CN': '观察到个人信息，但隐私政策未声明收集的数据类型（policy 的 declared.categories）。',
    en: 'Personal data was observed, but the policy declares no data types (declared.categories).',
  },
  'p3-undeclared-type': {
    'zh-CN': '观察到隐私政策未声明的个人信息类型。',
    en: 'Personal data of types the policy does not declare was observed.',
  },
  'p3-declared-types': {
    'zh-CN': '观察到的个人信息类型均已在隐私政策中声明。',
    en: 'Every type of personal data observed is declared in the policy.',
  },
  'p4-plaintext': {
    'zh-CN': '个人信息以明文（未加密）传输。',
    en: 'Personal data travelled in clear text (no TLS).',
  },
  'p4-no-plaintext': {
    'zh-CN': '未发现明文传输的个人信息（可读上行流量占 {visible}%）。',
    en: 'No personal data seen in clear text ({visible}% of upload bytes readable).',
  },
  'p4-weak-tls': {
    'zh-CN': '服务器使用过时的 TLS 版本或无前向保密的加密套件。',
    en: 'A server chose an outdated TLS version or a suite without forward secrecy.',
  },
  'p4-forged-cert-accepted': {
    'zh-CN': '设备接受了伪造证书（{count} 次，见证书检查表），未校验服务器证书。',
    en: 'The device accepted a forged certificate ({count} times, see the certificate checks): it does not validate certificates.',
  },
  'p4-cert-validated': {
    'zh-CN': '设备拒绝了伪造证书（{flows} 次），且未接受任何伪造证书，证书校验有效。',
    en: 'The device rejected a forged certificate ({flows} times) and accepted none: it validates certificates.',
  },
  'p4-cert-untested': {
    'zh-CN': '未进行证书校验测试（需经 toyscope proxy 实时拦截）。',
    en: 'Certificate validation was not tested (needs live interception through toyscope proxy).',
  },
  'p5-no-experiment': {
    'zh-CN': '没有记录“未同意”实验；请在关闭同意的情况下运行 toyscope experiment start "consent off"。',
    en: 'No "consent off" experiment was recorded: run toyscope experiment start "consent off" with consent withdrawn.',
  },
  'p5-flows-without-consent': {
    'zh-CN': '在“未同意”实验（{experiment}）期间仍有个人信息上传。',
    en: 'Personal data still flowed during the "consent off" experiment ({experiment}).',
  },
  'p5-quiet-without-consent': {
    'zh-CN': '“未同意”实验（{experiment}）期间未发现个人信息上传（可读上行流量占 {visible}%）。',
    en: 'No personal data seen during the "consent off" experiment ({experiment}; {visible}% of upload bytes readable).',
  },
  'p6-recipients': {
    'zh-CN': '未发现个人信息发送给任何接收方（可读上行流量占 {visible}%）。',
    en: 'No personal data seen going to any recipient ({visible}% of upload bytes readable).',
  },
  'p6-parties-unknown': {
    'zh-CN': '未配置第一方主机（toyscope.yaml 或 policy 的 firstParty），无法区分第三方；请复核接收方。',
    en: 'No first-party hosts are configured (firstParty in toyscope.yaml or the policy): review the recipients.',
  },
  'p6-first-party-only': {
    'zh-CN': '个人信息仅发送给第一方。',
    en: 'Personal data went to first parties only.',
  },
  'p6-no-declaration': {
    'zh-CN': '个人信息发送给第三方；未提供隐私政策声明。',
    en: 'Personal data went to third parties; no policy declares recipients.',
  },
  'p6-undeclared-recipient': {
    'zh-CN': '个人信息发送给隐私政策未披露的第三方。',
    en: 'Personal data went to third parties the policy does not disclose.',
  },
  'p6-declared-recipient': {
    'zh-CN': '个人信息发送给已披露的第三方。',
    en: 'Personal data went to disclosed third parties.',
  },
};

export const CATEGORY_NAMES: Record<string, Text> = {
  voice: { 'zh-CN': '语音', en: 'voice' },
  face: { 'zh-CN': '人脸', en: 'face' },
  location: { 'zh-CN': '位置', en: 'location' },
  contacts: { 'zh-CN': '联系人', en: 'contacts' },
  identifiers: { 'zh-CN': '设备标识', en: 'identifiers' },
  'child-profile': { 'zh-CN': '儿童资料', en: 'child profile' },
  tls: { 'zh-CN': 'TLS', en: 'TLS' },
  'opaque-upload': { 'zh-CN': '不可读上传', en: 'opaque upload' },
};

export const TLS_STATES: Record<string, Text> = {
  none: { 'zh-CN': '明文', en: 'plaintext' },
  intercepted: { 'zh-CN': '已截获解密', en: 'intercepted' },
  decrypted: { 'zh-CN': '已用密钥日志解密', en: 'decrypted (key log)' },
  passthrough: { 'zh-CN': '直通（未解密）', en: 'passthrough' },
  'device-rejected-cert': { 'zh-CN': '设备拒绝证书', en: 'device rejected the certificate' },
  opaque: { 'zh-CN': '加密不可读', en: 'opaque (encrypted)' },
  udp: { 'zh-CN': 'UDP', en: 'UDP' },
};

/** Headings and labels. */
export const LABELS = {
  title: { 'zh-CN': '智能玩具个人信息保护合规报告', en: 'Smart toy personal information protection report' },
  subtitle: {
    'zh-CN': '依据《智能玩具个人信息保护倡议》（2025）八项原则',
    en: 'Against the eight principles of the 2025 Smart Toy Personal Information Protection Initiative',
  },
  device: { 'zh-CN': '设备', en: 'Device' },
  custody: { 'zh-CN': '证据保管链', en: 'Chain of custody' },
  version: { 'zh-CN': 'toyscope 版本', en: 'toyscope version' },
  generated: { 'zh-CN': '生成时间', en: 'Generated' },
  window: { 'zh-CN': '流量时间范围', en: 'Traffic window' },
  zone: { 'zh-CN': '时区', en: 'Time zone' },
  tester: { 'zh-CN': '测试人员', en: 'Tester' },
  captures: { 'zh-CN': '抓包文件（SHA-256）', en: 'Captures (SHA-256)' },
  notReadWhole: { 'zh-CN': '（未读完：标准输入中断）', en: '(not read whole: standard input interrupted)' },
  noCaptures: { 'zh-CN': '无（实时会话）', en: 'none (live session)' },
  config: { 'zh-CN': '配置文件 SHA-256', en: 'Configuration SHA-256' },
  policy: { 'zh-CN': '隐私政策声明 SHA-256', en: 'Policy SHA-256' },
  experiments: { 'zh-CN': '实验', en: 'Experiments' },
  scope: { 'zh-CN': '报告范围', en: 'Scope' },
  allTraffic: { 'zh-CN': '全部流量', en: 'all traffic' },
  summary: { 'zh-CN': '结论概览', en: 'Summary' },
  principle: { 'zh-CN': '原则', en: 'Principle' },
  verdict: { 'zh-CN': '结论', en: 'Verdict' },
  coverage: { 'zh-CN': '检测覆盖范围', en: 'Coverage' },
  coverageNote: {
    'zh-CN': '“未观察到”表示在可读流量中未发现，不等于“通过”。可读上行流量占 {visible}%。',
    en: '"Not observed" means nothing was found in the traffic toyscope could read; it is not a pass. {visible}% of upload bytes were readable.',
  },
  state: { 'zh-CN': '检测状态', en: 'Inspection state' },
  flows: { 'zh-CN': '连接数', en: 'Flows' },
  up: { 'zh-CN': '上行字节', en: 'Bytes up' },
  down: { 'zh-CN': '下行字节', en: 'Bytes down' },
  rule: { 'zh-CN': '规则', en: 'Rule' },
  evidence: { 'zh-CN': '证据', en: 'Evidence' },
  category: { 'zh-CN': '类别', en: 'Category' },
  subtype: { 'zh-CN': '子类', en: 'Subtype' },
  recipient: { 'zh-CN': '接收方', en: 'Recipient' },
  country: { 'zh-CN': '国家/地区', en: 'Country' },
  party: { 'zh-CN': '第一/第三方', en: 'Party' },
  third: { 'zh-CN': '第三方', en: 'third party' },
  partyUnknown: { 'zh-CN': '未知（未配置第一方）', en: 'unknown (no first party configured)' },
  first: { 'zh-CN': '第一方', en: 'first party' },
  encrypted: { 'zh-CN': '加密', en: 'Encrypted' },
  yes: { 'zh-CN': '是', en: 'yes' },
  no: { 'zh-CN': '否', en: 'no' },
  count: { 'zh-CN': '次数', en: 'Count' },
  findings: { 'zh-CN': '发现编号', en: 'Finding ids' },
  observed: { 'zh-CN': '观察到的个人信息', en: 'Personal data observed' },
  none: { 'zh-CN': '无', en: 'none' },
  running: { 'zh-CN': '进行中', en: 'running' },
  notAssessable: {
    'zh-CN': '该原则涉及企业管理与制度，无法通过网络流量评估。',
    en: "This principle concerns the company's governance and cannot be assessed from network traffic.",
  },
} satisfies Record<string, Text>;

/** `{name}` placeholders filled from `params`. */
export function fill(text: string, params: Params): string {
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (params && k in params ? String(params[k]) : m));
}

/** `2024-05-01 12:00:00` in UTC (a report states its zone; the terminal's local zone is not the reader's). */
export function utc(ts: number | undefined): string {
  if (ts === undefined) return '—';
  const d = new Date(Math.floor(ts / 1000));
  return Number.isNaN(d.getTime()) ? String(ts) : d.toISOString().slice(0, 19).replace('T', ' ');
}
