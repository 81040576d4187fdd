//! Threshold conditions (`"> 0.25"`, `"<= 3d"`): parsing, evaluation, and the ordering checks
//! that keep red more severe than yellow and recovery on the safe side of firing.

use crate::duration::{format_duration, parse_duration};
use crate::metric::Scale;
use std::fmt;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }

    /// `>` and `>=` fire on high values.
    fn upward(self) -> bool {
        matches!(self, Op::Gt | Op::Ge)
    }

    fn inclusive(self) -> bool {
        matches!(self, Op::Ge | Op::Le)
    }
}

/// `value OP threshold`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cond {
    pub(crate) op: Op,
    pub(crate) threshold: f64,
}

impl Cond {
    pub(crate) fn new(op: Op, threshold: f64) -> Cond {
        Cond { op, threshold }
    }

    /// Whether `value` satisfies the condition.
    pub(crate) fn holds(&self, value: f64) -> bool {
        match self.op {
            Op::Gt => value > self.threshold,
            Op::Ge => value >= self.threshold,
            Op::Lt => value < self.threshold,
            Op::Le => value <= self.threshold,
        }
    }

    /// Parses `"OP NUMBER"`; for a duration metric the number is a duration (`"> 3d"`).
    pub(crate) fn parse(text: &str, scale: Scale) -> Result<Cond, String> {
        let t = text.trim();
        let op_len = t
            .find(|c: char| !matches!(c, '<' | '>' | '=' | '!'))
            .unwrap_or(t.len());
        let (op_text, rest) = t.split_at(op_len);
        let op = match op_text {
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "<" => Op::Lt,
            "<=" => Op::Le,
            "" => {
                return Err(format!(
                    "'{text}' has no operator: write one of >, >=, <, <= then the threshold, e.g. \"> 0.25\""
                ))
            }
            other => {
                return Err(format!(
                    "unknown operator '{other}' in '{text}': use >, >=, < or <="
                ))
            }
        };
        let rest = rest.trim();
        let threshold = if scale == Scale::Duration {
            parse_duration(rest).map_err(|e| {
                format!("this metric is a duration, so its threshold is a duration: {e}")
            })? as f64
        } else {
            match rest.parse::<f64>() {
                Ok(x) if x.is_finite() => x,
                _ if parse_duration(rest).is_ok() => {
                    return Err(format!(
                        "'{rest}' is a duration, but this metric is a number: write a number such as \"{} 0.25\"",
                        op.as_str()
                    ))
                }
                _ => return Err(format!("'{rest}' is not a number (in '{text}')")),
            }
        };
        if let Some((lo, hi, what)) = scale.range() {
            if threshold < lo || threshold > hi {
                return Err(format!(
                    "threshold {threshold} is out of range: this metric is {what}"
                ));
            }
        }
        Ok(Cond { op, threshold })
    }

    pub(crate) fn upward(&self) -> bool {
        self.op.upward()
    }

    /// The complement: what holds exactly when `self` does not.
    pub(crate) fn negation(&self) -> Cond {
        let op = match self.op {
            Op::Gt => Op::Le,
            Op::Ge => Op::Lt,
            Op::Lt => Op::Ge,
            Op::Le => Op::Gt,
        };
        Cond {
            op,
            threshold: self.threshold,
        }
    }

    /// Whether `self` (red) holds on a strictly smaller set of values than `other` (yellow), in
    /// the same direction: every red value is also yellow, and some yellow value is not red.
    pub(crate) fn strictly_inside(&self, other: &Cond) -> bool {
        if self.upward() != other.upward() {
            return false;
        }
        let (r, y) = (self.threshold, other.threshold);
        let beyond = if self.upward() { r > y } else { r < y };
        beyond || (r == y && other.op.inclusive() && !self.op.inclusive())
    }

    /// Whether no value satisfies both `self` and `other` (a recovery and a firing condition).
    pub(crate) fn disjoint(&self, other: &Cond) -> bool {
        if self.upward() == other.upward() {
            return false;
        }
        let (low, high) = if self.upward() {
            (other, self)
        } else {
            (self, other)
        };
        // `low` is `v < a` / `v <= a`, `high` is `v > b` / `v >= b`: they meet unless a < b, or
        // a == b with at least one side open.
        low.threshold < high.threshold
            || (low.threshold == high.threshold && !(low.op.inclusive() && high.op.inclusive()))
    }

    /// The condition as a rule file spells it.
    pub(crate) fn spelled(&self, scale: Scale) -> String {
        if scale == Scale::Duration {
            format!(
                "{} {}",
                self.op.as_str(),
                format_duration(self.threshold as i64)
            )
        } else {
            format!("{} {}", self.op.as_str(), self.threshold)
        }
    }
}

impl fmt::Display for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.op.as_str(), self.threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cond {
        Cond::parse(s, Scale::Number).expect("valid condition")
    }

    #[test]
    fn parses_operators() {
        assert_eq!(c("> 0.25"), Cond::new(Op::Gt, 0.25));
        assert_eq!(c(">=1"), Cond::new(Op::Ge, 1.0));
        assert_eq!(c(" <  -0.2 "), Cond::new(Op::Lt, -0.2));
        assert_eq!(c("<= 3"), Cond::new(Op::Le, 3.0));
        assert!(Cond::parse("== 1", Scale::Number)
            .unwrap_err()
            .contains("unknown operator '=='"));
        assert!(Cond::parse("=> 1", Scale::Number)
            .unwrap_err()
            .contains("unknown operator"));
        assert!(Cond::parse("1", Scale::Number)
            .unwrap_err()
            .contains("no operator"));
        assert!(Cond::parse("> abc", Scale::Number)
            .unwrap_err()
            .contains("not a number"));
        assert!(Cond::parse("> 15", Scale::Ratio)
            .unwrap_err()
            .contains("ratio"));
        assert_eq!(
            Cond::parse("> 3d", Scale::Duration).map(|c| c.threshold),
            Ok(3.0 * crate::duration::DAY as f64)
        );
        assert!(Cond::parse("> 3", Scale::Duration).is_err());
        assert!(Cond::parse("> 3d", Scale::Number)
            .unwrap_err()
            .contains("duration"));
    }

    #[test]
    fn severity_order() {
        assert!(c("> 0.25").strictly_inside(&c("> 0.15")));
        assert!(!c("> 0.2").strictly_inside(&c("> 0.3")));
        assert!(!c("> 0.2").strictly_inside(&c("> 0.2")));
        assert!(c("> 0.2").strictly_inside(&c(">= 0.2")));
        assert!(c("< 3").strictly_inside(&c("< 3.5")));
        assert!(!c("< 3").strictly_inside(&c("> 1")));
    }

    #[test]
    fn recovery_overlap() {
        assert!(c("< 0.20").disjoint(&c("> 0.25")));
        assert!(c("<= 0.25").disjoint(&c("> 0.25")));
        assert!(!c("< 0.30").disjoint(&c("> 0.25")));
        assert!(!c("<= 0.25").disjoint(&c(">= 0.25")));
        assert!(!c("> 0.1").disjoint(&c("> 0.25")));
        assert!(c("> 3.7").disjoint(&c("< 3.5")));
    }
}
