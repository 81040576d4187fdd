//! The catalog: every keyed message in English and Vietnamese, grouped by where it is said.
//! `{name}` is a parameter, the same in both wordings (a test holds them to it).

/// (key, English, Vietnamese).
pub(super) const CATALOG: &[(&str, &str, &str)] = &[
    // The board at a past moment (`?at=`).
    (
        "at_invalid",
        "'{at}' is not a moment: give an RFC 3339 time (2026-11-15T08:00:00+07:00) or a date (2026-11-15, its end)",
        "'{at}' không phải một thời điểm: hãy ghi theo RFC 3339 (2026-11-15T08:00:00+07:00) hoặc một ngày (2026-11-15, tính đến cuối ngày)",
    ),
    (
        "at_future",
        "{at} is after the server's clock ({now}): the board of a moment to come is not known",
        "{at} là sau giờ của máy chủ ({now}): chưa thể xem bảng của một thời điểm chưa tới",
    ),
    (
        "history_missing",
        "the server keeps the board's history from {begins}; {at} is before it, and is not guessed",
        "máy chủ lưu lịch sử bảng điều hành từ {begins}; {at} là trước thời điểm đó nên không thể hiển thị (không suy đoán)",
    ),
    (
        "history_none",
        "the server has kept no history of the board yet",
        "máy chủ chưa lưu lịch sử nào của bảng điều hành",
    ),
    (
        "backtest_by",
        "rules are tried on history by a signed-in leader or administrator of the unit (of the whole tree when no unit is named)",
        "chỉ lãnh đạo hoặc quản trị viên của đơn vị (của toàn hệ thống khi không chọn đơn vị) mới chạy thử luật trên dữ liệu lịch sử",
    ),
    (
        "backtest_busy",
        "another rule backtest is running on this server; try again when it ends",
        "máy chủ đang chạy thử một bộ luật khác; vui lòng thử lại khi lượt đó kết thúc",
    ),
    (
        "backtest_window",
        "the window must run forward and last at most {days} days",
        "khoảng thời gian phải có điểm đầu trước điểm cuối và dài tối đa {days} ngày",
    ),
    (
        "backtest_rules",
        "the candidate rules were refused: {errors}",
        "bộ luật thử nghiệm không hợp lệ: {errors}",
    ),
    (
        "unit_not_then",
        "unit '{id}' did not exist at {at}",
        "đơn vị '{id}' chưa tồn tại vào {at}",
    ),
    (
        "person_not_then",
        "person '{id}' was not on record at {at}",
        "cán bộ '{id}' chưa có trong hệ thống vào {at}",
    ),
    // Review meetings (giao ban).
    (
        "meeting_by",
        "only a leader of {unit} (or above it) holds its review meeting",
        "chỉ lãnh đạo {unit} (hoặc cấp trên) mới chủ trì cuộc họp giao ban của đơn vị",
    ),
    ("no_meeting", "no review meeting '{id}'", "không có cuộc họp giao ban '{id}'"),
    (
        "meeting_closed",
        "the meeting is closed: its record is read-only (a leader may correct a conclusion, with a reason)",
        "cuộc họp đã kết thúc: biên bản chỉ đọc (lãnh đạo có thể đính chính kết luận, kèm lý do)",
    ),
    (
        "meeting_open_correct",
        "the meeting is still open: change the conclusion in the meeting, corrections are for closed records",
        "cuộc họp chưa kết thúc: sửa kết luận ngay trong cuộc họp; đính chính chỉ dành cho biên bản đã đóng",
    ),
    ("meeting_no_item", "the agenda has no item '{item}'", "chương trình họp không có mục '{item}'"),
    (
        "meeting_item_range",
        "must be an item of the agenda: 0 to {last}",
        "phải là một mục của chương trình họp: từ 0 đến {last}",
    ),
    ("meeting_no_conclusion", "the meeting has no conclusion '{id}'", "cuộc họp không có kết luận '{id}'"),
    (
        "meeting_conclusion_taken",
        "the conclusion id '{id}' is already used for another conclusion",
        "mã kết luận '{id}' đã được dùng cho một kết luận khác",
    ),
    ("meeting_person", "no person '{id}'", "không có cán bộ '{id}'"),
    (
        "meeting_part",
        "is required with action {action}",
        "là bắt buộc với hình thức kết luận này ({action})",
    ),
    (
        "meeting_date",
        "must be a date (2026-11-22) or an RFC 3339 time, the year from 1900 to 2999",
        "phải là một ngày (2026-11-22) hoặc thời điểm RFC 3339, năm từ 1900 đến 2999",
    ),
    ("meeting_target", "must be a number", "phải là một số"),
    (
        "meeting_target_period",
        "must be a year (2026) or a quarter (2026-Q4)",
        "phải là một năm (2026) hoặc một quý (2026-Q4)",
    ),
    (
        "meeting_adjust_which",
        "give key_result, or kpi with unit and period",
        "hãy chọn kết quả then chốt, hoặc chỉ tiêu KPI cùng đơn vị và kỳ",
    ),
    (
        "meeting_subject_kind",
        "must be kpi, alert_group or task",
        "phải là kpi, alert_group hoặc task",
    ),
    (
        "meeting_action",
        "must be task, adjust, explain or silence",
        "phải là task, adjust, explain hoặc silence",
    ),
    (
        "meeting_key_result",
        "no key result '{id}' of {unit} or below",
        "không có kết quả then chốt '{id}' của {unit} hoặc cấp dưới",
    ),
    (
        "meeting_text",
        "must be 1 to {max} characters",
        "phải có từ 1 đến {max} ký tự",
    ),
    (
        "meeting_period",
        "must be a week (2026-W49), a month (2026-12) or a quarter (2026-Q4) that has begun",
        "phải là một tuần (2026-W49), tháng (2026-12) hoặc quý (2026-Q4) đã bắt đầu",
    ),
    // References a record makes to what the catalog does not hold.
    ("unknown_unit", "unknown unit '{id}'", "không có đơn vị '{id}'"),
    // The public pages and their rating form (said to citizens: Vietnamese first).
    (
        "public_no_board",
        "there is no public board for '{id}'",
        "Không tìm thấy trang công khai của đơn vị '{id}'",
    ),
    (
        "public_unknown_service",
        "'{code}' is not a service offered here: choose one from the list",
        "Không có dịch vụ '{code}' tại đơn vị này: hãy chọn dịch vụ trong danh sách",
    ),
    (
        "public_score_range",
        "choose 1 to 5 stars",
        "Hãy chọn từ 1 đến 5 sao",
    ),
    (
        "public_comment_long",
        "the comment has {chars} characters; at most {max} are taken",
        "Ý kiến dài {chars} ký tự; tối đa {max} ký tự",
    ),
    (
        "public_receipt_form",
        "a receipt code has 3 to 40 letters, digits or the signs - . / _",
        "Mã biên nhận gồm 3 đến 40 chữ cái, chữ số hoặc các dấu - . / _",
    ),
    (
        "public_receipt_used",
        "this receipt code has already been used to rate: each dossier is rated once",
        "Mã biên nhận này đã được dùng để đánh giá: mỗi hồ sơ chỉ được đánh giá một lần",
    ),
    (
        "public_device_long",
        "the device id is over 64 characters",
        "Mã thiết bị dài quá 64 ký tự",
    ),
    (
        "public_form_unreadable",
        "the form could not be read: send service, score and, if you like, comment and receipt",
        "Không đọc được phiếu đánh giá: cần có dịch vụ, số sao và (nếu muốn) ý kiến, mã biên nhận",
    ),
    (
        "public_too_many_ratings",
        "too many ratings from this connection or device: try again in {minutes} minutes",
        "Đã gửi quá nhiều đánh giá từ kết nối hoặc thiết bị này. Vui lòng thử lại sau {minutes} phút",
    ),
    (
        "public_slow_down",
        "too many requests: try again in {seconds} seconds",
        "Quá nhiều yêu cầu. Vui lòng thử lại sau {seconds} giây",
    ),
    (
        "public_thanks",
        "Thank you: your rating has been recorded",
        "Cảm ơn bạn! Đánh giá của bạn đã được ghi nhận",
    ),
    (
        "public_month_not_closed",
        "there is no summary for '{month}': a month is published once it has closed, for the last 12 months",
        "Chưa có báo cáo tháng '{month}': báo cáo được công bố khi tháng kết thúc, trong 12 tháng gần nhất",
    ),
    (
        "public_month_format",
        "no summary as '.{ext}': use .html, .csv, .xlsx or .json",
        "Không có báo cáo dạng '.{ext}': dùng .html, .csv, .xlsx hoặc .json",
    ),
    (
        "public_card_service",
        "name the service: ?service=CODE",
        "Hãy chọn dịch vụ: ?service=MÃ",
    ),
    ("unknown_person", "unknown person '{id}'", "không có cán bộ '{id}'"),
    (
        "unknown_objective",
        "unknown objective '{id}'",
        "không có mục tiêu '{id}'",
    ),
    // Imports (CSV and XLSX cells, headers, sheets).
    (
        "import_not_number",
        "'{cell}' is not a number",
        "'{cell}' không phải là số",
    ),
    (
        "import_not_number_comma",
        "'{cell}' is not a number (write decimals with a dot)",
        "'{cell}' không phải là số (ghi phần thập phân bằng dấu chấm)",
    ),
    (
        "import_number_not_date",
        "'{cell}' is a number, not a date",
        "'{cell}' là số, không phải ngày tháng",
    ),
    (
        "import_date_not_number",
        "'{cell}' is a date, not a number",
        "'{cell}' là ngày tháng, không phải số",
    ),
    (
        "import_cell_error",
        "the cell shows the error {error}: put a value in it",
        "ô đang báo lỗi {error}: hãy nhập giá trị",
    ),
    (
        "import_unknown_column",
        "is not a column of this table: use {columns}",
        "không phải là cột của bảng này; các cột: {columns}",
    ),
    (
        "import_missing_column",
        "column is missing from the header",
        "thiếu cột này ở dòng tiêu đề",
    ),
    (
        "import_column_twice",
        "appears twice in the header",
        "cột này xuất hiện hai lần ở dòng tiêu đề",
    ),
    (
        "import_nothing",
        "holds no records to import",
        "không có bản ghi nào để nhập",
    ),
    (
        "import_no_sheet",
        "has no sheet to import: name sheets {names}",
        "không có trang tính nào để nhập: hãy đặt tên trang tính là {names}",
    ),
    // Errors every route can answer.
    (
        "unavailable",
        "the service cannot take writes right now; nothing was kept, retry",
        "máy chủ tạm thời không ghi được dữ liệu; chưa có gì được lưu, hãy thử lại",
    ),
    ("internal", "internal error", "lỗi nội bộ của máy chủ"),
    (
        "rate_limited",
        "too many requests for these credentials; retry in {seconds} s",
        "quá nhiều yêu cầu từ tài khoản này; hãy thử lại sau {seconds} giây",
    ),
    (
        "signin_throttled",
        "too many failed sign-ins; try again in {seconds} s",
        "đăng nhập sai quá nhiều lần; hãy thử lại sau {seconds} giây",
    ),
    (
        "second_root",
        "unit '{id}' needs a parent: the tree has its root already ({root}), and a second root would sit outside every board",
        "đơn vị '{id}' cần có đơn vị cấp trên: cây đơn vị đã có gốc ({root}), một gốc thứ hai sẽ nằm ngoài mọi bảng điều hành",
    ),
    (
        "entry_outside_scope",
        "{kind} '{id}' belongs to no unit in your scope",
        "{kind} '{id}' không thuộc đơn vị nào trong phạm vi của bạn",
    ),
    (
        "targets_by_level_above",
        "targets of unit '{unit}' are set by a leader of unit '{assigner}', the level above",
        "chỉ tiêu của đơn vị '{unit}' do lãnh đạo đơn vị cấp trên '{assigner}' giao",
    ),
    (
        "criteria_by_leader",
        "the general criteria of {person} are scored by a leader of unit '{unit}' other than the person",
        "tiêu chí chung của {person} do lãnh đạo đơn vị '{unit}' (không phải chính người đó) chấm",
    ),
    (
        "event_id_reused",
        "event id '{id}' was already used by this source for another event; send a new id (a retry of the same event is kept once)",
        "mã sự kiện '{id}' đã được nguồn này dùng cho một sự kiện khác; hãy dùng mã mới (gửi lại đúng sự kiện cũ chỉ được ghi một lần)",
    ),
    (
        "no_event",
        "no event '{id}' from source '{source}' (?source= names another source)",
        "không có sự kiện '{id}' từ nguồn '{source}' (dùng ?source= để chọn nguồn khác)",
    ),
    // Roles and grants, in words.
    ("role_viewer", "viewer", "theo dõi"),
    ("role_data_entry", "data entry", "nhập liệu"),
    ("role_leader", "leader", "lãnh đạo"),
    ("role_admin", "admin", "quản trị"),
    ("grant_at", "{role} at {unit}", "{role} tại {unit}"),
    ("grant_everywhere", "{role} of the whole tree", "{role} toàn hệ thống"),
    ("no_role_anywhere", "no role anywhere", "chưa có vai trò ở đơn vị nào"),
    ("token_for_units", "a token for units {units}", "khóa API cho đơn vị {units}"),
    // Who may see what.
    (
        "outside_scope",
        "unit '{unit}' is outside your scope ({scope})",
        "đơn vị '{unit}' nằm ngoài phạm vi của bạn ({scope})",
    ),
    // Notifications (notify/compose.rs): what messages to people say.
    ("notify.sev.red", "red", "đỏ"),
    ("notify.sev.yellow", "yellow", "vàng"),
    ("notify.sev.info", "notice", "thông báo"),
    ("notify.title.one", "New {severity} alert: {summary}", "Cảnh báo {severity}: {summary}"),
    (
        "notify.title.repeat",
        "Reminder, not acknowledged ({severity}): {summary}",
        "Nhắc lại, chưa được xác nhận ({severity}): {summary}",
    ),
    ("notify.title.ended", "Alert ended ({severity}): {summary}", "Đã hết cảnh báo {severity}: {summary}"),
    (
        "notify.title.escalated",
        "Escalated, not acknowledged ({severity}): {summary}",
        "Chuyển lên, chưa được xác nhận ({severity}): {summary}",
    ),
    ("notify.title.many", "{count} notices ({counts}) at {place}", "{count} thông báo ({counts}) tại {place}"),
    ("notify.where.more", "{unit} and {n} other units", "{unit} và {n} đơn vị khác"),
    ("notify.count.red", "{n} red", "{n} đỏ"),
    ("notify.count.yellow", "{n} yellow", "{n} vàng"),
    ("notify.count.info", "{n} notices", "{n} thông báo"),
    ("notify.count.ended", "{n} ended", "{n} đã hết"),
    (
        "notify.title.digest",
        "Daily digest {date}: {red} red, {turned} turned red, {stale} without data, {awaiting} awaiting acceptance",
        "Bản tin ngày {date}: {red} đang đỏ, {turned} mới chuyển đỏ, {stale} chưa nhập số liệu, {awaiting} chờ nghiệm thu",
    ),
    ("notify.greeting", "Dear {name},", "Kính gửi {name},"),
    ("notify.intro.alerts", "{count} new notices about alerts:", "Có {count} thông báo mới về cảnh báo:"),
    ("notify.intro.digest", "Your digest for {date}:", "Bản tin ngày {date}:"),
    ("notify.tag.red", "RED", "ĐỎ"),
    ("notify.tag.yellow", "YELLOW", "VÀNG"),
    ("notify.tag.info", "NOTICE", "THÔNG BÁO"),
    ("notify.tag.resolved", "ENDED", "ĐÃ HẾT"),
    ("notify.tag.reminder", "REMINDER", "NHẮC VIỆC"),
    ("notify.title.reminder", "Reminder · {summary}", "Nhắc việc · {summary}"),
    ("notify.tag.escalated", "{tag} · ESCALATED", "{tag} · CHUYỂN LÊN"),
    ("notify.tag.repeat", "{tag} · REMINDER", "{tag} · NHẮC LẠI"),
    ("notify.tag.up", "{tag} · WAS YELLOW", "{tag} · TỪ VÀNG"),
    ("notify.tag.down", "{tag} · WAS RED", "{tag} · GIẢM TỪ ĐỎ"),
    ("notify.since", "since {time}", "từ {time}"),
    (
        "notify.link",
        "Open it in the alert center (you sign in; the link works until {until}):",
        "Mở trong Trung tâm cảnh báo (cần đăng nhập; liên kết dùng được đến {until}):",
    ),
    ("notify.open", "Open in the alert center", "Mở trong Trung tâm cảnh báo"),
    (
        "notify.footer",
        "Sent automatically by IOC; replies are not read.",
        "Thư gửi tự động từ hệ thống IOC; thư trả lời không được đọc.",
    ),
    ("notify.more", "… and {n} more", "… và {n} mục khác"),
    ("notify.digest.red_now", "Red now ({n})", "Đang đỏ ({n})"),
    (
        "notify.digest.turned_red",
        "Turned red since the last digest ({n})",
        "Mới chuyển đỏ từ bản tin trước ({n})",
    ),
    ("notify.digest.not_entered", "Data not entered ({n})", "Chưa nhập số liệu ({n})"),
    ("notify.digest.awaiting", "Awaiting your acceptance ({n})", "Chờ đồng chí nghiệm thu ({n})"),
    ("notify.digest.held", "Yellow alerts kept for this digest ({n})", "Cảnh báo vàng gom vào bản tin ({n})"),
    (
        "notify.digest.task",
        "{title} — {person}, {unit}, submitted {time}",
        "{title} — {person}, {unit}, nộp lúc {time}",
    ),
    (
        "may_not_read",
        "these credentials may not read (an ingest-only token)",
        "thông tin đăng nhập này không được xem dữ liệu (khóa chỉ để gửi dữ liệu)",
    ),
    ("no_unit", "no unit '{unit}'", "không có đơn vị '{unit}'"),
    ("no_person", "no person '{person}'", "không có cán bộ '{person}'"),
    ("no_task", "no task '{task}'", "không có nhiệm vụ '{task}'"),
    // Officials' own work (issue 18).
    (
        "no_person_linked",
        "this account is linked to no person, so it has no work of its own",
        "tài khoản này chưa gắn với cán bộ nào nên không có việc của riêng mình",
    ),
    (
        "acceptance_by_people",
        "acceptance is decided by a person signed in, not by an integration's token",
        "việc nghiệm thu do cán bộ đăng nhập quyết định, không do khóa tích hợp",
    ),
    (
        "assign_by_leaders",
        "only a leader assigns work, to people of the units they lead",
        "chỉ lãnh đạo mới giao việc, cho cán bộ thuộc đơn vị mình phụ trách",
    ),
    (
        "attachment_type",
        "file '{name}' is {kind}; allowed: PDF, PNG, JPEG, WebP, Word (docx), Excel (xlsx), PowerPoint (pptx), OpenDocument",
        "tệp '{name}' có định dạng {kind}; chỉ nhận PDF, PNG, JPEG, WebP, Word (docx), Excel (xlsx), PowerPoint (pptx), OpenDocument",
    ),
    (
        "attachment_empty",
        "file '{name}' is empty",
        "tệp '{name}' rỗng",
    ),
    (
        "attachment_too_large",
        "file '{name}' is {size} bytes, over the limit of {max} bytes",
        "tệp '{name}' dung lượng {size} byte, vượt giới hạn {max} byte",
    ),
    (
        "attachment_upload_denied",
        "files for task '{task}' are attached by its responsible person or the data entry of its unit",
        "tệp của nhiệm vụ '{task}' do người thực hiện hoặc cán bộ nhập liệu của đơn vị đính kèm",
    ),
    ("no_attachment", "no file '{sha256}'", "không có tệp '{sha256}'"),
    (
        "attachment_not_yours",
        "file '{sha256}' belongs to tasks you may not see",
        "tệp '{sha256}' thuộc nhiệm vụ bạn không được xem",
    ),
    // Who may change a task (the responsibility rules).
    (
        "task_own_acceptor",
        "task '{task}': {person} would be both responsible for it and its accountable acceptor; nobody accepts their own work",
        "nhiệm vụ '{task}': {person} không thể vừa là người thực hiện vừa là người chịu trách nhiệm nghiệm thu; không ai tự nghiệm thu việc của mình",
    ),
    (
        "token_task_unit",
        "this token may not send task events for unit '{unit}'",
        "khóa API này không được gửi dữ liệu nhiệm vụ của đơn vị '{unit}'",
    ),
    (
        "token_decides",
        "task '{task}': accepting, returning, judging quality, cancelling and reopening are done by a person who signs in, not by an integration's token",
        "nhiệm vụ '{task}': nghiệm thu, trả lại, chấm chất lượng, hủy và mở lại do người có thẩm quyền đăng nhập thực hiện, không qua khóa API tích hợp",
    ),
    (
        "task_created_by_leader",
        "a new task is created by a leader of unit '{unit}' (the responsible person's unit)",
        "nhiệm vụ mới do lãnh đạo đơn vị '{unit}' (đơn vị của người thực hiện) giao",
    ),
    (
        "task_moved_by_leader_of_both",
        "task '{task}' moves from '{from}' to '{to}' only by a leader of both units",
        "chỉ lãnh đạo của cả hai đơn vị mới chuyển được nhiệm vụ '{task}' từ '{from}' sang '{to}'",
    ),
    (
        "task_planned_by",
        "task '{task}' is planned and assigned by its accountable person or a leader of unit '{unit}'",
        "nhiệm vụ '{task}' do người chịu trách nhiệm hoặc lãnh đạo đơn vị '{unit}' lập kế hoạch và phân công",
    ),
    (
        "task_progress_by",
        "the progress of task '{task}' is reported by its responsible person ({person}) or data entry of unit '{unit}'",
        "tiến độ nhiệm vụ '{task}' do người thực hiện ({person}) hoặc cán bộ nhập liệu của đơn vị '{unit}' cập nhật",
    ),
    (
        "task_status_by",
        "the status of task '{task}' up to submitted is set by its responsible person ({person}) or data entry of unit '{unit}'",
        "trạng thái nhiệm vụ '{task}' (đến khi nộp kết quả) do người thực hiện ({person}) hoặc cán bộ nhập liệu của đơn vị '{unit}' cập nhật",
    ),
    ("acceptor_accountable", "its accountable person ({person})", "người chịu trách nhiệm ({person})"),
    (
        "acceptor_leader",
        "a leader of unit '{unit}' (it names no accountable person)",
        "lãnh đạo đơn vị '{unit}' (nhiệm vụ chưa có người chịu trách nhiệm)",
    ),
    (
        "task_accepted_by",
        "task '{task}' is accepted or returned by {acceptor}",
        "nhiệm vụ '{task}' do {acceptor} nghiệm thu hoặc trả lại",
    ),
    (
        "task_not_own_acceptor",
        "task '{task}' is yours to do: its acceptance and quality are judged by someone else",
        "nhiệm vụ '{task}' do bạn thực hiện: việc nghiệm thu và chấm chất lượng do người khác đảm nhận",
    ),
    (
        "task_quality_by",
        "the quality of task '{task}' is judged by {acceptor}",
        "chất lượng nhiệm vụ '{task}' do {acceptor} đánh giá",
    ),
    (
        "task_reopened_by",
        "task '{task}' was accepted; only {acceptor} or a leader of its unit reopens it",
        "nhiệm vụ '{task}' đã được nghiệm thu; chỉ {acceptor} hoặc lãnh đạo đơn vị mới mở lại được",
    ),
    (
        "task_cancelled_by",
        "task '{task}' is cancelled by its accountable person or a leader of unit '{unit}'",
        "nhiệm vụ '{task}' do người chịu trách nhiệm hoặc lãnh đạo đơn vị '{unit}' hủy",
    ),
    // Who may enter other numbers.
    (
        "kr_checkin_by",
        "key result '{key_result}' is checked in by its objective's owner, or data entry or a leader of unit '{unit}'",
        "kết quả then chốt '{key_result}' do người phụ trách mục tiêu, cán bộ nhập liệu hoặc lãnh đạo đơn vị '{unit}' cập nhật",
    ),
    (
        "token_kpi_unit",
        "this token may not send KPI values for unit '{unit}'",
        "khóa API này không được gửi số liệu KPI của đơn vị '{unit}'",
    ),
    (
        "kpi_value_by",
        "values of KPI '{kpi}' are entered by data entry of its leading unit '{unit}'",
        "số liệu KPI '{kpi}' do cán bộ nhập liệu của đơn vị chủ trì '{unit}' nhập",
    ),
    (
        "rating_by",
        "ratings of unit '{unit}' are entered by its data entry",
        "đánh giá hài lòng của đơn vị '{unit}' do cán bộ nhập liệu của đơn vị nhập",
    ),
    // Administration.
    (
        "token_no_catalog",
        "API tokens send events; the catalog is changed by an admin's session",
        "khóa API chỉ gửi dữ liệu; danh mục do quản trị viên đăng nhập thay đổi",
    ),
    (
        "catalog_by_admin_of",
        "{what} is changed by an admin of unit '{unit}'",
        "{what} do quản trị viên của đơn vị '{unit}' thay đổi",
    ),
    (
        "catalog_by_admin_of_all",
        "{what} is changed by an admin of the whole tree",
        "{what} do quản trị viên toàn hệ thống thay đổi",
    ),
    (
        "token_no_alerts",
        "alerts are handled by people: sign in; API tokens cannot act on them",
        "cảnh báo do người có thẩm quyền xử lý: hãy đăng nhập; khóa API không xử lý được cảnh báo",
    ),
    (
        "alerts_by_leader",
        "alerts of unit '{unit}' are handled by a leader of it",
        "cảnh báo của đơn vị '{unit}' do lãnh đạo đơn vị xử lý",
    ),
    ("op_clock", "moving the clock", "chỉnh đồng hồ hệ thống"),
    ("op_rules_reload", "reloading the rules", "nạp lại quy tắc cảnh báo"),
    ("op_audit_verify", "verifying the audit trail", "kiểm tra nhật ký kiểm toán"),
    ("op_okr_periods", "declaring or changing an OKR period", "khai báo hoặc chuyển trạng thái kỳ OKR"),
    ("op_notify_link_key", "rotating the key that signs the links in messages", "đổi khóa ký liên kết trong thông báo"),
    (
        "operator_only",
        "{what} needs the admin role over the whole tree",
        "{what} cần vai trò quản trị toàn hệ thống",
    ),
    (
        "token_no_accounts",
        "accounts and tokens are managed by an admin's session",
        "tài khoản và khóa API do quản trị viên đăng nhập quản lý",
    ),
    (
        "administer_all",
        "roles and tokens over the whole tree are managed by an admin of the whole tree",
        "vai trò và khóa API toàn hệ thống do quản trị viên toàn hệ thống quản lý",
    ),
    (
        "administer_unit",
        "roles and tokens at unit '{unit}' are managed by an admin of it",
        "vai trò và khóa API tại đơn vị '{unit}' do quản trị viên của đơn vị quản lý",
    ),
    ("thing_checkin", "a key-result check-in", "cập nhật kết quả then chốt"),
    ("thing_kpi_value", "a KPI value", "số liệu KPI"),
    ("thing_kpi_target", "a KPI target", "chỉ tiêu KPI"),
    ("thing_evaluation", "an evaluation", "đánh giá cán bộ"),
    (
        "period_closed",
        "period {closed} is closed: {what} of {period} is read-only except for an admin of unit '{unit}'",
        "kỳ {closed} đã khóa: {what} của kỳ {period} chỉ quản trị viên đơn vị '{unit}' được sửa",
    ),
    // Task templates (issue 18): recurring work, refused with the field at fault.
    (
        "templates_by_people",
        "task templates are managed by people signed in, not by API tokens",
        "mẫu công việc do người dùng đăng nhập quản lý, không dùng khóa API",
    ),
    (
        "template_id",
        "a template id is letters, digits, '-', '_' or '.' (at most 60)",
        "mã mẫu gồm chữ, số, '-', '_' hoặc '.' (tối đa 60 ký tự)",
    ),
    (
        "template_exists",
        "task template '{id}' exists already",
        "mẫu công việc '{id}' đã có",
    ),
    (
        "template_not_found",
        "no task template '{id}'",
        "không có mẫu công việc '{id}'",
    ),
    (
        "template_date",
        "'{value}' is not a date (YYYY-MM-DD)",
        "'{value}' không phải ngày (năm-tháng-ngày)",
    ),
    (
        "template_day",
        "the due day is between 1 and {max}",
        "ngày đến hạn phải từ 1 đến {max}",
    ),
    (
        "template_lead_days",
        "days ahead to create the task are between 0 and {max}",
        "số ngày tạo việc trước hạn phải từ 0 đến {max}",
    ),
    (
        "template_nothing",
        "name at least one field to change",
        "cần nêu ít nhất một mục cần thay đổi",
    ),
    (
        "template_dates",
        "active_until is before active_from",
        "ngày hết áp dụng trước ngày bắt đầu áp dụng",
    ),
    (
        "template_reason",
        "say why the template changes",
        "cần nêu lý do điều chỉnh mẫu",
    ),
    (
        "template_managed_by",
        "task templates of {unit} are managed by its leaders and admins",
        "mẫu công việc của {unit} do lãnh đạo và quản trị viên đơn vị quản lý",
    ),
    (
        "template_person_outside",
        "{person} is not in a unit you lead",
        "{person} không thuộc đơn vị anh/chị phụ trách",
    ),
    (
        "template_responsible_unit",
        "the responsible person works outside {unit}",
        "người thực hiện không thuộc {unit}",
    ),
    (
        "template_own_acceptor",
        "the responsible person cannot also be the accountable one",
        "người thực hiện không thể đồng thời là người nghiệm thu",
    ),
    (
        "template_unknown_kr",
        "unknown key result '{id}'",
        "không có kết quả then chốt '{id}'",
    ),
    // Reminders (issue 18): what a person is reminded of, naming the thing and the date.
    (
        "reminder_series_due",
        "Enter {kpi} for {unit}, period {period}, by {due}",
        "Nhập số liệu {kpi} của {unit} kỳ {period}, hạn {due}",
    ),
    (
        "reminder_series_late",
        "{kpi} for {unit}, period {period}, is not entered; it was due {due} ({days} days late)",
        "Chưa nhập số liệu {kpi} của {unit} kỳ {period}; hạn {due} (trễ {days} ngày)",
    ),
    (
        "reminder_task_due",
        "Task \u{201c}{task}\u{201d} is due {due} and is at {progress}%",
        "Nhiệm vụ \u{201c}{task}\u{201d} đến hạn {due}, mới đạt {progress}%",
    ),
    (
        "reminder_acceptance",
        "\u{201c}{task}\u{201d} by {person}, submitted {at}, has waited {days} days for your acceptance",
        "\u{201c}{task}\u{201d} của {person}, nộp ngày {at}, đã chờ anh/chị nghiệm thu {days} ngày",
    ),
    // Explanations (giải trình): refusals and notices.
    (
        "explain_ask_by",
        "only a leader over {unit} may ask for an explanation about it",
        "chỉ lãnh đạo phụ trách {unit} mới được yêu cầu giải trình về việc này",
    ),
    (
        "explain_answer_by",
        "only {person}, or a leader of their unit, may answer this request",
        "chỉ {person} hoặc lãnh đạo đơn vị của người này mới được trả lời yêu cầu giải trình này",
    ),
    (
        "explain_not_yours",
        "this request is about {unit}, outside what you may see",
        "yêu cầu giải trình này thuộc {unit}, ngoài phạm vi bạn được xem",
    ),
    (
        "no_explanation",
        "no explanation request '{id}'",
        "không có yêu cầu giải trình '{id}'",
    ),
    (
        "explain_no_kpi",
        "no KPI '{kpi}' is measured for {unit}",
        "{unit} không đo chỉ tiêu '{kpi}'",
    ),
    (
        "explain_no_group",
        "'{key}' is not an alert group (unit|rule) of a known unit and rule",
        "'{key}' không phải là nhóm cảnh báo (đơn vị|quy tắc) của đơn vị và quy tắc đã biết",
    ),
    (
        "explain_no_task",
        "no task '{task}'",
        "không có nhiệm vụ '{task}'",
    ),
    (
        "explain_due_past",
        "the due date {due} has passed: give a later one",
        "hạn {due} đã qua: hãy chọn hạn muộn hơn",
    ),
    (
        "explain_text_empty",
        "is empty: write what you ask or answer",
        "đang trống: hãy nhập nội dung",
    ),
    (
        "explain_text_long",
        "is longer than {max} characters",
        "dài quá {max} ký tự",
    ),
    (
        "explain_addressee_outside",
        "{person} does not work in {unit}: name someone of the unit it is about",
        "{person} không thuộc {unit}: hãy chọn người của đơn vị liên quan",
    ),
    (
        "explain_nobody",
        "{unit} has no leader to answer: name the person to answer",
        "{unit} chưa có lãnh đạo để trả lời: hãy chọn người giải trình",
    ),
    (
        "explain_id_reused",
        "the id '{id}' was already used for another request or message",
        "mã '{id}' đã được dùng cho một yêu cầu hoặc tin nhắn khác",
    ),
    (
        "explain_file_not_here",
        "file '{sha256}' was not uploaded for this request",
        "tệp '{sha256}' không được tải lên cho yêu cầu này",
    ),
    (
        "explain_asked_notice",
        "{asker} asks you to explain \u{201c}{title}\u{201d} ({unit}) by {due}: {question}",
        "{asker} yêu cầu giải trình \u{201c}{title}\u{201d} ({unit}) trước {due}: {question}",
    ),
    (
        "explain_answered_notice",
        "{person} answered about \u{201c}{title}\u{201d} ({unit}): {text}",
        "{person} đã giải trình \u{201c}{title}\u{201d} ({unit}): {text}",
    ),
    (
        "explain_overdue_notice",
        "{person} has not explained \u{201c}{title}\u{201d} ({unit}) by {due}, as {asker} asked",
        "{person} chưa giải trình \u{201c}{title}\u{201d} ({unit}) đúng hạn {due} theo yêu cầu của {asker}",
    ),
    // Notification settings (contact points, policies, templates, the inbox).
    (
        "notify_url_invalid",
        "not a URL ({error})",
        "không phải địa chỉ URL ({error})",
    ),
    (
        "notify_url_https",
        "must be https (plain http is allowed only with [notify] allow_plain_http)",
        "phải dùng https (http thường chỉ được phép khi cấu hình [notify] allow_plain_http)",
    ),
    (
        "notify_url_scheme",
        "the scheme '{scheme}' is not allowed: use https",
        "không cho phép giao thức '{scheme}': hãy dùng https",
    ),
    (
        "notify_url_credentials",
        "must not carry credentials: put them in a header or the token",
        "không được chứa thông tin đăng nhập: hãy đặt vào header hoặc token",
    ),
    (
        "notify_url_no_host",
        "has no host",
        "thiếu tên máy chủ",
    ),
    (
        "notify_url_private",
        "points at a loopback or private address; the server does not send there (allowed only with [notify] allow_private_addresses)",
        "trỏ tới địa chỉ nội bộ hoặc riêng; máy chủ không gửi tới đó (chỉ được phép khi cấu hình [notify] allow_private_addresses)",
    ),
    (
        "template_unmatched_close",
        "a '}}' that closes nothing (write }}}} for a brace)",
        "dấu '}}' không đóng gì cả (viết }}}} để có một dấu ngoặc)",
    ),
    (
        "template_unclosed",
        "a '{{' that is never closed (write {{{{ for a brace)",
        "dấu '{{' không được đóng (viết {{{{ để có một dấu ngoặc)",
    ),
    (
        "template_bad_length",
        "'{slot}': the length after ':' must be a whole number above 0",
        "'{slot}': độ dài sau dấu ':' phải là số nguyên lớn hơn 0",
    ),
    (
        "template_unknown_placeholder",
        "unknown placeholder '{slot}'; the placeholders are: {known}",
        "không có trường thay thế '{slot}'; các trường có: {known}",
    ),
    (
        "notify_too_many_points",
        "at most {max} contact points per person",
        "mỗi người có tối đa {max} kênh nhận",
    ),
    (
        "notify_point_id",
        "1 to 64 letters, digits, '-' or '_'",
        "từ 1 đến 64 chữ cái, chữ số, '-' hoặc '_'",
    ),
    (
        "notify_one_inbox",
        "a person has one inbox",
        "mỗi người chỉ có một hộp thư",
    ),
    (
        "notify_id_twice",
        "'{id}' appears twice",
        "'{id}' xuất hiện hai lần",
    ),
    (
        "notify_inbox_id",
        "the inbox's id is '{id}'",
        "mã của hộp thư là '{id}'",
    ),
    (
        "notify_not_a_field",
        "not a field of a {kind} contact point",
        "kênh nhận loại {kind} không có trường này",
    ),
    (
        "notify_field_needed",
        "a {kind} contact point needs it",
        "kênh nhận loại {kind} cần trường này",
    ),
    (
        "notify_between",
        "must be between {min} and {max}",
        "phải từ {min} đến {max}",
    ),
    (
        "notify_not_mailbox",
        "'{address}' is not a mailbox ({error})",
        "'{address}' không phải địa chỉ thư điện tử ({error})",
    ),
    (
        "notify_at_most_chars",
        "at most {max} characters",
        "tối đa {max} ký tự",
    ),
    (
        "notify_method",
        "POST or PUT",
        "chỉ dùng POST hoặc PUT",
    ),
    (
        "notify_header_name",
        "not a header name",
        "không phải tên header hợp lệ",
    ),
    (
        "notify_template_body",
        "an http_template needs a JSON object (or array) as its body",
        "kênh http_template cần phần thân là một đối tượng (hoặc mảng) JSON",
    ),
    (
        "notify_not_empty",
        "must not be empty",
        "không được để trống",
    ),
    (
        "notify_unknown_kind",
        "unknown kind '{kind}'; one of: email, webhook, http_template, inbox",
        "không có loại '{kind}'; chọn một trong: email, webhook, http_template, inbox",
    ),
    (
        "notify_severities_empty",
        "name at least one of red, yellow, info (or leave the field out for all)",
        "hãy chọn ít nhất một mức: red, yellow, info (hoặc bỏ trống để nhận tất cả)",
    ),
    (
        "notify_unknown_severity",
        "unknown severity '{severity}'; one of: red, yellow, info",
        "không có mức '{severity}'; chọn một trong: red, yellow, info",
    ),
    (
        "notify_quiet_hours",
        "'{value}' is not HH:MM-HH:MM (e.g. 22:00-06:30) or off",
        "'{value}' không đúng dạng GG:PP-GG:PP (ví dụ 22:00-06:30) hoặc off",
    ),
    (
        "notify_repeat_range",
        "must be 0 (never) or between 15 and 10080 (a week)",
        "phải là 0 (không nhắc lại) hoặc từ 15 đến 10080 (một tuần)",
    ),
    (
        "notify_digest_at",
        "'{value}' is not HH:MM (e.g. 07:00) or off",
        "'{value}' không đúng dạng GG:PP (ví dụ 07:00) hoặc off",
    ),
    (
        "notify_no_digest",
        "{name} goes to the digest, but there is no digest: set digest_at",
        "mức {name} được gửi vào bản tổng hợp nhưng chưa có giờ gửi tổng hợp: hãy đặt digest_at",
    ),
    (
        "notify_read_ids",
        "name 1 to 1000 messages",
        "hãy chọn từ 1 đến 1000 thông báo",
    ),
    (
        "notify_read_ids_or_all",
        "give either ids or \"all\": true",
        "hãy gửi ids hoặc \"all\": true",
    ),
];
