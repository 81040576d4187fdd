//! The placeholders of an `http_template` contact point: `{name}` in its URL, header values and
//! the string values of its JSON body, `{name:N}` cut to N characters (SMS and Zalo ZNS template
//! parameters have length limits), `{{` and `}}` for braces. Checked when the contact point is
//! saved (an unknown name is refused, naming the field), filled when a message is sent. Filling
//! happens inside JSON strings, never by pasting text into JSON, so no value can change the
//! request's shape.

use crate::i18n::{msg, Msg};
use serde_json::Value;

/// Every placeholder, with what it stands for (README "Notifications" lists them).
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    (
        "id",
        "the delivery's idempotency key (also sent as X-IOC-Delivery)",
    ),
    ("kind", "alerts, repeat or digest"),
    ("recipient_id", "the person's id"),
    ("recipient_name", "the person's name"),
    (
        "address",
        "the contact point's address (e.g. a phone number)",
    ),
    (
        "severity",
        "the message's highest severity in Vietnamese: đỏ, vàng",
    ),
    (
        "severity_code",
        "the message's highest severity: red, yellow or info",
    ),
    ("count", "how many alerts the message carries"),
    ("red_count", "how many of them are red"),
    ("yellow_count", "how many of them are yellow"),
    ("unit", "the first alert's unit id"),
    ("unit_name", "the first alert's unit name"),
    ("rule", "the first alert's rule"),
    ("subject", "the first alert's subject"),
    ("summary_vi", "the first alert's summary in Vietnamese"),
    ("summary_en", "the first alert's summary in English"),
    ("value", "the first alert's value"),
    ("threshold", "the first alert's threshold"),
    ("started_at", "when the first alert began (RFC 3339)"),
    (
        "time",
        "when the message was made, in Vietnamese (08:00 02/11/2026)",
    ),
    ("title_vi", "the message's title in Vietnamese"),
    ("title_en", "the message's title in English"),
    ("text_vi", "the whole message in Vietnamese, plain text"),
    ("text_en", "the whole message in English, plain text"),
    ("link", "the signed link to the alerts in the alert center"),
    (
        "token",
        "the contact point's token (write-only; e.g. a Zalo OAuth access token)",
    ),
];

/// A piece of a template.
#[derive(Debug, Clone, PartialEq)]
enum Piece<'a> {
    Text(&'a str),
    Brace(char),
    Slot { name: &'a str, max: Option<usize> },
}

fn pieces(s: &str) -> Result<Vec<Piece<'_>>, Msg> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(['{', '}']) {
        if i > 0 {
            out.push(Piece::Text(&rest[..i]));
        }
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push(Piece::Brace(tail.chars().next().unwrap_or('{')));
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('}') {
            return Err(msg!("template_unmatched_close"));
        }
        let end = tail.find('}').ok_or_else(|| msg!("template_unclosed"))?;
        let inner = &tail[1..end];
        let (name, max) = match inner.split_once(':') {
            Some((n, m)) => {
                let max: usize =
                    m.parse().ok().filter(|m| *m > 0).ok_or_else(|| {
                        msg!("template_bad_length", slot = format!("{{{inner}}}"))
                    })?;
                (n, Some(max))
            }
            None => (inner, None),
        };
        out.push(Piece::Slot { name, max });
        rest = &tail[end + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// Checks a template string: every placeholder known.
pub fn check(s: &str) -> Result<(), Msg> {
    for p in pieces(s)? {
        if let Piece::Slot { name, .. } = p {
            if !PLACEHOLDERS.iter().any(|(n, _)| *n == name) {
                let known: Vec<&str> = PLACEHOLDERS.iter().map(|(n, _)| *n).collect();
                return Err(msg!(
                    "template_unknown_placeholder",
                    slot = format!("{{{name}}}"),
                    known = known.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// Checks every string of a JSON body; the error names the field (`body.template_data.x`).
pub fn check_json(v: &Value, at: &str) -> Result<(), (String, Msg)> {
    match v {
        Value::String(s) => check(s).map_err(|e| (at.to_string(), e)),
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                check_json(x, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        Value::Object(map) => {
            for (k, x) in map {
                check_json(x, &format!("{at}.{k}"))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Fills a checked template string; `value` gives each placeholder's text.
pub fn fill(s: &str, value: &dyn Fn(&str) -> String) -> String {
    let Ok(pieces) = pieces(s) else {
        return s.to_string();
    };
    let mut out = String::with_capacity(s.len() + 64);
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Brace(c) => out.push(c),
            Piece::Slot { name, max } => {
                let v = value(name);
                match max {
                    Some(n) if v.chars().count() > n => {
                        out.extend(v.chars().take(n.saturating_sub(1)));
                        out.push('…');
                    }
                    _ => out.push_str(&v),
                }
            }
        }
    }
    out
}

/// Fills every string of a JSON body.
pub fn fill_json(v: &Value, value: &dyn Fn(&str) -> String) -> Value {
    match v {
        Value::String(s) => Value::String(fill(s, value)),
        Value::Array(items) => Value::Array(items.iter().map(|x| fill_json(x, value)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, x)| (k.clone(), fill_json(x, value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_placeholders_are_named_with_their_field() {
        assert!(check("{address}").is_ok());
        assert!(check("{{literal}} {count}").is_ok());
        let e = check("{ten_don_vi}").unwrap_err();
        assert!(e.to_string().contains("'{ten_don_vi}'"), "{e}");
        assert!(check("{unit_name")
            .unwrap_err()
            .to_string()
            .contains("never closed"));
        assert!(check("{summary_vi:0}").is_err());
        let body = json!({"phone": "{address}", "template_data": {"ok": "{unit_name:30}", "bad": ["x", "{nope}"]}});
        let (field, _) = check_json(&body, "body").unwrap_err();
        assert_eq!(field, "body.template_data.bad[1]");
    }

    #[test]
    fn values_are_filled_inside_strings_and_cut_to_length() {
        let body = json!({"phone": "{address}", "n": 3, "t": "\"{summary_vi:8}\" {{x}}"});
        let filled = fill_json(&body, &|name| match name {
            "address" => "84912345678".into(),
            "summary_vi" => "Cảnh báo đỏ tại Phường \"A\"".into(),
            _ => String::new(),
        });
        assert_eq!(filled["phone"], "84912345678");
        assert_eq!(filled["n"], 3);
        assert_eq!(filled["t"], "\"Cảnh bá…\" {x}");
        // A value with quotes stays inside its string: the body's shape cannot change.
        let quoted = fill_json(&json!({"a": "{summary_vi}"}), &|_| "\", \"b\": \"x".into());
        assert_eq!(quoted.as_object().unwrap().len(), 1);
    }
}
