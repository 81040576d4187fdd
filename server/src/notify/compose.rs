//! What a message says. A message's `Content` (its items, or a digest's sections) is fixed when
//! the message is made and stored with it (its items as the notices it carries, which are stored
//! already: a month-end burst's message lists hundreds); its wording (title, plain text, HTML,
//! in Vietnamese and English, through the i18n catalog) and its signed link are rendered from it
//! at every delivery, the same each time, so a delivery repeated after a restart says the same
//! thing.

use super::notice::{arrange, Item};
use crate::domain::time::vn;
use crate::domain::Ts;
use crate::i18n::{msg, Lang, Msg};
use chrono::{TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Items a message lists before "… and N more" (a month-end burst is one message, not one
/// screen of text).
pub const LISTED: usize = 40;

/// A message's content, as stored with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Content {
    /// alerts, repeat or digest.
    pub kind: String,
    pub person: String,
    pub person_name: String,
    /// The server's clock when the message was made.
    pub created_at: Ts,
    /// The unit the link opens the alert center on.
    pub unit: String,
    /// Arranged by unit, then rule, red first.
    pub items: Vec<Item>,
    #[serde(default)]
    pub digest: Option<Digest>,
}

/// A part of a digest: the first entries and how many there are in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section<T> {
    pub total: usize,
    pub items: Vec<T>,
}

impl<T> Default for Section<T> {
    fn default() -> Self {
        Section {
            total: 0,
            items: Vec::new(),
        }
    }
}

impl<T> Section<T> {
    pub fn of(mut all: Vec<T>, keep: usize) -> Section<T> {
        let total = all.len();
        all.truncate(keep);
        Section { total, items: all }
    }
}

/// A task waiting for the reader to accept it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskLine {
    pub id: String,
    pub title: String,
    pub unit: String,
    pub unit_name: String,
    pub responsible_name: String,
    pub submitted_at: Option<Ts>,
}

/// The daily digest of a leader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Digest {
    /// The Vietnamese day it is for (2026-11-03).
    pub date: String,
    pub red_now: Section<Item>,
    pub turned_red: Section<Item>,
    pub not_entered: Section<Item>,
    pub awaiting: Section<TaskLine>,
}

impl Digest {
    pub fn is_empty(&self) -> bool {
        self.red_now.total == 0
            && self.turned_red.total == 0
            && self.not_entered.total == 0
            && self.awaiting.total == 0
    }
}

impl Content {
    /// A message of these items (arranged here).
    pub fn new(
        kind: &str,
        person: &str,
        person_name: &str,
        created_at: Ts,
        unit: String,
        mut items: Vec<Item>,
    ) -> Content {
        arrange(&mut items);
        Content {
            kind: kind.into(),
            person: person.into(),
            person_name: person_name.into(),
            created_at,
            unit,
            items,
            digest: None,
        }
    }

    /// The JSON stored with the message: everything but its items, which are the notices the
    /// message carries (stored already, marked with the message in the same transaction), so a
    /// burst's messages do not write every alert a second time.
    pub fn stored(&self) -> String {
        #[derive(Serialize)]
        struct Stored<'a> {
            kind: &'a str,
            person: &'a str,
            person_name: &'a str,
            created_at: Ts,
            unit: &'a str,
            items: [Item; 0],
            items_are_notices: bool,
            digest: &'a Option<Digest>,
        }
        serde_json::to_string(&Stored {
            kind: &self.kind,
            person: &self.person,
            person_name: &self.person_name,
            created_at: self.created_at,
            unit: &self.unit,
            items: [],
            items_are_notices: true,
            digest: &self.digest,
        })
        .unwrap_or_default()
    }

    /// A stored message's content: its body, and as its items the bodies of the notices it
    /// carries (oldest first, arranged again as when it was made) when the body left them out;
    /// older bodies carry their items. `None` when the body is unreadable.
    pub fn read(body: &str, notices: &[String]) -> Option<Content> {
        #[derive(Deserialize)]
        struct Read {
            #[serde(flatten)]
            content: Content,
            #[serde(default)]
            items_are_notices: bool,
        }
        let Read {
            mut content,
            items_are_notices,
        } = serde_json::from_str(body).ok()?;
        if items_are_notices {
            content.items = notices
                .iter()
                .filter_map(|n| serde_json::from_str(n).ok())
                .collect();
            arrange(&mut content.items);
        }
        Some(content)
    }

    /// The severities the message carries (which contact points take it).
    pub fn severities(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.items.iter().map(|i| i.severity.as_str()).collect();
        if let Some(d) = &self.digest {
            if d.red_now.total > 0 || d.turned_red.total > 0 {
                out.push("red");
            }
            if d.not_entered.total > 0 {
                out.push("yellow");
            }
            if d.awaiting.total > 0 {
                out.push("info");
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The highest severity: red, yellow or info.
    pub fn severity(&self) -> &'static str {
        let s = self.severities();
        if s.contains(&"red") {
            "red"
        } else if s.contains(&"yellow") {
            "yellow"
        } else {
            "info"
        }
    }

    /// Alerts told of as warnings (ended ones aside).
    fn warnings(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| !i.is_end())
    }

    pub fn count(&self, severity: &str) -> usize {
        self.warnings().filter(|i| i.severity == severity).count()
    }

    /// The message's title in `lang` (the email's subject).
    pub fn title(&self, lang: Lang) -> String {
        let line = if let Some(d) = &self.digest {
            msg!(
                "notify.title.digest",
                date = date_words(self.created_at, lang),
                red = d.red_now.total,
                turned = d.turned_red.total,
                stale = d.not_entered.total,
                awaiting = d.awaiting.total
            )
        } else if self.items.len() == 1 {
            let i = &self.items[0];
            let key = match (self.kind.as_str(), i.kind.as_str()) {
                ("repeat", _) | (_, "repeat") => "notify.title.repeat",
                (_, "resolved") => "notify.title.ended",
                (_, "reminder") => "notify.title.reminder",
                (_, "escalated") => "notify.title.escalated",
                _ => "notify.title.one",
            };
            Msg::new(
                key,
                vec![
                    ("severity", severity_word(&i.severity).into()),
                    ("summary", summary(i, lang).into()),
                ],
            )
        } else {
            let mut units: Vec<&str> = self.items.iter().map(|i| i.unit_name.as_str()).collect();
            units.dedup();
            let first = units.first().copied().unwrap_or_default();
            let place = if units.len() <= 1 {
                Msg::text(first)
            } else {
                msg!("notify.where.more", unit = first, n = units.len() - 1)
            };
            msg!(
                "notify.title.many",
                count = self.items.len(),
                counts = self.counts(lang),
                place = place
            )
        };
        cut(&format!("[IOC] {}", line.render(lang)), 160)
    }

    /// "1 đỏ, 28 vàng, 1 đã hết": the counts that are not zero.
    fn counts(&self, lang: Lang) -> String {
        let ended = self.items.iter().filter(|i| i.is_end()).count();
        [
            ("notify.count.red", self.count("red")),
            ("notify.count.yellow", self.count("yellow")),
            ("notify.count.info", self.count("info")),
            ("notify.count.ended", ended),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(key, n)| Msg::new(key, vec![("n", n.into())]).render(lang))
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// The whole message as plain text in `lang`, with its link.
    pub fn text(&self, lang: Lang, link: &Link) -> String {
        let mut out = String::new();
        out.push_str(&msg!("notify.greeting", name = self.person_name.as_str()).render(lang));
        out.push_str("\n\n");
        if let Some(d) = &self.digest {
            out.push_str(
                &msg!(
                    "notify.intro.digest",
                    date = date_words(self.created_at, lang)
                )
                .render(lang),
            );
            out.push_str("\n\n");
            for (title, section) in self.digest_sections(d) {
                out.push_str(&title.render(lang));
                out.push('\n');
                for i in &section.items {
                    out.push_str(&format!("  • {}\n", item_line(i, lang)));
                }
                more(&mut out, section.total, section.items.len(), lang);
                out.push('\n');
            }
            if d.awaiting.total > 0 {
                out.push_str(&msg!("notify.digest.awaiting", n = d.awaiting.total).render(lang));
                out.push('\n');
                for t in &d.awaiting.items {
                    out.push_str(&format!("  • {}\n", task_line(t, lang)));
                }
                more(&mut out, d.awaiting.total, d.awaiting.items.len(), lang);
                out.push('\n');
            }
            if !self.items.is_empty() {
                out.push_str(&msg!("notify.digest.held", n = self.items.len()).render(lang));
                out.push('\n');
                self.items_text(&mut out, lang);
                out.push('\n');
            }
        } else {
            out.push_str(&msg!("notify.intro.alerts", count = self.items.len()).render(lang));
            out.push_str("\n\n");
            self.items_text(&mut out, lang);
            out.push('\n');
        }
        out.push_str(&msg!("notify.link", until = time_words(link.expires_at, lang)).render(lang));
        out.push('\n');
        out.push_str(&link.url);
        out.push_str("\n\n— ");
        out.push_str(&msg!("notify.footer").render(lang));
        out.push('\n');
        out
    }

    fn digest_sections<'a>(&self, d: &'a Digest) -> Vec<(Msg, &'a Section<Item>)> {
        [
            (
                msg!("notify.digest.red_now", n = d.red_now.total),
                &d.red_now,
            ),
            (
                msg!("notify.digest.turned_red", n = d.turned_red.total),
                &d.turned_red,
            ),
            (
                msg!("notify.digest.not_entered", n = d.not_entered.total),
                &d.not_entered,
            ),
        ]
        .into_iter()
        .filter(|(_, s)| s.total > 0)
        .collect()
    }

    /// Items by unit (a heading per unit), each on its line.
    fn items_text(&self, out: &mut String, lang: Lang) {
        let mut unit = None;
        for i in self.items.iter().take(LISTED) {
            if unit != Some(&i.unit) {
                out.push_str(&i.unit_name);
                out.push('\n');
                unit = Some(&i.unit);
            }
            out.push_str(&format!("  • {}\n", item_line(i, lang)));
        }
        more(out, self.items.len(), LISTED.min(self.items.len()), lang);
    }

    /// The message as HTML in `lang` (the email's HTML part): the same content, with colour.
    pub fn html(&self, lang: Lang, link: &Link) -> String {
        let mut b = String::new();
        b.push_str("<!doctype html><html lang=\"");
        b.push_str(lang.code());
        b.push_str("\"><head><meta charset=\"utf-8\"><title>");
        b.push_str(&esc(&self.title(lang)));
        b.push_str("</title></head><body style=\"font-family:Arial,Helvetica,sans-serif;font-size:15px;color:#1a1a1a;max-width:720px\">");
        b.push_str(&format!(
            "<p>{}</p>",
            esc(&msg!("notify.greeting", name = self.person_name.as_str()).render(lang))
        ));
        if let Some(d) = &self.digest {
            b.push_str(&format!(
                "<p>{}</p>",
                esc(&msg!(
                    "notify.intro.digest",
                    date = date_words(self.created_at, lang)
                )
                .render(lang))
            ));
            for (title, section) in self.digest_sections(d) {
                b.push_str(&format!(
                    "<h3 style=\"margin:18px 0 6px\">{}</h3><ul>",
                    esc(&title.render(lang))
                ));
                for i in &section.items {
                    b.push_str(&item_html(i, lang));
                }
                b.push_str("</ul>");
                more_html(&mut b, section.total, section.items.len(), lang);
            }
            if d.awaiting.total > 0 {
                b.push_str(&format!(
                    "<h3 style=\"margin:18px 0 6px\">{}</h3><ul>",
                    esc(&msg!("notify.digest.awaiting", n = d.awaiting.total).render(lang))
                ));
                for t in &d.awaiting.items {
                    b.push_str(&format!("<li>{}</li>", esc(&task_line(t, lang))));
                }
                b.push_str("</ul>");
                more_html(&mut b, d.awaiting.total, d.awaiting.items.len(), lang);
            }
            if !self.items.is_empty() {
                b.push_str(&format!(
                    "<h3 style=\"margin:18px 0 6px\">{}</h3>",
                    esc(&msg!("notify.digest.held", n = self.items.len()).render(lang))
                ));
                self.items_html(&mut b, lang);
            }
        } else {
            b.push_str(&format!(
                "<p>{}</p>",
                esc(&msg!("notify.intro.alerts", count = self.items.len()).render(lang))
            ));
            self.items_html(&mut b, lang);
        }
        b.push_str(&format!(
            "<p style=\"margin-top:20px\"><a href=\"{}\" style=\"background:#0b5cad;color:#fff;padding:9px 16px;border-radius:4px;text-decoration:none\">{}</a></p><p style=\"color:#555;font-size:13px\">{}</p>",
            esc(&link.url),
            esc(&msg!("notify.open").render(lang)),
            esc(&msg!("notify.link", until = time_words(link.expires_at, lang)).render(lang)),
        ));
        b.push_str(&format!(
            "<p style=\"color:#777;font-size:12px\">{}</p></body></html>",
            esc(&msg!("notify.footer").render(lang))
        ));
        b
    }

    fn items_html(&self, b: &mut String, lang: Lang) {
        let mut unit = None;
        for i in self.items.iter().take(LISTED) {
            if unit != Some(&i.unit) {
                if unit.is_some() {
                    b.push_str("</ul>");
                }
                b.push_str(&format!(
                    "<h4 style=\"margin:14px 0 4px\">{}</h4><ul>",
                    esc(&i.unit_name)
                ));
                unit = Some(&i.unit);
            }
            b.push_str(&item_html(i, lang));
        }
        if unit.is_some() {
            b.push_str("</ul>");
        }
        more_html(b, self.items.len(), LISTED.min(self.items.len()), lang);
    }
}

/// A signed link and until when it works (the server's clock).
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub url: String,
    pub expires_at: Ts,
}

fn more(out: &mut String, total: usize, shown: usize, lang: Lang) {
    if total > shown {
        out.push_str(&format!(
            "  {}\n",
            msg!("notify.more", n = total - shown).render(lang)
        ));
    }
}

fn more_html(b: &mut String, total: usize, shown: usize, lang: Lang) {
    if total > shown {
        b.push_str(&format!(
            "<p style=\"color:#555\">{}</p>",
            esc(&msg!("notify.more", n = total - shown).render(lang))
        ));
    }
}

fn severity_word(s: &str) -> Msg {
    match s {
        "red" => msg!("notify.sev.red"),
        "yellow" => msg!("notify.sev.yellow"),
        _ => msg!("notify.sev.info"),
    }
}

fn summary(i: &Item, lang: Lang) -> String {
    match lang {
        Lang::Vi => i.summary_vi.clone(),
        Lang::En if i.summary_en.is_empty() => i.summary_vi.clone(),
        Lang::En => i.summary_en.clone(),
    }
}

/// "[ĐỎ · CHUYỂN LÊN]" and the like: what happened, by severity.
pub fn tag(i: &Item) -> Msg {
    let sev = match i.severity.as_str() {
        "red" => msg!("notify.tag.red"),
        "yellow" => msg!("notify.tag.yellow"),
        _ => msg!("notify.tag.info"),
    };
    match i.kind.as_str() {
        "resolved" => msg!("notify.tag.resolved"),
        "reminder" => msg!("notify.tag.reminder"),
        "escalated" => msg!("notify.tag.escalated", tag = sev),
        "repeat" => msg!("notify.tag.repeat", tag = sev),
        "severity_changed" if i.severity == "red" => msg!("notify.tag.up", tag = sev),
        "severity_changed" => msg!("notify.tag.down", tag = sev),
        _ => sev,
    }
}

fn item_line(i: &Item, lang: Lang) -> String {
    let mut line = format!("[{}] {}", tag(i).render(lang), summary(i, lang));
    if let Some(s) = i.started_at.filter(|_| !i.is_end()) {
        line.push_str(" — ");
        line.push_str(&msg!("notify.since", time = time_words(s, lang)).render(lang));
    }
    line
}

fn item_html(i: &Item, lang: Lang) -> String {
    let (bg, fg) = match (i.is_end(), i.severity.as_str()) {
        (true, _) => ("#2e7d32", "#fff"),
        (_, "red") => ("#c62828", "#fff"),
        (_, "yellow") => ("#f9a825", "#1a1a1a"),
        _ => ("#546e7a", "#fff"),
    };
    let since = i
        .started_at
        .filter(|_| !i.is_end())
        .map(|s| {
            format!(
                " <span style=\"color:#555\">— {}</span>",
                esc(&msg!("notify.since", time = time_words(s, lang)).render(lang))
            )
        })
        .unwrap_or_default();
    format!(
        "<li style=\"margin:4px 0\"><span style=\"background:{bg};color:{fg};padding:1px 6px;border-radius:3px;font-size:12px;font-weight:bold\">{}</span> {}{since}</li>",
        esc(&tag(i).render(lang)),
        esc(&summary(i, lang)),
    )
}

fn task_line(t: &TaskLine, lang: Lang) -> String {
    let when = t
        .submitted_at
        .map(|s| time_words(s, lang))
        .unwrap_or_else(|| "—".into());
    msg!(
        "notify.digest.task",
        title = t.title.as_str(),
        person = t.responsible_name.as_str(),
        unit = t.unit_name.as_str(),
        time = when
    )
    .render(lang)
}

/// "08:00 02/11/2026" (Vietnamese) or "2026-11-02 08:00" (English), in Vietnam's time.
pub fn time_words(t: Ts, lang: Lang) -> String {
    match Utc.timestamp_millis_opt(t).single() {
        Some(d) => {
            let d = d.with_timezone(&vn());
            match lang {
                Lang::Vi => d.format("%H:%M %d/%m/%Y").to_string(),
                Lang::En => d.format("%Y-%m-%d %H:%M").to_string(),
            }
        }
        None => t.to_string(),
    }
}

fn date_words(t: Ts, lang: Lang) -> String {
    match Utc.timestamp_millis_opt(t).single() {
        Some(d) => {
            let d = d.with_timezone(&vn());
            match lang {
                Lang::Vi => d.format("%d/%m/%Y").to_string(),
                Lang::En => d.format("%Y-%m-%d").to_string(),
            }
        }
        None => t.to_string(),
    }
}

/// The Vietnamese day of `t` as 2026-11-03.
pub fn day_label(t: Ts) -> String {
    match Utc.timestamp_millis_opt(t).single() {
        Some(d) => d.with_timezone(&vn()).format("%Y-%m-%d").to_string(),
        None => t.to_string(),
    }
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

pub use crate::i18n::escape_html as esc;

#[cfg(test)]
mod tests {
    use super::*;

    fn item(unit: &str, name: &str, severity: &str, kind: &str) -> Item {
        Item {
            kind: kind.into(),
            severity: severity.into(),
            unit: unit.into(),
            unit_name: name.into(),
            rule: Some("builtin.kpi_thresholds".into()),
            subject: Some(format!("TTHC@{unit}")),
            subject_kind: Some("series".into()),
            value: Some(80.0),
            threshold: Some(85.0),
            started_at: Some(1_793_581_200_000),
            at: 1_793_581_200_000,
            summary_vi: format!("Tỷ lệ hồ sơ đúng hạn của {name} là 80% <đỏ>"),
            summary_en: format!("On-time dossier rate of {name} is 80% <red>"),
            role: None,
        }
    }

    fn link() -> Link {
        Link {
            url: "https://ioc.example.vn/alerts.html?unit=p-1&msg=1&exp=1&sig=ab".into(),
            expires_at: 1_793_840_400_000,
        }
    }

    #[test]
    fn one_alert_reads_as_itself_and_a_burst_as_one_message_with_counts() {
        let one = Content::new(
            "alerts",
            "w1",
            "Lê Văn Cường",
            1_793_581_200_000,
            "p-1".into(),
            vec![item("p-1", "Phường Hoàn Kiếm", "red", "fired")],
        );
        assert!(
            one.title(Lang::Vi)
                .starts_with("[IOC] Cảnh báo đỏ: Tỷ lệ hồ sơ"),
            "{}",
            one.title(Lang::Vi)
        );
        assert!(
            one.title(Lang::En)
                .starts_with("[IOC] New red alert: On-time"),
            "{}",
            one.title(Lang::En)
        );
        let mut items: Vec<Item> = (0..30)
            .map(|_| item("p-1", "Phường Hoàn Kiếm", "yellow", "fired"))
            .collect();
        items.push(item("p-2", "Phường Ba Đình", "red", "fired"));
        items.push(item("p-2", "Phường Ba Đình", "yellow", "resolved"));
        let burst = Content::new(
            "alerts",
            "w1",
            "Lê Văn Cường",
            1_793_581_200_000,
            "hn".into(),
            items,
        );
        assert_eq!(
            burst.title(Lang::Vi),
            "[IOC] 32 thông báo (1 đỏ, 30 vàng, 1 đã hết) tại Phường Ba Đình và 1 đơn vị khác"
        );
        let text = burst.text(Lang::Vi, &link());
        assert!(text.starts_with("Kính gửi Lê Văn Cường,"), "{text}");
        // Arranged by unit: Ba Đình's lines (red first) before Hoàn Kiếm's.
        let ba_dinh = text.find("Phường Ba Đình\n").unwrap();
        let hoan_kiem = text.find("Phường Hoàn Kiếm\n").unwrap();
        assert!(ba_dinh < hoan_kiem, "{text}");
        assert!(text.contains("[ĐỎ] Tỷ lệ"), "{text}");
        assert!(text.contains("[ĐÃ HẾT]"), "{text}");
        assert!(text.contains(&link().url));
        let html = burst.html(Lang::Vi, &link());
        assert!(html.contains("&lt;đỏ&gt;"), "text is escaped in HTML");
        assert!(!html.contains("<đỏ>"));
        assert_eq!(burst.severity(), "red");
        assert_eq!(burst.count("yellow"), 30);
    }

    #[test]
    fn the_english_wording_has_no_vietnamese_words_of_ours() {
        let c = Content::new(
            "repeat",
            "w1",
            "Lê Văn Cường",
            1_793_581_200_000,
            "p-1".into(),
            vec![item("p-1", "Phường Hoàn Kiếm", "red", "repeat")],
        );
        let en = c.text(Lang::En, &link());
        for word in ["Kính gửi", "Cảnh báo", "cảnh báo", "liên kết", "NHẮC LẠI"] {
            assert!(!en.contains(word), "{word} in {en}");
        }
        assert!(
            c.title(Lang::Vi).contains("Nhắc lại"),
            "{}",
            c.title(Lang::Vi)
        );
    }

    #[test]
    fn a_message_stored_without_its_items_reads_back_the_same_from_its_notices() {
        // The notices in the order they were written (as the outbox hands them over).
        let notices = vec![
            item("p-1", "Phường Hoàn Kiếm", "yellow", "fired"),
            item("p-2", "Phường Ba Đình", "red", "fired"),
            item("p-1", "Phường Hoàn Kiếm", "red", "severity_changed"),
            item("p-2", "Phường Ba Đình", "yellow", "resolved"),
        ];
        let made = Content::new(
            "alerts",
            "w1",
            "Lê Văn Cường",
            1_793_581_200_000,
            "hn".into(),
            notices.clone(),
        );
        let body = made.stored();
        let stored: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(stored["items"], serde_json::json!([]), "{body}");
        let bodies: Vec<String> = notices
            .iter()
            .map(|n| serde_json::to_string(n).unwrap())
            .collect();
        assert_eq!(Content::read(&body, &bodies), Some(made.clone()));
        // A body stored with its items (before) reads as it is, whatever notices name it.
        let whole = serde_json::to_string(&made).unwrap();
        assert_eq!(Content::read(&whole, &[]), Some(made));
        assert_eq!(Content::read("{", &bodies), None);
    }
}
