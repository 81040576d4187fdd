//! Summary templates (`"Tỷ lệ quá hạn của {unit_name} là {value}"`): parsed once when a rule
//! loads, so an unknown placeholder is a load error and never a blank in a leader's warning.

/// A placeholder a summary may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placeholder {
    Unit,
    UnitName,
    Value,
    Threshold,
    Kpi,
    KpiName,
    Severity,
    Rule,
    Subject,
    Title,
    Responsible,
}

const NAMES: [(&str, Placeholder); 11] = [
    ("unit", Placeholder::Unit),
    ("unit_name", Placeholder::UnitName),
    ("value", Placeholder::Value),
    ("threshold", Placeholder::Threshold),
    ("kpi", Placeholder::Kpi),
    ("kpi_name", Placeholder::KpiName),
    ("severity", Placeholder::Severity),
    ("rule", Placeholder::Rule),
    ("subject", Placeholder::Subject),
    ("title", Placeholder::Title),
    ("responsible", Placeholder::Responsible),
];

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Hole(Placeholder),
}

/// A parsed template.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text`; `{{` and `}}` stand for literal braces.
    pub(crate) fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().is_some_and(|&(_, n)| n == '{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().is_some_and(|&(_, n)| n == '}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let Some(end) = text[i + 1..].find('}') else {
                        return Err(format!(
                            "unclosed '{{' at character {}; write {{{{ for a literal brace",
                            text[..i].chars().count() + 1
                        ));
                    };
                    let name = &text[i + 1..i + 1 + end];
                    let Some(&(_, ph)) = NAMES.iter().find(|(n, _)| *n == name) else {
                        let known: Vec<String> =
                            NAMES.iter().map(|(n, _)| format!("{{{n}}}")).collect();
                        return Err(format!(
                            "unknown placeholder {{{name}}}; known: {}",
                            known.join(", ")
                        ));
                    };
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Hole(ph));
                    // Skip the name and the closing brace.
                    for _ in 0..name.chars().count() + 1 {
                        chars.next();
                    }
                }
                '}' => {
                    return Err(format!(
                        "unmatched '}}' at character {}; write }}}} for a literal brace",
                        text[..i].chars().count() + 1
                    ))
                }
                _ => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    /// The placeholders the template uses, to check them against the rule's subject.
    pub(crate) fn placeholders(&self) -> impl Iterator<Item = Placeholder> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Hole(ph) => Some(*ph),
            Part::Text(_) => None,
        })
    }

    /// Fills the template; `fill` supplies each placeholder's text.
    pub(crate) fn render(&self, mut fill: impl FnMut(Placeholder) -> String) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Hole(ph) => out.push_str(&fill(*ph)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders() {
        let t = Template::parse("Tỷ lệ của {unit_name} là {value} {{x}}").expect("valid");
        let s = t.render(|p| match p {
            Placeholder::UnitName => "Phường Ba Đình".into(),
            Placeholder::Value => "25%".into(),
            _ => "?".into(),
        });
        assert_eq!(s, "Tỷ lệ của Phường Ba Đình là 25% {x}");
    }

    #[test]
    fn refuses_unknown_and_unbalanced() {
        assert!(Template::parse("{unit_nam}")
            .unwrap_err()
            .contains("unknown placeholder {unit_nam}"));
        assert!(Template::parse("a {value")
            .unwrap_err()
            .contains("unclosed"));
        assert!(Template::parse("a } b").unwrap_err().contains("unmatched"));
    }
}
