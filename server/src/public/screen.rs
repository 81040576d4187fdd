//! Screening a citizen's comment before it may appear on a public board: what is refused
//! outright (too long), and what is kept but not shown (abuse, links, personal data such as a
//! phone number or an e-mail address, which the form never asks for and the board must never
//! publish). Plain rules a ward can explain; a human reads the held-back ones inside.

/// Longest comment taken, in characters.
pub const MAX_COMMENT: usize = 500;

/// The comment as it will be kept (spaces collapsed), and whether it may be shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Screened {
    pub text: String,
    pub shown: bool,
}

/// Words that are abuse in Vietnamese (with and without diacritics, the common shorthand) and
/// English; matched as whole words.
const ABUSE: &[&str] = &[
    "địt", "dit", "đụ", "du ma", "đéo", "deo", "lồn", "lon", "cặc", "cac", "buồi", "buoi", "đĩ",
    "vcl", "vkl", "vl", "dm", "đm", "dmm", "đmm", "clm", "cmm", "fuck", "shit", "bitch",
];

/// `None` for an empty comment; `Err(chars)` when it is over `MAX_COMMENT`.
pub fn screen(comment: &str) -> Result<Option<Screened>, usize> {
    let text = comment.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return Ok(None);
    }
    let chars = text.chars().count();
    if chars > MAX_COMMENT {
        return Err(chars);
    }
    let shown = !abusive(&text) && !has_link(&text) && !has_contact(&text);
    Ok(Some(Screened { text, shown }))
}

fn abusive(text: &str) -> bool {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    ABUSE.iter().any(|bad| {
        let parts: Vec<&str> = bad.split(' ').collect();
        words.windows(parts.len()).any(|w| w == parts.as_slice())
    })
}

fn has_link(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("http://") || lower.contains("https://") || lower.contains("www.")
}

/// A run of 8 or more digits (spaces, dots and dashes between them allowed) is a phone or an
/// identity number; an `@` between word characters is an e-mail address.
fn has_contact(text: &str) -> bool {
    let mut digits = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= 8 {
                return true;
            }
        } else if !matches!(c, ' ' | '.' | '-') {
            digits = 0;
        }
    }
    let b = text.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b'@'
            && i > 0
            && i + 1 < b.len()
            && b[i - 1].is_ascii_alphanumeric()
            && b[i + 1].is_ascii_alphanumeric()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_are_shown_and_spaces_collapsed() {
        let s = screen("  Cán bộ   hướng dẫn rất tận tình.\n")
            .unwrap()
            .unwrap();
        assert_eq!(s.text, "Cán bộ hướng dẫn rất tận tình.");
        assert!(s.shown);
        assert_eq!(screen("   ").unwrap(), None);
    }

    #[test]
    fn abuse_links_and_contacts_are_kept_but_not_shown() {
        for held in [
            "Cán bộ làm việc như đéo",
            "VCL chờ 3 tiếng",
            "xem https://spam.example",
            "gọi tôi 0912 345 678",
            "mail cho tôi: an.nguyen@example.vn",
        ] {
            let s = screen(held).unwrap().unwrap();
            assert!(!s.shown, "{held} should be held back");
        }
        // Whole words only: "long" and "cách" are not "lon" and "cac".
        assert!(
            screen("Chờ hơi lâu nhưng cách làm rõ ràng, hàng không dài")
                .unwrap()
                .unwrap()
                .shown
        );
        // A short number (a counter, a date) is not a phone number.
        assert!(
            screen("Quầy số 3, ngày 12/11 chờ 15 phút")
                .unwrap()
                .unwrap()
                .shown
        );
    }

    #[test]
    fn a_comment_over_the_limit_is_refused_with_its_length() {
        assert_eq!(screen(&"a".repeat(MAX_COMMENT + 1)), Err(MAX_COMMENT + 1));
        assert!(screen(&"â".repeat(MAX_COMMENT)).is_ok());
    }
}
