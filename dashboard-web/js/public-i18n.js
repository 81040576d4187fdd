// public-i18n.js — the words of the two public pages (the board `/cong-khai/{unit}` and the
// rating form `/cong-khai/{unit}/danh-gia`), in Vietnamese and English; the page's language
// (`?lang=`, else the remembered choice in `ioc.public.lang`, else Vietnamese); switching it in
// place; number and date formats (vi-VN: decimal comma; always Asia/Ho_Chi_Minh); the escape
// every string from the server goes through before innerHTML. Standalone: the public pages load
// nothing of the signed-in screens (no ioc.css, no i18n.js, no session).

export const TIME_ZONE = 'Asia/Ho_Chi_Minh';
const STORAGE_KEY = 'ioc.public.lang';

const vi = {
  'site': 'Công khai kết quả phục vụ người dân',
  'skip': 'Bỏ qua, đến nội dung chính',
  // The toggle names the other language by its code only ("EN"): a Vietnamese screen shows no
  // English word; its accessible name says what it does, in the page's language.
  'lang.button': 'EN',
  'lang.label': 'Xem bằng tiếng Anh (EN)',
  'loading': 'Đang tải số liệu…',
  'footer': 'Trang công khai: không cần đăng nhập, không thu thập thông tin cá nhân.',

  'title.board': '{unit} – Kết quả phục vụ người dân',
  'title.list': 'Bảng công khai kết quả phục vụ người dân',
  'title.rate': 'Đánh giá dịch vụ – {unit}',
  'title.rate.plain': 'Đánh giá dịch vụ',
  'title.not_found': 'Không tìm thấy bảng công khai',

  'board.tagline': 'Kết quả phục vụ người dân, cập nhật trực tiếp',
  'board.as_of': 'Cập nhật lúc {time}',
  'board.as_of.date': 'Cập nhật lúc {time} ngày {date}',
  'board.reconnecting': 'Đang kết nối lại…',
  'board.rate': 'Đánh giá dịch vụ',
  'board.figures': 'Số liệu chính',
  'tile.average': 'Mức hài lòng trung bình',
  'tile.average.sr': '{value} trên 5 điểm',
  'tile.average.none': 'Chưa có đánh giá',
  'tile.satisfied': 'Tỷ lệ người dân hài lòng',
  'tile.satisfied.sub': 'đánh giá 4 hoặc 5 sao',
  'tile.count': 'Số lượt đánh giá',
  'tile.count.sub': 'từ mọi kênh tiếp nhận',
  'tile.on_time': 'Hồ sơ giải quyết đúng hạn',
  'tile.none': 'Chưa có số liệu',

  'months.title': 'Mức hài lòng theo tháng',
  'months.caption': 'Điểm hài lòng trung bình (thang 5 điểm) và số lượt đánh giá của 6 tháng gần nhất',
  'months.col.month': 'Tháng',
  'months.col.average': 'Điểm trung bình (trên 5)',
  'months.col.count': 'Số lượt',
  'months.current': '(đến nay)',
  'months.none': 'Chưa có đánh giá nào trong 6 tháng gần nhất.',
  'avg.none': 'Chưa có đánh giá',

  'stars.title': 'Số lượt đánh giá theo số sao',
  'stars.caption': 'Số lượt và tỷ lệ đánh giá theo từng mức sao, từ trước đến nay',
  'stars.col.stars': 'Mức đánh giá',
  'stars.col.bar': 'Biểu đồ tỷ lệ',
  'stars.col.count': 'Số lượt',
  'stars.col.share': 'Tỷ lệ',
  'stars.n': '{n} sao',

  'services.title': 'Theo dịch vụ',
  'services.caption': 'Số lượt đánh giá và điểm hài lòng trung bình của từng dịch vụ',
  'services.col.service': 'Dịch vụ',
  'services.col.count': 'Số lượt đánh giá',
  'services.col.average': 'Điểm trung bình (trên 5)',
  'services.none': 'Chưa có dịch vụ nào được công khai.',

  'kpis.title': 'Chỉ số công khai',
  'kpis.intro': 'Các chỉ số phục vụ người dân mà đơn vị công bố, với ngưỡng đánh giá.',
  'kpis.none': 'Đơn vị chưa công khai chỉ số nào.',
  'kpi.period': 'Kỳ số liệu: {period}',
  'kpi.period.none': 'Chưa có kỳ số liệu',
  'kpi.status': 'Tình trạng:',
  'kpi.thresholds': 'Ngưỡng: {text}',
  'kpi.trend.label': 'Diễn biến {n} kỳ gần nhất: {list}',
  'kpi.trend.text': 'Từ {first} ({p1}) đến {last} ({p2})',
  'kpi.trend.one': 'Mới có số liệu của một kỳ.',
  'kpi.trend.none': 'Chưa có số liệu các kỳ trước.',

  'status.green': 'Đạt',
  'status.yellow': 'Cần chú ý',
  'status.red': 'Chưa đạt',
  'status.no_data': 'Chưa có số liệu',

  'comments.title': 'Ý kiến gần đây của người dân',
  'comments.none': 'Chưa có ý kiến nào được công khai.',
  'comments.stars': '{n} trên 5 sao',

  'cta.title': 'Bạn vừa sử dụng dịch vụ?',
  'cta.text': 'Hãy cho biết mức độ hài lòng của bạn. Không cần đăng nhập, không hỏi thông tin cá nhân.',

  'reports.title': 'Báo cáo công khai hằng tháng',
  'reports.month': 'Báo cáo công khai tháng {period}:',
  'reports.sr': ', báo cáo tháng {period}',
  'reports.html': 'HTML',
  'reports.csv': 'CSV',
  'reports.xlsx': 'Excel',
  'reports.none': 'Chưa có báo cáo tháng nào.',

  'list.title': 'Bảng công khai kết quả phục vụ người dân',
  'list.intro': 'Chọn phường, xã hoặc cơ quan để xem mức độ hài lòng của người dân, các chỉ số công khai và đánh giá dịch vụ.',
  'list.search': 'Tìm theo tên đơn vị',
  'list.count': 'Có {n} đơn vị',
  'list.count.filtered': 'Tìm thấy {n} trên {total} đơn vị',
  'list.none': 'Chưa có đơn vị nào công khai kết quả.',
  'list.no_match': 'Không có đơn vị nào khớp với từ tìm kiếm.',
  'list.other': 'Đơn vị khác',

  'not_found.title': 'Không tìm thấy bảng công khai',
  'not_found.text': 'Đơn vị trong đường dẫn không có bảng công khai, hoặc đường dẫn chưa đúng.',
  'not_found.link': 'Xem danh sách các đơn vị có bảng công khai',
  'error.title': 'Chưa tải được số liệu',
  'error.text': 'Máy chủ chưa trả lời. Hãy kiểm tra kết nối mạng rồi thử lại.',
  'error.retry': 'Thử lại',

  'rate.h1': 'Đánh giá dịch vụ',
  'rate.back': 'Xem kết quả phục vụ của đơn vị',
  'rate.intro': 'Hãy cho biết bạn hài lòng thế nào với dịch vụ vừa sử dụng. Các mục có dấu * là bắt buộc.',
  'rate.privacy': 'Trang này không hỏi và không lưu họ tên, số điện thoại hay bất kỳ thông tin cá nhân nào của bạn. Trình duyệt chỉ giữ một mã ngẫu nhiên để hạn chế gửi trùng.',
  'rate.service': 'Dịch vụ bạn đã sử dụng',
  'rate.service.choose': '— Chọn dịch vụ —',
  'rate.score': 'Mức độ hài lòng của bạn',
  'rate.score.1': '1 sao – Rất không hài lòng',
  'rate.score.2': '2 sao – Không hài lòng',
  'rate.score.3': '3 sao – Bình thường',
  'rate.score.4': '4 sao – Hài lòng',
  'rate.score.5': '5 sao – Rất hài lòng',
  'rate.comment': 'Ý kiến của bạn (không bắt buộc)',
  'rate.comment.hint': 'Ý kiến được xem xét trước khi hiển thị công khai. Xin đừng ghi họ tên, số điện thoại hay số định danh.',
  'rate.counter': '{n}/{max} ký tự',
  'rate.counter.left': 'Còn {n} ký tự',
  'rate.counter.full': 'Đã đủ {max} ký tự',
  'rate.receipt': 'Mã biên nhận hồ sơ (nếu có)',
  'rate.receipt.hint': 'Mã in trên giấy biên nhận. Mỗi mã biên nhận chỉ đánh giá được một lần.',
  'rate.required': 'bắt buộc',
  'rate.submit': 'Gửi đánh giá',
  'rate.sending': 'Đang gửi…',
  'rate.no_services': 'Đơn vị này chưa có dịch vụ nào để đánh giá.',
  'rate.err.service': 'Hãy chọn dịch vụ bạn đã sử dụng.',
  'rate.err.score': 'Hãy chọn mức độ hài lòng, từ 1 đến 5 sao.',
  'rate.err.comment': 'Ý kiến dài quá {max} ký tự.',
  'rate.failed': 'Chưa gửi được đánh giá.',
  'rate.failed.field': 'Chưa gửi được đánh giá: hãy xem lại mục được đánh dấu.',
  'rate.network': 'Chưa gửi được đánh giá vì không kết nối được tới máy chủ. Nội dung bạn nhập vẫn còn, hãy thử lại.',
  'rate.http': 'Chưa gửi được đánh giá (mã lỗi {status}). Nội dung bạn nhập vẫn còn, hãy thử lại.',
  'rate.retry_after': 'Bạn có thể gửi lại sau {n} giây.',
  'rate.retry_now': 'Bạn có thể gửi lại.',
  'rate.thanks.title': 'Đã gửi đánh giá',
  'rate.thanks': 'Cảm ơn bạn đã đánh giá.',
  'rate.comment_held': 'Ý kiến của bạn đã được ghi nhận nhưng không hiển thị công khai.',
  'rate.again': 'Đánh giá dịch vụ khác',
  'rate.to_board': 'Xem bảng công khai của đơn vị',
};

const en = {
  'site': 'Public results of service to citizens',
  'skip': 'Skip to main content',
  'lang.button': 'VI',
  'lang.label': 'View in Vietnamese (VI)',
  'loading': 'Loading figures…',
  'footer': 'Public page: no sign-in, no personal data collected.',

  'title.board': '{unit} – Service to citizens',
  'title.list': 'Public boards of service to citizens',
  'title.rate': 'Rate a service – {unit}',
  'title.rate.plain': 'Rate a service',
  'title.not_found': 'Public board not found',

  'board.tagline': 'Results of service to citizens, updated live',
  'board.as_of': 'Updated at {time}',
  'board.as_of.date': 'Updated at {time} on {date}',
  'board.reconnecting': 'Reconnecting…',
  'board.rate': 'Rate a service',
  'board.figures': 'Key figures',
  'tile.average': 'Average satisfaction',
  'tile.average.sr': '{value} out of 5',
  'tile.average.none': 'No ratings yet',
  'tile.satisfied': 'Citizens satisfied',
  'tile.satisfied.sub': 'rated 4 or 5 stars',
  'tile.count': 'Ratings',
  'tile.count.sub': 'from every channel',
  'tile.on_time': 'Dossiers settled on time',
  'tile.none': 'No data yet',

  'months.title': 'Satisfaction by month',
  'months.caption': 'Average satisfaction (out of 5) and number of ratings, last 6 months',
  'months.col.month': 'Month',
  'months.col.average': 'Average (out of 5)',
  'months.col.count': 'Ratings',
  'months.current': '(so far)',
  'months.none': 'No ratings in the last 6 months.',
  'avg.none': 'No ratings yet',

  'stars.title': 'Ratings by number of stars',
  'stars.caption': 'Number and share of ratings at each number of stars, all time',
  'stars.col.stars': 'Rating',
  'stars.col.bar': 'Share chart',
  'stars.col.count': 'Ratings',
  'stars.col.share': 'Share',
  'stars.n': '{n} stars',

  'services.title': 'By service',
  'services.caption': 'Number of ratings and average satisfaction of each service',
  'services.col.service': 'Service',
  'services.col.count': 'Ratings',
  'services.col.average': 'Average (out of 5)',
  'services.none': 'No service is public yet.',

  'kpis.title': 'Public indicators',
  'kpis.intro': 'The indicators of service to citizens this unit publishes, with their thresholds.',
  'kpis.none': 'This unit has not published any indicator yet.',
  'kpi.period': 'Period: {period}',
  'kpi.period.none': 'No period yet',
  'kpi.status': 'Status:',
  'kpi.thresholds': 'Thresholds: {text}',
  'kpi.trend.label': 'Last {n} periods: {list}',
  'kpi.trend.text': 'From {first} ({p1}) to {last} ({p2})',
  'kpi.trend.one': 'Only one period so far.',
  'kpi.trend.none': 'No earlier periods yet.',

  'status.green': 'Met',
  'status.yellow': 'Needs attention',
  'status.red': 'Not met',
  'status.no_data': 'No data yet',

  'comments.title': 'Recent comments from citizens',
  'comments.none': 'No comment has been published yet.',
  'comments.stars': '{n} out of 5 stars',

  'cta.title': 'Did you just use a service?',
  'cta.text': 'Tell us how satisfied you are. No sign-in, no personal data asked.',

  'reports.title': 'Monthly public reports',
  'reports.month': 'Public report for {period}:',
  'reports.sr': ', report for {period}',
  'reports.html': 'HTML',
  'reports.csv': 'CSV',
  'reports.xlsx': 'Excel',
  'reports.none': 'No monthly report yet.',

  'list.title': 'Public boards of service to citizens',
  'list.intro': 'Choose a ward, commune or agency to see how satisfied citizens are, its public indicators, and to rate a service.',
  'list.search': 'Search by unit name',
  'list.count': '{n} units',
  'list.count.filtered': '{n} of {total} units found',
  'list.none': 'No unit publishes its results yet.',
  'list.no_match': 'No unit matches the search.',
  'list.other': 'Other units',

  'not_found.title': 'Public board not found',
  'not_found.text': 'The unit in the address has no public board, or the address is wrong.',
  'not_found.link': 'See the units with a public board',
  'error.title': 'The figures could not be loaded',
  'error.text': 'The server did not answer. Check your connection and try again.',
  'error.retry': 'Try again',

  'rate.h1': 'Rate a service',
  'rate.back': 'See this unit’s results',
  'rate.intro': 'Tell us how satisfied you are with the service you just used. Fields marked * are required.',
  'rate.privacy': 'This page neither asks for nor keeps your name, phone number or any personal data. Your browser only keeps a random code to limit repeated submissions.',
  'rate.service': 'Service you used',
  'rate.service.choose': '— Choose a service —',
  'rate.score': 'How satisfied are you?',
  'rate.score.1': '1 star – Very dissatisfied',
  'rate.score.2': '2 stars – Dissatisfied',
  'rate.score.3': '3 stars – Neutral',
  'rate.score.4': '4 stars – Satisfied',
  'rate.score.5': '5 stars – Very satisfied',
  'rate.comment': 'Your comment (optional)',
  'rate.comment.hint': 'Comments are screened before they are published. Please do not write names, phone numbers or ID numbers.',
  'rate.counter': '{n}/{max} characters',
  'rate.counter.left': '{n} characters left',
  'rate.counter.full': '{max} characters reached',
  'rate.receipt': 'Dossier receipt code (if any)',
  'rate.receipt.hint': 'The code printed on your receipt. Each receipt can be rated once.',
  'rate.required': 'required',
  'rate.submit': 'Send rating',
  'rate.sending': 'Sending…',
  'rate.no_services': 'This unit has no service to rate yet.',
  'rate.err.service': 'Choose the service you used.',
  'rate.err.score': 'Choose how satisfied you are, from 1 to 5 stars.',
  'rate.err.comment': 'The comment is longer than {max} characters.',
  'rate.failed': 'The rating was not sent.',
  'rate.failed.field': 'The rating was not sent: check the marked field.',
  'rate.network': 'The rating was not sent: the server could not be reached. What you typed is kept; try again.',
  'rate.http': 'The rating was not sent (error {status}). What you typed is kept; try again.',
  'rate.retry_after': 'You can send again in {n} seconds.',
  'rate.retry_now': 'You can send again now.',
  'rate.thanks.title': 'Rating sent',
  'rate.thanks': 'Thank you for your rating.',
  'rate.comment_held': 'Your comment was received but will not be shown publicly.',
  'rate.again': 'Rate another service',
  'rate.to_board': 'See this unit’s public board',
};

export const DICT = { vi, en };

function resolveLang() {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (fromUrl === 'vi' || fromUrl === 'en') return fromUrl;
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'vi' || saved === 'en') return saved;
  } catch { /* storage may be disabled */ }
  return 'vi';
}

export let lang = resolveLang();
document.documentElement.lang = lang;
const listeners = new Set();

/** The string for `key` in the current language, `{name}` placeholders filled in. */
export function t(key, vars) {
  let s = DICT[lang][key] ?? DICT.vi[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

export function onLangChange(fn) { listeners.add(fn); }

/** Switches language in place: remembered, the URL's `?lang=` kept in step if it had one. */
export function setLang(next) {
  if (next !== 'vi' && next !== 'en') return;
  if (next === lang) return;
  lang = next;
  document.documentElement.lang = lang;
  try { localStorage.setItem(STORAGE_KEY, lang); } catch { /* ignore */ }
  const url = new URL(location.href);
  if (url.searchParams.has('lang')) {
    url.searchParams.set('lang', lang);
    history.replaceState(null, '', url);
  }
  formatters = null;
  applyStaticText();
  for (const fn of listeners) fn(lang);
}

/** Fills every `[data-i18n]` (text), `[data-i18n-label]` (aria-label), `[data-i18n-title]`. */
export function applyStaticText(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

/** The language button: names the other language; a click switches in place. */
export function initLangToggle(btn) {
  if (!btn) return;
  btn.dataset.i18n = 'lang.button';
  btn.dataset.i18nLabel = 'lang.label';
  btn.textContent = t('lang.button');
  // Its accessible name ("Xem bằng tiếng Anh (EN)") is in the page's language, so the button
  // carries no lang of its own; the visible code is part of the name (label in name).
  btn.setAttribute('aria-label', t('lang.label'));
  btn.addEventListener('click', () => setLang(lang === 'vi' ? 'en' : 'vi'));
}

// ---- formats ----------------------------------------------------------------------------------

let formatters = null;
function f() {
  if (formatters) return formatters;
  const loc = lang === 'vi' ? 'vi-VN' : 'en-GB';
  const tz = { timeZone: TIME_ZONE };
  formatters = {
    int: new Intl.NumberFormat(loc, { maximumFractionDigits: 0 }),
    dec1: new Intl.NumberFormat(loc, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    num: new Intl.NumberFormat(loc, { maximumFractionDigits: 2 }),
    date: new Intl.DateTimeFormat(loc, { ...tz, day: '2-digit', month: '2-digit', year: 'numeric' }),
    time: new Intl.DateTimeFormat(loc, { ...tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
    timeSec: new Intl.DateTimeFormat(loc, { ...tz, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }),
    ymd: new Intl.DateTimeFormat('en-CA', { ...tz, year: 'numeric', month: '2-digit', day: '2-digit' }),
  };
  return formatters;
}

const DASH = '—';
const bad = x => x == null || (typeof x === 'number' && !Number.isFinite(x));
const toDate = x => (x instanceof Date ? x : new Date(x));
const badDate = x => bad(x) || Number.isNaN(toDate(x).getTime());

export const fmt = {
  int: x => (bad(x) ? DASH : f().int.format(x)),
  dec1: x => (bad(x) ? DASH : f().dec1.format(x)),
  num: x => (bad(x) ? DASH : f().num.format(x)),
  /** A 0..100 percentage as the API gives it: "87,5%" (vi), "87.5%" (en). */
  pct: x => (bad(x) ? DASH : `${f().dec1.format(x).replace(/[.,]0$/, '')}%`),
  /** A value with its unit of measure: "96,2%", "3,5 ngày". */
  measure: (x, uom) => {
    if (bad(x)) return DASH;
    const u = (uom || '').trim();
    if (u === '%') return `${f().num.format(Math.round(x * 10) / 10)}%`;
    return u ? `${f().num.format(x)} ${u}` : f().num.format(x);
  },
  time: x => (badDate(x) ? DASH : f().time.format(toDate(x))),
  timeSec: x => (badDate(x) ? DASH : f().timeSec.format(toDate(x))),
  date: x => (badDate(x) ? DASH : f().date.format(toDate(x))),
  dateTime: x => (badDate(x) ? DASH : `${f().date.format(toDate(x))} ${f().time.format(toDate(x))}`),
  /** The calendar day in Vietnam, "2026-11-28", to compare days. */
  ymd: x => (badDate(x) ? '' : f().ymd.format(toDate(x))),
};

/**
 * A period of the API in words: "2026-11" → "Tháng 11/2026", "2026-W48" → "Tuần 48/2026",
 * "2026-Q4" → "Quý 4/2026", "2026" → "Năm 2026"; anything else as given.
 */
export function periodLabel(p) {
  const s = p || '';
  let m = /^(\d{4})-(\d{2})$/.exec(s);
  if (m) return lang === 'vi' ? `Tháng ${+m[2]}/${m[1]}` : monthName(+m[2], m[1]);
  m = /^(\d{4})-W(\d{1,2})$/.exec(s);
  if (m) return lang === 'vi' ? `Tuần ${+m[2]}/${m[1]}` : `Week ${+m[2]}, ${m[1]}`;
  m = /^(\d{4})-Q(\d)$/.exec(s);
  if (m) return lang === 'vi' ? `Quý ${m[2]}/${m[1]}` : `Q${m[2]} ${m[1]}`;
  m = /^(\d{4})$/.exec(s);
  if (m) return lang === 'vi' ? `Năm ${m[1]}` : m[1];
  return s;
}

/** A month "2026-11" in short words for running text: "11/2026" (vi) or "November 2026". */
export function monthShort(p) {
  const m = /^(\d{4})-(\d{2})$/.exec(p || '');
  if (!m) return p || '';
  return lang === 'vi' ? `${+m[2]}/${m[1]}` : monthName(+m[2], m[1]);
}

function monthName(month, year) {
  const d = new Date(Date.UTC(+year, month - 1, 15));
  return new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(d);
}

/** The status of a KPI in words (never colour alone); an unknown value reads as no data. */
export const STATUSES = ['green', 'yellow', 'red', 'no_data'];
export const statusOf = s => (STATUSES.includes(s) ? s : 'no_data');
export const statusWord = s => t(`status.${statusOf(s)}`);

// ---- escaping -----------------------------------------------------------------------------

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Every string from the server goes through this before it meets innerHTML. */
export const esc = s => (s == null ? '' : String(s).replace(/[&<>"']/g, c => ESC[c]));

/** "★★★★☆" for a score 0..5 (rounded to whole stars): decoration beside the number. */
export function starsText(score) {
  if (bad(score)) return '';
  const n = Math.max(0, Math.min(5, Math.round(score)));
  return '★'.repeat(n) + '☆'.repeat(5 - n);
}

/** A page link keeping the `?lang=` override when the page was opened with one. */
export function pageHref(path) {
  if (!new URLSearchParams(location.search).has('lang')) return path;
  return `${path}?lang=${lang}`;
}

/**
 * The unit code of the page: the segment after `/cong-khai/` in the path (`?unit=` when the page
 * is opened as a file, e.g. `/public.html?unit=p-hoan-kiem`). Null for the list of units.
 */
export function unitFromLocation() {
  const segs = location.pathname.split('/').filter(Boolean);
  let code = null;
  if (segs[0] === 'cong-khai' && segs.length >= 2) code = segs[1];
  else code = new URLSearchParams(location.search).get('unit');
  if (!code) return null;
  try { code = decodeURIComponent(code); } catch { /* keep as given */ }
  return code;
}
