//! What the server says to people, in their language: a message is a stable key with named
//! parameters (`Msg`), worded from one catalog in Vietnamese and English. Errors carry a `Msg`,
//! and the HTTP edge words it in the language the request asked for (`Accept-Language`), so a
//! Vietnamese page shows Vietnamese reasons and an integration reads the same `reason` key
//! whatever the wording. Text that has no key yet travels as plain English and is marked so
//! (`Msg::is_keyed`): a page then words the refusal itself rather than show English.

use std::fmt;

/// The languages the screens and messages come in. Vietnamese first: it is what the people on
/// duty read; English for integrators and visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The language an `Accept-Language` header prefers among ours (`vi`, `en`, with their
    /// regions and q-values); English when it names neither, since a client that asks nothing
    /// is a program, and programs were written against English messages.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut bits = part.split(';');
            let tag = bits.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or_default();
            let Some(lang) = Lang::parse(primary) else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }
}

tokio::task_local! {
    /// The language of the request being answered, set by the HTTP layer for the handler and
    /// everything it calls (errors word themselves in it when they become a response).
    pub static REQUEST_LANG: Lang;
}

/// The current request's language, English outside a request.
pub fn request_lang() -> Lang {
    REQUEST_LANG.try_with(|l| *l).unwrap_or(Lang::En)
}

/// A value put into a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Int(i64),
    /// A message inside a message (a scope described in words), worded in the same language.
    Msg(Box<Msg>),
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}
impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_string())
    }
}
impl From<&String> for Arg {
    fn from(s: &String) -> Self {
        Arg::Text(s.clone())
    }
}
impl From<std::sync::Arc<str>> for Arg {
    fn from(s: std::sync::Arc<str>) -> Self {
        Arg::Text(s.to_string())
    }
}
impl From<&std::sync::Arc<str>> for Arg {
    fn from(s: &std::sync::Arc<str>) -> Self {
        Arg::Text(s.to_string())
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Int(n)
    }
}
impl From<usize> for Arg {
    fn from(n: usize) -> Self {
        Arg::Int(n as i64)
    }
}
impl From<Msg> for Arg {
    fn from(m: Msg) -> Self {
        Arg::Msg(Box::new(m))
    }
}

/// A message: a catalog key and its parameters, plain English text not yet in the catalog, or
/// a list of messages (said one after another, comma-separated).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Msg {
    /// `None` for plain text (then `args` holds it as `text`) and for a list (`LIST`).
    key: Option<&'static str>,
    args: Vec<(&'static str, Arg)>,
}

/// The argument name that marks a list's items.
const ITEM: &str = "\u{1}item";

impl Msg {
    /// A catalog message; `args` name the placeholders of its wording.
    pub fn new(key: &'static str, args: Vec<(&'static str, Arg)>) -> Msg {
        Msg {
            key: Some(key),
            args,
        }
    }

    /// English text with no key: worded as it is in every language.
    pub fn text(s: impl Into<String>) -> Msg {
        Msg {
            key: None,
            args: vec![("text", Arg::Text(s.into()))],
        }
    }

    /// Messages said one after another ("leader at p-1, viewer at hn"); keyed when every item is.
    pub fn list(items: Vec<Msg>) -> Msg {
        Msg {
            key: None,
            args: items.into_iter().map(|m| (ITEM, m.into())).collect(),
        }
    }

    fn is_list(&self) -> bool {
        self.args.first().is_some_and(|(n, _)| *n == ITEM)
    }

    /// The stable key a client may switch on (`outside_scope`), if the message has one.
    pub fn key(&self) -> Option<&'static str> {
        self.key
    }

    /// Whether it is worded from the catalog all through (a list: every item), so it reads in
    /// the language asked.
    pub fn is_keyed(&self) -> bool {
        if self.is_list() {
            return self
                .args
                .iter()
                .all(|(_, a)| matches!(a, Arg::Msg(m) if m.is_keyed()));
        }
        self.key.is_some()
    }

    /// The parameters as strings (nested messages worded in `lang`), for clients that word
    /// a known key themselves.
    pub fn params(&self, lang: Lang) -> Vec<(&'static str, String)> {
        if self.key.is_none() {
            return Vec::new();
        }
        self.args
            .iter()
            .map(|(name, arg)| (*name, arg_text(arg, lang)))
            .collect()
    }

    /// The message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        if self.is_list() {
            let items: Vec<String> = self.args.iter().map(|(_, a)| arg_text(a, lang)).collect();
            return items.join(", ");
        }
        let Some(key) = self.key else {
            return self
                .args
                .first()
                .map(|(_, a)| arg_text(a, lang))
                .unwrap_or_default();
        };
        let Some(template) = wording(key, lang) else {
            // A key missing from the catalog is a bug the catalog test catches; say the key
            // rather than nothing.
            return key.to_string();
        };
        fill(template, &self.args, lang)
    }
}

impl From<String> for Msg {
    fn from(s: String) -> Self {
        Msg::text(s)
    }
}

impl From<&str> for Msg {
    fn from(s: &str) -> Self {
        Msg::text(s)
    }
}

/// English, for logs and for everything that is not a person's screen.
impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// Builds a catalog message: `msg!("outside_scope", unit = u, scope = words)`.
#[macro_export]
macro_rules! msg {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::Msg::new($key, vec![$((stringify!($name), $crate::i18n::Arg::from($value))),*])
    };
}

/// `crate::i18n::msg!` as well as `crate::msg!`, for rooms that import only `i18n`.
pub use crate::msg;

fn arg_text(arg: &Arg, lang: Lang) -> String {
    match arg {
        Arg::Text(s) => s.clone(),
        Arg::Int(n) => n.to_string(),
        Arg::Msg(m) => m.render(lang),
    }
}

/// `{name}` replaced by its argument; `{{`/`}}` are braces.
fn fill(template: &str, args: &[(&'static str, Arg)], lang: Lang) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(end) = tail.find('}').filter(|_| tail.starts_with('{')) {
            let name = &tail[1..end];
            match args.iter().find(|(n, _)| *n == name) {
                Some((_, a)) => out.push_str(&arg_text(a, lang)),
                None => out.push_str(&tail[..=end]),
            }
            rest = &tail[end + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

fn wording(key: &str, lang: Lang) -> Option<&'static str> {
    CATALOG
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, vi)| match lang {
            Lang::En => *en,
            Lang::Vi => *vi,
        })
}

pub mod font;
mod words;
use words::CATALOG;

/// A number as people read it: Vietnamese `1.234,5`, English `1,234.5`; at most `decimals`
/// decimals, trailing zeros dropped.
pub fn number(x: f64, decimals: usize, lang: Lang) -> String {
    let (group, point) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let fixed = format!("{:.*}", decimals, x.abs());
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let frac = frac.trim_end_matches('0');
    let mut out = String::new();
    if x < 0.0 && fixed.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

/// Lowercase, without diacritics (đ as d): how Vietnamese names are typed on a phone, and a
/// sort key that puts "Phường Ô Chợ Dừa" among the O's rather than after the Z's.
pub fn folded(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
}

/// Words put into an HTML element or a quoted attribute: `&`, `<`, `>`, `"` and `'` as
/// entities (the printable report, the messages' HTML, the public cards and summaries).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> Vec<String> {
        let mut names: Vec<String> = s
            .split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
            .filter(|n| !n.is_empty() && !n.contains(' '))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn every_message_says_the_same_things_in_both_languages() {
        let mut keys = std::collections::HashSet::new();
        for (key, en, vi) in CATALOG {
            assert!(keys.insert(key), "{key} appears twice");
            assert!(!en.is_empty() && !vi.is_empty(), "{key}");
            assert_eq!(placeholders(en), placeholders(vi), "{key}");
            assert_ne!(en, vi, "{key} is not translated");
        }
    }

    #[test]
    fn every_key_the_code_uses_is_in_the_catalog() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, part) in text.split("msg!(\"").enumerate().skip(1) {
                    let key = part.split('"').next().unwrap_or_default();
                    if wording(key, Lang::En).is_none() {
                        missing.push(format!("{}: #{i} {key}", path.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys without wording: {missing:?}");
    }

    #[test]
    fn a_message_is_worded_in_the_language_asked_with_its_parameters() {
        let m = Msg::new(
            "outside_scope",
            vec![("unit", "p-1".into()), ("scope", Msg::text("x").into())],
        );
        assert!(m.render(Lang::En).contains("p-1"));
        assert!(m.render(Lang::Vi).contains("p-1"));
        assert_ne!(m.render(Lang::En), m.render(Lang::Vi));
        assert_eq!(Msg::text("plain").render(Lang::Vi), "plain");
        assert!(!Msg::text("plain").is_keyed());
        assert_eq!(
            fill("a {{b}} {c}", &[("c", Arg::Int(3))], Lang::En),
            "a {b} 3"
        );
    }

    #[test]
    fn accept_language_picks_ours_by_preference() {
        let l = |h| Lang::from_accept_language(Some(h));
        assert_eq!(l("vi"), Lang::Vi);
        assert_eq!(l("vi-VN,vi;q=0.9,en;q=0.8"), Lang::Vi);
        assert_eq!(l("en-US,en;q=0.9"), Lang::En);
        assert_eq!(l("fr, en;q=0.5, vi;q=0.7"), Lang::Vi);
        assert_eq!(l("fr"), Lang::En);
        assert_eq!(l("vi;q=0"), Lang::En);
        assert_eq!(Lang::from_accept_language(None), Lang::En);
    }
}
