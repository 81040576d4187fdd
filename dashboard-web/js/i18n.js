// i18n.js — owns every UI string (vi first, en second), the current language and the
// number/date formatting of both, always in the Asia/Ho_Chi_Minh time zone.

export const TIME_ZONE = 'Asia/Ho_Chi_Minh';
const STORAGE_KEY = 'ioc.lang';

const vi = {
  'app.name': 'Trung tâm điều hành',
  'nav.city': 'Bảng thành phố',
  'nav.alerts': 'Cảnh báo',
  'nav.wall': 'Màn hình tường',
  'nav.review': 'Họp giao ban',
  'nav.lang': 'English',
  'nav.lang.title': 'Switch to English',

  'conn.down': 'Mất kết nối tới máy chủ — đang kết nối lại…',
  'conn.down.since': 'Mất kết nối tới máy chủ từ {time} — đang kết nối lại…',
  'conn.stale': 'Dữ liệu có thể đã cũ: không nhận được cập nhật từ {time}',
  'conn.lagging': 'Dữ liệu đang chậm: máy chủ chưa cập nhật số liệu từ {time}',
  'conn.live': 'Trực tuyến',
  'conn.offline': 'Mất kết nối',

  'common.updated_at': 'Cập nhật {time}',
  'common.loading': 'Đang tải…',
  'common.no_data': 'Chưa có dữ liệu',
  'common.unavailable': 'Chưa có dữ liệu từ máy chủ cho mục này.',
  'common.error': 'Lỗi: {message}',
  'common.not_found': 'Không tìm thấy {what}',
  'common.more': 'Xem thêm',
  'common.show_all': 'Hiện tất cả {n}',
  'common.cancel': 'Hủy',
  'common.ago.s': '{n} giây trước',
  'common.ago.m': '{n} phút trước',
  'common.ago.h': '{n} giờ trước',
  'common.ago.d': '{n} ngày trước',
  'common.all': 'Tất cả',
  'common.forbidden': 'Không có quyền: {message}',

  'session.signed_in_as': 'Đã đăng nhập: {name}',
  'session.sign_out': 'Đăng xuất',
  'session.sign_out.title': 'Kết thúc phiên làm việc trên trình duyệt này',

  'login.title': 'Đăng nhập',
  'login.intro': 'Trung tâm điều hành: đăng nhập bằng tài khoản được cấp.',
  'login.login': 'Tên đăng nhập',
  'login.password': 'Mật khẩu',
  'login.submit': 'Đăng nhập',
  'login.busy': 'Đang đăng nhập…',
  'login.failed': 'Đăng nhập không thành công (mã {status}).',
  'login.retry_after': 'Thử lại sau {n} giây.',
  'login.network': 'Không kết nối được tới máy chủ. Hãy thử lại.',
  'login.change.title': 'Đổi mật khẩu',
  'login.change.intro': 'Tài khoản {name} cần đổi mật khẩu trước khi sử dụng.',
  'login.change.current': 'Mật khẩu hiện tại',
  'login.change.new': 'Mật khẩu mới (ít nhất 12 ký tự)',
  'login.change.repeat': 'Nhập lại mật khẩu mới',
  'login.change.submit': 'Đổi mật khẩu và tiếp tục',
  'login.change.too_short': 'Mật khẩu mới phải có ít nhất 12 ký tự.',
  'login.change.mismatch': 'Hai lần nhập mật khẩu mới không khớp.',
  'login.change.same': 'Mật khẩu mới phải khác mật khẩu hiện tại.',

  'level.city': 'Thành phố',
  'level.department': 'Sở',
  'level.agency': 'Cơ quan',
  'level.ward': 'Phường',
  'level.commune': 'Xã',
  'level.division': 'Phòng/Ban',

  'group.development': 'Kết quả phát triển',
  'group.service': 'Phục vụ chính quyền',
  'group.party': 'Công tác Đảng',
  'group.internal': 'Nội chính, PCTN, dư luận',

  'band.green': 'Xanh',
  'band.yellow': 'Vàng',
  'band.red': 'Đỏ',
  'band.no_data': 'Chưa có dữ liệu',

  'fig.score': 'Điểm',
  'fig.people': 'Cán bộ',
  'fig.open': 'Đang thực hiện',
  'fig.overdue': 'Quá hạn',
  'fig.overdue_ratio': 'Tỷ lệ quá hạn',
  'fig.on_time_rate': 'Tỷ lệ đúng hạn',
  'fig.avg_progress': 'Tiến độ TB',
  'fig.kpis_rgy': 'KPI đỏ / vàng / xanh',
  'fig.satisfaction': 'Hài lòng (1–5)',
  'fig.workload': 'Khối lượng việc',
  'fig.tasks_total': 'Tổng nhiệm vụ',
  'fig.alerts_red': 'Cảnh báo đỏ',
  'fig.alerts_yellow': 'Cảnh báo vàng',
  'fig.kr_progress': 'Tiến độ KR TB',
  'fig.pace_gap': 'Chênh lệch tiến độ',

  'tile.overdue': 'Quá hạn',
  'tile.open': 'Đang làm',
  'city.title': 'Bảng điều hành',
  'city.groups': 'Bốn nhóm chỉ số',
  'city.units': 'Các đơn vị',
  'city.departments': 'Sở, ban, ngành',
  'city.wards': 'Phường, xã',
  'city.others': 'Đơn vị khác',
  'city.filter.all': 'Tất cả',
  'city.filter.departments': 'Sở, ban, ngành',
  'city.filter.wards': 'Phường, xã',
  'city.sort': 'Sắp xếp',
  'city.sort.name': 'Theo tên',
  'city.sort.score_asc': 'Điểm thấp trước',
  'city.sort.score_desc': 'Điểm cao trước',
  'city.sort.overdue': 'Quá hạn nhiều trước',
  'city.worst': 'Đơn vị điểm thấp nhất',
  'city.red_kpis': 'Chỉ số đang ở mức đỏ',
  'city.red_kpis.none': 'Không có chỉ số đỏ.',
  'city.alerts_live': 'Cảnh báo đang hoạt động',
  'city.filter_name': 'Lọc theo tên',
  'city.no_children': 'Đơn vị này không có đơn vị trực thuộc.',

  'unit.kpis': 'Chỉ số KPI',
  'unit.okrs': 'Mục tiêu và kết quả then chốt',
  'unit.tasks_overdue': 'Nhiệm vụ quá hạn',
  'unit.tasks_soon': 'Nhiệm vụ sắp đến hạn (7 ngày)',
  'unit.people': 'Cán bộ',
  'unit.children': 'Đơn vị trực thuộc',
  'unit.col.code': 'Mã',
  'unit.col.kpi': 'Chỉ số',
  'unit.col.value': 'Giá trị',
  'unit.col.target': 'Mục tiêu',
  'unit.col.band': 'Ngưỡng',
  'unit.col.trend': 'Diễn biến',
  'unit.col.period': 'Kỳ',
  'unit.col.updated': 'Cập nhật',
  'unit.col.task': 'Nhiệm vụ',
  'unit.col.responsible': 'Người chủ trì',
  'unit.col.deadline': 'Hạn',
  'unit.col.progress': 'Tiến độ',
  'unit.col.status': 'Trạng thái',
  'unit.col.unit': 'Đơn vị',
  'unit.col.name': 'Họ tên',
  'unit.col.position': 'Chức vụ',
  'unit.col.workload': 'Đang làm',
  'unit.col.tasks_total': 'Tổng việc',
  'unit.col.overdue': 'Quá hạn',
  'unit.col.on_time_rate': 'Đúng hạn',
  'unit.kpi.stale': 'dữ liệu cũ',
  'unit.okr.expected': 'Kế hoạch đến nay: {pct}',
  'unit.okr.owner': 'Chủ trì: {name}',
  'unit.okr.none': 'Đơn vị chưa có mục tiêu trong kỳ.',
  'unit.okr.confidence': 'Độ tin cậy {n}/10',
  'unit.tasks.none': 'Không có nhiệm vụ.',
  'unit.people.none': 'Không có cán bộ.',
  'unit.kpis.none': 'Đơn vị chưa có chỉ số KPI.',
  'unit.threshold.higher': '≥ {green} xanh · < {red} đỏ',
  'unit.threshold.lower': '≤ {green} xanh · > {red} đỏ',
  'unit.threshold.band': '{gl}–{gh} xanh · ngoài {rl}–{rh} đỏ',

  'status.todo': 'Chưa làm',
  'status.in_progress': 'Đang làm',
  'status.submitted': 'Đã nộp',
  'status.accepted': 'Đã nghiệm thu',
  'status.returned': 'Trả lại',
  'status.cancelled': 'Đã hủy',

  'freq.daily': 'Hằng ngày',
  'freq.weekly': 'Hằng tuần',
  'freq.monthly': 'Hằng tháng',
  'freq.quarterly': 'Hằng quý',
  'freq.yearly': 'Hằng năm',

  'person.title': 'Cán bộ',
  'person.tasks': 'Danh sách nhiệm vụ',
  'person.back': 'Về đơn vị: {name}',
  'person.open': 'Đang mở',
  'person.done_on_time': 'Hoàn thành đúng hạn',
  'person.done_late': 'Hoàn thành trễ hạn',

  'task.title': 'Nhiệm vụ',
  'task.raci': 'Phân công (RACI)',
  'task.responsible': 'Chủ trì (R)',
  'task.accountable': 'Chịu trách nhiệm (A)',
  'task.consulted': 'Tham vấn (C)',
  'task.informed': 'Được thông báo (I)',
  'task.deadline': 'Hạn hoàn thành',
  'task.start': 'Bắt đầu',
  'task.status': 'Trạng thái',
  'task.progress': 'Tiến độ',
  'task.quality': 'Chất lượng',
  'task.expected_output': 'Sản phẩm đầu ra',
  'task.key_result': 'Kết quả then chốt',
  'task.submitted_at': 'Ngày nộp',
  'task.done_at': 'Ngày hoàn thành',
  'task.overdue': 'Quá hạn',
  'task.on_track': 'Trong hạn',
  'task.unit': 'Đơn vị',
  'task.history': 'Lịch sử cảnh báo của nhiệm vụ',

  'alerts.title': 'Trung tâm cảnh báo',
  'alerts.live': 'Đang hoạt động',
  'alerts.history': 'Lịch sử',
  'alerts.filter.rule': 'Quy tắc',
  'alerts.filter.text': 'Tìm theo nội dung, đơn vị',
  'alerts.filter.unacked': 'Chỉ chưa xác nhận',
  'alerts.state.firing': 'Đang cảnh báo',
  'alerts.state.pending': 'Đang theo dõi',
  'alerts.count': '{shown} / {total} cảnh báo',
  'alerts.since': 'từ {time}',
  'alerts.ack': 'Xác nhận',
  'alerts.assign': 'Giao xử lý',
  'alerts.silence': 'Tạm tắt',
  'alerts.acked': 'Đã xác nhận: {by}, {time}',
  'alerts.assigned': 'Giao cho: {person}',
  'alerts.escalated': 'Đã báo cáo cấp trên {time}',
  'alerts.silenced': 'Đang tạm tắt',
  'alerts.comment': 'Ghi chú (không bắt buộc)',
  'alerts.person': 'Giao cho cán bộ (mã cán bộ)',
  'alerts.silence.rule': 'Tắt quy tắc {rule}',
  'alerts.silence.unit': 'Tắt cho đơn vị {unit} và cấp dưới',
  'alerts.silence.hours': 'Trong (giờ)',
  'alerts.silence.reason': 'Lý do',
  'alerts.silence.done': 'Đã tạm tắt đến {time}',
  'alerts.loading': 'Đang tải cảnh báo…',
  'alerts.none': 'Không có cảnh báo nào khớp bộ lọc.',
  'alerts.h.seq': 'Số',
  'alerts.h.time': 'Thời điểm',
  'alerts.h.kind': 'Sự kiện',
  'alerts.h.severity': 'Mức',
  'alerts.h.subject': 'Đối tượng',
  'alerts.h.summary': 'Nội dung',
  'alerts.h.by': 'Người thao tác',
  'alerts.h.newest': 'Mới nhất',
  'alerts.h.older': 'Cũ hơn',
  'alerts.h.newer': 'Mới hơn',
  'alerts.h.none': 'Không có mục nào.',
  'alerts.kind.pending': 'Bắt đầu theo dõi',
  'alerts.kind.fired': 'Phát cảnh báo',
  'alerts.kind.severity_changed': 'Đổi mức',
  'alerts.kind.escalated': 'Báo cáo cấp trên',
  'alerts.kind.resolved': 'Đã khắc phục',
  'alerts.kind.cancelled': 'Hủy theo dõi',
  'alerts.kind.acknowledged': 'Xác nhận',
  'alerts.kind.assigned': 'Giao xử lý',

  'wall.updated_ago': 'Cập nhật {ago}',
  'wall.never': 'chưa có dữ liệu',
  'wall.board_of': 'Bảng {i}/{n}',

  'review.title': 'Họp giao ban',
  'review.week': 'Tuần {week}',
  'review.range': '{from} – {to}',
  'review.prev': '‹ Tuần trước',
  'review.next': 'Tuần sau ›',
  'review.print': 'In báo cáo',
  'review.headline': 'Số liệu chính: tuần này so với tuần trước',
  'review.this': 'Tuần này',
  'review.last': 'Tuần trước',
  'review.delta': 'Thay đổi',
  'review.turned_red': 'Chuyển sang đỏ',
  'review.recovered': 'Đã phục hồi',
  'review.key_results': 'Tiến độ kết quả then chốt',
  'review.overdue_trend': 'Diễn biến nhiệm vụ quá hạn',
  'review.units': 'Xếp hạng đơn vị',
  'review.top': 'Đơn vị dẫn đầu',
  'review.bottom': 'Đơn vị cần chú ý',
  'review.charts': 'Biểu đồ',
  'review.chart.overdue': 'Quá hạn theo ngày',
  'review.chart.kpis': 'Chỉ số KPI theo mức',
  'review.chart.key_results': 'Kết quả then chốt',
  'review.chart.units': 'Điểm các đơn vị',
  'review.png': 'Tải PNG',
  'review.before': 'Trước',
  'review.after': 'Sau',
  'review.none': 'Không có.',
  'review.unavailable': 'Báo cáo giao ban chưa có cho đơn vị hoặc tuần này.',
  'review.progress_last_week': 'Tuần trước',
  'review.expected': 'Kế hoạch',
  'review.day': 'Ngày',
  'review.generated': 'Số liệu đến {time}',
  'review.kpis_red': 'KPI đỏ',
  'review.kpis_green': 'KPI xanh',
};

const en = {
  'app.name': 'Operations center',
  'nav.city': 'City board',
  'nav.alerts': 'Alerts',
  'nav.wall': 'Wall',
  'nav.review': 'Review',
  'nav.lang': 'Tiếng Việt',
  'nav.lang.title': 'Chuyển sang tiếng Việt',

  'conn.down': 'Connection to the server lost — reconnecting…',
  'conn.down.since': 'Connection to the server lost since {time} — reconnecting…',
  'conn.stale': 'Data may be stale: no update received since {time}',
  'conn.lagging': 'Data is behind: the server has not updated its figures since {time}',
  'conn.live': 'Live',
  'conn.offline': 'Offline',

  'common.updated_at': 'Updated {time}',
  'common.loading': 'Loading…',
  'common.no_data': 'No data',
  'common.unavailable': 'The server has no data for this yet.',
  'common.error': 'Error: {message}',
  'common.not_found': '{what} not found',
  'common.more': 'Show more',
  'common.show_all': 'Show all {n}',
  'common.cancel': 'Cancel',
  'common.ago.s': '{n} s ago',
  'common.ago.m': '{n} min ago',
  'common.ago.h': '{n} h ago',
  'common.ago.d': '{n} days ago',
  'common.all': 'All',
  'common.forbidden': 'Not allowed: {message}',

  'session.signed_in_as': 'Signed in as {name}',
  'session.sign_out': 'Sign out',
  'session.sign_out.title': 'End this session in this browser',

  'login.title': 'Sign in',
  'login.intro': 'Operations center: sign in with the account you were given.',
  'login.login': 'Login',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.busy': 'Signing in…',
  'login.failed': 'Sign-in failed (status {status}).',
  'login.retry_after': 'Try again in {n} s.',
  'login.network': 'The server cannot be reached. Please try again.',
  'login.change.title': 'Change password',
  'login.change.intro': 'The account {name} must change its password before going on.',
  'login.change.current': 'Current password',
  'login.change.new': 'New password (at least 12 characters)',
  'login.change.repeat': 'New password again',
  'login.change.submit': 'Change password and continue',
  'login.change.too_short': 'The new password needs at least 12 characters.',
  'login.change.mismatch': 'The two new passwords differ.',
  'login.change.same': 'The new password must differ from the current one.',

  'level.city': 'City',
  'level.department': 'Department',
  'level.agency': 'Agency',
  'level.ward': 'Ward',
  'level.commune': 'Commune',
  'level.division': 'Division',

  'group.development': 'Development results',
  'group.service': 'Government service',
  'group.party': 'Party work',
  'group.internal': 'Internal affairs, anti-corruption, public opinion',

  'band.green': 'Green',
  'band.yellow': 'Yellow',
  'band.red': 'Red',
  'band.no_data': 'No data',

  'fig.score': 'Score',
  'fig.people': 'Officials',
  'fig.open': 'Open tasks',
  'fig.overdue': 'Overdue',
  'fig.overdue_ratio': 'Overdue ratio',
  'fig.on_time_rate': 'On-time rate',
  'fig.avg_progress': 'Avg. progress',
  'fig.kpis_rgy': 'KPIs red / yellow / green',
  'fig.satisfaction': 'Satisfaction (1–5)',
  'fig.workload': 'Workload',
  'fig.tasks_total': 'Tasks in all',
  'fig.alerts_red': 'Red alerts',
  'fig.alerts_yellow': 'Yellow alerts',
  'fig.kr_progress': 'Avg. KR progress',
  'fig.pace_gap': 'Pace gap',

  'tile.overdue': 'Overdue',
  'tile.open': 'Open',
  'city.title': 'Board',
  'city.groups': 'The four index groups',
  'city.units': 'Units',
  'city.departments': 'Departments and agencies',
  'city.wards': 'Wards and communes',
  'city.others': 'Other units',
  'city.filter.all': 'All',
  'city.filter.departments': 'Departments',
  'city.filter.wards': 'Wards and communes',
  'city.sort': 'Sort',
  'city.sort.name': 'By name',
  'city.sort.score_asc': 'Lowest score first',
  'city.sort.score_desc': 'Highest score first',
  'city.sort.overdue': 'Most overdue first',
  'city.worst': 'Lowest-scoring units',
  'city.red_kpis': 'KPIs in red',
  'city.red_kpis.none': 'No KPI is red.',
  'city.alerts_live': 'Active alerts',
  'city.filter_name': 'Filter by name',
  'city.no_children': 'This unit has no sub-units.',

  'unit.kpis': 'KPIs',
  'unit.okrs': 'Objectives and key results',
  'unit.tasks_overdue': 'Overdue tasks',
  'unit.tasks_soon': 'Tasks due soon (7 days)',
  'unit.people': 'Officials',
  'unit.children': 'Sub-units',
  'unit.col.code': 'Code',
  'unit.col.kpi': 'KPI',
  'unit.col.value': 'Value',
  'unit.col.target': 'Target',
  'unit.col.band': 'Thresholds',
  'unit.col.trend': 'Trend',
  'unit.col.period': 'Period',
  'unit.col.updated': 'Updated',
  'unit.col.task': 'Task',
  'unit.col.responsible': 'Responsible',
  'unit.col.deadline': 'Deadline',
  'unit.col.progress': 'Progress',
  'unit.col.status': 'Status',
  'unit.col.unit': 'Unit',
  'unit.col.name': 'Name',
  'unit.col.position': 'Position',
  'unit.col.workload': 'Open',
  'unit.col.tasks_total': 'Tasks',
  'unit.col.overdue': 'Overdue',
  'unit.col.on_time_rate': 'On time',
  'unit.kpi.stale': 'stale',
  'unit.okr.expected': 'Expected by now: {pct}',
  'unit.okr.owner': 'Owner: {name}',
  'unit.okr.none': 'No objectives for this unit.',
  'unit.okr.confidence': 'Confidence {n}/10',
  'unit.tasks.none': 'No tasks.',
  'unit.people.none': 'No officials.',
  'unit.kpis.none': 'This unit has no KPIs.',
  'unit.threshold.higher': '≥ {green} green · < {red} red',
  'unit.threshold.lower': '≤ {green} green · > {red} red',
  'unit.threshold.band': '{gl}–{gh} green · outside {rl}–{rh} red',

  'status.todo': 'To do',
  'status.in_progress': 'In progress',
  'status.submitted': 'Submitted',
  'status.accepted': 'Accepted',
  'status.returned': 'Returned',
  'status.cancelled': 'Cancelled',

  'freq.daily': 'Daily',
  'freq.weekly': 'Weekly',
  'freq.monthly': 'Monthly',
  'freq.quarterly': 'Quarterly',
  'freq.yearly': 'Yearly',

  'person.title': 'Official',
  'person.tasks': 'Tasks',
  'person.back': 'Back to unit: {name}',
  'person.open': 'Open',
  'person.done_on_time': 'Done on time',
  'person.done_late': 'Done late',

  'task.title': 'Task',
  'task.raci': 'Roles (RACI)',
  'task.responsible': 'Responsible (R)',
  'task.accountable': 'Accountable (A)',
  'task.consulted': 'Consulted (C)',
  'task.informed': 'Informed (I)',
  'task.deadline': 'Deadline',
  'task.start': 'Start',
  'task.status': 'Status',
  'task.progress': 'Progress',
  'task.quality': 'Quality',
  'task.expected_output': 'Expected output',
  'task.key_result': 'Key result',
  'task.submitted_at': 'Submitted',
  'task.done_at': 'Done',
  'task.overdue': 'Overdue',
  'task.on_track': 'On track',
  'task.unit': 'Unit',
  'task.history': 'Alert history of this task',

  'alerts.title': 'Alert center',
  'alerts.live': 'Active',
  'alerts.history': 'History',
  'alerts.filter.rule': 'Rule',
  'alerts.filter.text': 'Search summary, unit',
  'alerts.filter.unacked': 'Unacknowledged only',
  'alerts.state.firing': 'Firing',
  'alerts.state.pending': 'Pending',
  'alerts.count': '{shown} / {total} alerts',
  'alerts.since': 'since {time}',
  'alerts.ack': 'Acknowledge',
  'alerts.assign': 'Assign',
  'alerts.silence': 'Silence',
  'alerts.acked': 'Acknowledged: {by}, {time}',
  'alerts.assigned': 'Assigned to: {person}',
  'alerts.escalated': 'Escalated {time}',
  'alerts.silenced': 'Silenced',
  'alerts.comment': 'Comment (optional)',
  'alerts.person': 'Assign to official (id)',
  'alerts.silence.rule': 'Silence rule {rule}',
  'alerts.silence.unit': 'Silence unit {unit} and below',
  'alerts.silence.hours': 'For (hours)',
  'alerts.silence.reason': 'Reason',
  'alerts.silence.done': 'Silenced until {time}',
  'alerts.loading': 'Loading alerts…',
  'alerts.none': 'No alert matches the filters.',
  'alerts.h.seq': 'No.',
  'alerts.h.time': 'When',
  'alerts.h.kind': 'Event',
  'alerts.h.severity': 'Severity',
  'alerts.h.subject': 'Subject',
  'alerts.h.summary': 'Summary',
  'alerts.h.by': 'By',
  'alerts.h.newest': 'Newest',
  'alerts.h.older': 'Older',
  'alerts.h.newer': 'Newer',
  'alerts.h.none': 'No entries.',
  'alerts.kind.pending': 'Pending',
  'alerts.kind.fired': 'Fired',
  'alerts.kind.severity_changed': 'Severity changed',
  'alerts.kind.escalated': 'Escalated',
  'alerts.kind.resolved': 'Resolved',
  'alerts.kind.cancelled': 'Cancelled',
  'alerts.kind.acknowledged': 'Acknowledged',
  'alerts.kind.assigned': 'Assigned',

  'wall.updated_ago': 'Updated {ago}',
  'wall.never': 'no data yet',
  'wall.board_of': 'Board {i}/{n}',

  'review.title': 'Review meeting',
  'review.week': 'Week {week}',
  'review.range': '{from} – {to}',
  'review.prev': '‹ Previous week',
  'review.next': 'Next week ›',
  'review.print': 'Print',
  'review.headline': 'Headline figures: this week against last week',
  'review.this': 'This week',
  'review.last': 'Last week',
  'review.delta': 'Change',
  'review.turned_red': 'Turned red',
  'review.recovered': 'Recovered',
  'review.key_results': 'Key-result progress',
  'review.overdue_trend': 'Overdue trend',
  'review.units': 'Unit ranking',
  'review.top': 'Top units',
  'review.bottom': 'Units needing attention',
  'review.charts': 'Charts',
  'review.chart.overdue': 'Overdue by day',
  'review.chart.kpis': 'KPIs by band',
  'review.chart.key_results': 'Key results',
  'review.chart.units': 'Unit scores',
  'review.png': 'Download PNG',
  'review.before': 'Before',
  'review.after': 'After',
  'review.none': 'None.',
  'review.unavailable': 'No review is available for this unit or week yet.',
  'review.progress_last_week': 'Last week',
  'review.expected': 'Expected',
  'review.day': 'Day',
  'review.generated': 'Figures as of {time}',
  'review.kpis_red': 'Red KPIs',
  'review.kpis_green': 'Green KPIs',
};

export const DICT = { vi, en };

function resolveLang() {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (fromUrl === 'vi' || fromUrl === 'en') return fromUrl;
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'vi' || saved === 'en') return saved;
  } catch { /* storage can be disabled in kiosk profiles */ }
  return 'vi';
}

export let lang = resolveLang();
document.documentElement.lang = lang;
const listeners = new Set();

/** The string for `key` in the current language, with `{name}` placeholders filled in. */
export function t(key, vars) {
  let s = DICT[lang][key] ?? DICT.vi[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

export function onLangChange(fn) { listeners.add(fn); }

/** Switches language without a reload: remembered, reflected in the URL if it named one. */
export function setLang(next) {
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

/** Fills every element carrying data-i18n (text) or data-i18n-title / -placeholder. */
export function applyStaticText(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  const title = document.querySelector('meta[name="ioc-title"]');
  if (title) document.title = `${t(title.content)} · IOC`;
}

// Formatter objects are costly to build and patches format hundreds of numbers a second.
let formatters = null;
function f() {
  if (formatters) return formatters;
  const loc = lang === 'vi' ? 'vi-VN' : 'en-GB';
  const tz = { timeZone: TIME_ZONE };
  formatters = {
    int: new Intl.NumberFormat(loc, { maximumFractionDigits: 0 }),
    dec1: new Intl.NumberFormat(loc, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    num: new Intl.NumberFormat(loc, { maximumFractionDigits: 2 }),
    pct: new Intl.NumberFormat(loc, { style: 'percent', maximumFractionDigits: 1 }),
    pct0: new Intl.NumberFormat(loc, { style: 'percent', maximumFractionDigits: 0 }),
    date: new Intl.DateTimeFormat(loc, { ...tz, day: '2-digit', month: '2-digit', year: 'numeric' }),
    dayMonth: new Intl.DateTimeFormat(loc, { ...tz, day: '2-digit', month: '2-digit' }),
    time: new Intl.DateTimeFormat(loc, { ...tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
    timeSec: new Intl.DateTimeFormat(loc, { ...tz, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }),
    weekday: new Intl.DateTimeFormat(loc, { ...tz, weekday: 'long' }),
  };
  return formatters;
}

const DASH = '—';
const toDate = x => (x instanceof Date ? x : new Date(x));
const bad = x => x == null || (typeof x === 'number' && !Number.isFinite(x));

export const fmt = {
  int: x => (bad(x) ? DASH : f().int.format(x)),
  dec1: x => (bad(x) ? DASH : f().dec1.format(x)),
  num: x => (bad(x) ? DASH : f().num.format(x)),
  /** A 0..1 ratio as a percentage. */
  pct: x => (bad(x) ? DASH : f().pct.format(x)),
  pct0: x => (bad(x) ? DASH : f().pct0.format(x)),
  /** A 0..100 progress as a percentage. */
  progress: x => (bad(x) ? DASH : f().pct0.format(x / 100)),
  /** A signed difference, e.g. "+2,5" / "−1,0". */
  delta: (x, digits = 1) => {
    if (bad(x)) return DASH;
    const s = digits === 0 ? f().int.format(Math.abs(x)) : f().dec1.format(Math.abs(x));
    return (x > 0 ? '+' : x < 0 ? '−' : '±') + s;
  },
  date: x => (bad(x) ? DASH : f().date.format(toDate(x))),
  dayMonth: x => (bad(x) ? DASH : f().dayMonth.format(toDate(x))),
  time: x => (bad(x) ? DASH : f().time.format(toDate(x))),
  timeSec: x => (bad(x) ? DASH : f().timeSec.format(toDate(x))),
  /** dd/mm/yyyy HH:MM (date first in both languages). */
  dateTime: x => (bad(x) ? DASH : `${f().date.format(toDate(x))} ${f().time.format(toDate(x))}`),
  weekday: x => f().weekday.format(toDate(x)),
  /** "5 phút trước" from a time and now, coarse on purpose (screens across a room). */
  ago: (x, now = Date.now()) => {
    if (bad(x)) return DASH;
    const s = Math.max(0, Math.round((now - toDate(x).getTime()) / 1000));
    if (s < 60) return t('common.ago.s', { n: s });
    if (s < 3600) return t('common.ago.m', { n: Math.floor(s / 60) });
    if (s < 86400) return t('common.ago.h', { n: Math.floor(s / 3600) });
    return t('common.ago.d', { n: Math.floor(s / 86400) });
  },
};

export const levelName = l => t(`level.${l}`);
export const groupName = g => t(`group.${g}`);
export const bandName = b => t(`band.${b}`);
export const statusName = s => t(`status.${s}`);
export const GROUPS = ['development', 'service', 'party', 'internal'];
