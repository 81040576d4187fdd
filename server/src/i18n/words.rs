//! The catalog: every keyed message in English and Vietnamese, grouped by where it is said.
//! `{name}` is a parameter, the same in both wordings (a test holds them to it).

/// (key, English, Vietnamese).
pub(super) const CATALOG: &[(&str, &str, &str)] = &[
    // Who may see what (auth).
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
];
