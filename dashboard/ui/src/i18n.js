// The UI's two languages (English, Simplified Chinese): one table of labels, the chosen language kept in
// localStorage. Not the report's text: the report page embeds the backend's report, in this language unless another
// is chosen there.

const TEXT = {
  overview: ['Overview', '概览'],
  findings: ['Findings', '发现'],
  destinations: ['Destinations', '目的地'],
  flows: ['Flows', '流量'],
  search: ['Search', '搜索'],
  report: ['Report', '报告'],
  logout: ['Log out', '退出'],
  devices: ['Devices', '设备'],
  device: ['Device', '设备'],
  category: ['Category', '类别'],
  subtype: ['Kind', '子类'],
  destination: ['Destination', '目的地'],
  host: ['Host', '主机'],
  operator: ['Operator', '运营方'],
  country: ['Country', '国家/地区'],
  party: ['Party', '归属'],
  thirdParty: ['third party', '第三方'],
  firstParty: ['first party', '第一方'],
  partyUnknown: ['party unknown', '未知'],
  evidenceHidden: [
    'A photo or a voice clip is personal data: it is shown with the value, by “Reveal value and evidence (logged)” above.',
    '照片或语音属于个人信息：点击上方“显示原值与证据（会记录）”后与原值一同显示。',
  ],
  partyUnknownWhy: [
    'No first-party hosts are configured for this device (firstParty in toyscope.yaml): not called a third party, not known to be first party',
    '未为该设备配置第一方主机（toyscope.yaml 的 firstParty）：未判为第三方，也不能确认为第一方',
  ],
  notThirdParty: ['not third party', '非第三方'],
  anyParty: ['any party', '任意归属'],
  encrypted: ['Encrypted', '加密'],
  plaintext: ['plaintext', '明文'],
  any: ['any', '任意'],
  yes: ['yes', '是'],
  no: ['no', '否'],
  time: ['Time (UTC)', '时间 (UTC)'],
  lastSeen: ['Last seen (UTC)', '最后出现 (UTC)'],
  excerpt: ['Excerpt', '摘录'],
  count: ['Findings', '发现数'],
  flowsCount: ['Flows', '流量数'],
  bytesUp: ['Sent', '上传'],
  bytesDown: ['Received', '下载'],
  tls: ['TLS', 'TLS'],
  matrix: ['What went where', '数据流向'],
  matrixNote: ['device × destination × category; third parties highlighted', '设备 × 目的地 × 类别；第三方高亮'],
  latest: ['Latest findings', '最新发现'],
  timeline: ['Uploads per category', '各类别上传'],
  experiments: ['Experiments', '实验'],
  start: ['Start', '开始'],
  stop: ['Stop', '停止'],
  name: ['Name', '名称'],
  loadMore: ['Load more', '加载更多'],
  noMore: ['End of list', '已到末尾'],
  narrow: ['Newest 10,000 shown: narrow the filters for older ones', '仅显示最新 10,000 条：请缩小筛选范围'],
  total: ['total', '共'],
  loading: ['Loading…', '加载中…'],
  none: ['Nothing yet', '暂无数据'],
  filters: ['Filters', '筛选'],
  since: ['Since', '起始'],
  until: ['Until', '截止'],
  capture: ['Capture', '抓包'],
  experiment: ['Experiment', '实验'],
  clear: ['Clear', '清除'],
  confidence: ['Confidence', '置信度'],
  path: ['Path in the body', '报文内路径'],
  detail: ['Measured', '测量值'],
  evidence: ['Evidence', '证据'],
  download: ['Download evidence', '下载证据'],
  reveal: ['Reveal value and evidence (logged)', '显示原值与证据（会记录）'],
  revealed: ['Revealed (this was logged)', '已显示（已记录）'],
  masked: ['masked', '已遮蔽'],
  requestHead: ['Request head', '请求头'],
  flow: ['Flow', '流量'],
  voice: ['Voice', '语音'],
  photo: ['Photo', '照片'],
  map: ['Map', '地图'],
  mapNote: ['Reveal the value to place it on the map', '显示原值后在地图上标出'],
  accessPoint: ['access point', '个 Wi-Fi 接入点'],
  accessPoints: ['access points', '个 Wi-Fi 接入点'],
  tower: ['cell tower', '个基站'],
  towers: ['cell towers', '个基站'],
  placesNone: ["none in the lab's position tables — import one with", '均不在实验室的位置表中 — 可用以下命令导入'],
  placesFound: ["are in the lab's position tables: reveal to place them", '在实验室的位置表中：显示原值后在地图上标出'],
  placesShown: ['placed from the lab’s position tables', '已按实验室的位置表标出'],
  placesByArea: [
    'not in the tables, placed by the known cells of their area (same MCC, MNC, LAC/TAC)',
    '不在位置表中，按同一区域（MCC、MNC、LAC/TAC）的已知基站估计',
  ],
  revealToPlace: ['reveal to place them', '显示原值后在地图上标出'],
  areaOfCells: ['area of {n} known cells', '区域内 {n} 个已知基站'],
  placesPurged: ['their values were purged, nothing to place', '原值已清除，无法定位'],
  estimate: ['estimate', '估计位置'],
  newFindings: ['new findings — show', '条新发现 — 显示'],
  copyCurl: ['Copy as curl', '复制为 curl'],
  copyHar: ['Copy as HAR', '复制为 HAR'],
  copied: ['Copied', '已复制'],
  transport: ['Transport', '传输'],
  size: ['Size', '大小'],
  status: ['Status', '状态'],
  searchValue: ['Where did this value go?', '这个值去了哪里？'],
  searchHint: ['a MAC, phone number, name … or part of it', 'MAC、电话号码、姓名……或其中一部分'],
  language: ['中文', 'English'],
  reportLanguage: ['Report language', '报告语言'],
  theme: ['Theme', '主题'],
  live: ['live', '实时'],
  reconnecting: ['reconnecting', '重新连接中'],
  connecting: ['connecting', '连接中'],
  print: ['Print', '打印'],
  chooseDevice: ['Choose a device', '选择设备'],
  error: ['Error', '错误'],
  faces: ['faces', '张人脸'],
  // Search by value (pages/search.js) and the overview's timeline (parts/timeline.js).
  matchExact: ['whole value only', '仅完整匹配'],
  matchContains: ['values containing it', '包含该内容的值'],
  searchRules: [
    'Case, spaces and punctuation are ignored (aa:bb:cc = AA-BB-CC = aabbcc; a phone number is its digits). Three characters or more match anywhere in a value; fewer match whole values only.',
    '忽略大小写、空格和标点（aa:bb:cc = AA-BB-CC = aabbcc；电话号码只比较数字）。三个及以上字符可匹配值的任意部分；少于三个字符仅匹配完整的值。',
  ],
  searchValues: ['stored value(s) matched', '个已存储的值匹配'],
  searchMoreValues: ['more match: type more of it', '还有更多匹配：请输入更多字符'],
  searchFindings: ['finding(s) carried it', '条发现包含该值'],
  searchWhere: ['Where it went', '去向'],
  searchNoMatch: ['No stored value matches', '没有匹配的已存储值'],
  searchMasked: ['values masked: open a finding to reveal (logged)', '值已遮蔽：打开发现可显示原值（会记录）'],
  firstSeen: ['First seen (UTC)', '首次出现 (UTC)'],
  perBucket: ['per', '每'],
};

const LANGS = ['en', 'zh-CN'];
let lang = localStorage.getItem('toyscope.lang') ?? (navigator.language.startsWith('zh') ? 'zh-CN' : 'en');
if (!LANGS.includes(lang)) lang = 'en';

/** The current language: 'en' | 'zh-CN'. */
export const currentLang = () => lang;

/** Switches language (the caller re-renders). */
export function setLang(l) {
  lang = LANGS.includes(l) ? l : 'en';
  localStorage.setItem('toyscope.lang', lang);
  document.documentElement.lang = lang;
}

/** The label `key` in the current language. */
export function t(key) {
  const row = TEXT[key];
  return row ? row[lang === 'zh-CN' ? 1 : 0] : key;
}
document.documentElement.lang = lang;
