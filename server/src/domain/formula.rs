//! KPI formulas: a KPI computed from other KPIs of the same unit and period, such as
//! `{HS-DUNGHAN} / {HS-TONG} * 100`, and the check that formulas never depend on themselves.
//!
//! `evalexpr` reads the text (precedence, parentheses, numbers); the tree it builds is then
//! checked node by node and turned into a small expression of our own, which is what gets
//! evaluated. Evaluating our own tree rather than calling `evalexpr` keeps the arithmetic in
//! floating point throughout (evalexpr divides integers as integers), lets a division by zero
//! anywhere inside be told apart from other non-finite results, and leaves no way to reach
//! evalexpr's other builtins (strings, regexes, random numbers).

use super::Id;
use evalexpr::{DefaultNumericTypes, EvalexprError, Node, Operator, Value};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fmt;
use utoipa::ToSchema;

/// Longest formula text, in characters.
pub const MAX_TEXT: usize = 2000;
/// Most distinct KPIs one formula may refer to.
pub const MAX_INPUTS: usize = 50;
/// Longest KPI code, as ingest allows for any id.
const MAX_CODE: usize = 128;
/// Most KPIs `check_cycles` walks before giving up: a bound on work, not a limit anyone should
/// meet.
pub const MAX_GRAPH: usize = 10_000;

const FUNCTIONS: &str = "min, max, abs, floor, ceil, round, sqrt";

/// A parsed, checked formula. Build with [`Formula::parse`].
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    text: String,
    inputs: Vec<Id>,
    expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Number(f64),
    /// Index into `Formula::inputs`.
    Input(usize),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Func {
    Min,
    Max,
    Abs,
    Floor,
    Ceil,
    Round,
    Sqrt,
}

impl Func {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "min" => Func::Min,
            "max" => Func::Max,
            "abs" => Func::Abs,
            "floor" => Func::Floor,
            "ceil" => Func::Ceil,
            "round" => Func::Round,
            "sqrt" => Func::Sqrt,
            _ => return None,
        })
    }
    fn variadic(self) -> bool {
        matches!(self, Func::Min | Func::Max)
    }
}

/// Why a formula has no value for a unit and period. The KPI then shows "no data".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoData {
    /// An input KPI has no value for the unit and period.
    MissingInput {
        code: String,
    },
    DivisionByZero,
    /// The result (or a step on the way) is infinite or not a number: an overflow, the square
    /// root of a negative number, a zero raised to a negative power.
    NotFinite,
}

impl NoData {
    /// The reason in Vietnamese, for the boards.
    pub fn reason_vi(&self) -> String {
        match self {
            NoData::MissingInput { code } => format!("thiếu số liệu {code}"),
            NoData::DivisionByZero => "chia cho 0".into(),
            NoData::NotFinite => "kết quả không phải là một số hữu hạn".into(),
        }
    }
}

impl fmt::Display for NoData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoData::MissingInput { code } => write!(f, "no value for {code}"),
            NoData::DivisionByZero => f.write_str("division by zero"),
            NoData::NotFinite => f.write_str("the result is not a finite number"),
        }
    }
}

impl std::error::Error for NoData {}

// A formula travels (between nodes, in the change log) as the text its author wrote and is
// parsed again on arrival, so the parsed tree never needs a wire form of its own.
impl Serialize for Formula {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Formula {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Formula::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Formula {
    /// Parses and checks a formula; the error says what is wrong in a sentence for the user.
    pub fn parse(text: &str) -> Result<Formula, String> {
        if text.trim().is_empty() {
            return Err("the formula is empty".into());
        }
        if text.chars().count() > MAX_TEXT {
            return Err(format!("the formula is longer than {MAX_TEXT} characters"));
        }
        let (rewritten, inputs, prefix) = replace_codes(text)?;
        let names = Names {
            prefix: &prefix,
            inputs: &inputs,
        };
        let tree = evalexpr::build_operator_tree::<DefaultNumericTypes>(&rewritten).map_err(
            |e| match e {
                EvalexprError::AppendedToLeafNode
                | EvalexprError::MissingOperatorOutsideOfBrace => {
                    "an operator is missing between two values".to_string()
                }
                e => names.restore(&format!("cannot read the formula: {e}")),
            },
        )?;
        let expr = names.compile(&tree)?;
        Ok(Formula {
            text: text.to_string(),
            inputs,
            expr,
        })
    }

    /// The text as the user wrote it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The KPI codes referred to, each once, in order of first use.
    pub fn inputs(&self) -> &[Id] {
        &self.inputs
    }

    /// The value for one unit and period; `lookup` gives an input KPI's value there. Every
    /// input is looked up first, so a missing one is reported (the first in `inputs` order)
    /// even where `min`/`max` might not have needed it.
    pub fn eval(&self, lookup: impl Fn(&str) -> Option<f64>) -> Result<f64, NoData> {
        let values = self
            .inputs
            .iter()
            .map(|code| {
                lookup(code).ok_or_else(|| NoData::MissingInput {
                    code: code.to_string(),
                })
            })
            .collect::<Result<Vec<f64>, NoData>>()?;
        eval(&self.expr, &values)
    }
}

impl fmt::Display for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Replaces each `{CODE}` by a generated name `<prefix><index>_`, the same index for the same
/// code. The prefix is chosen so that it occurs nowhere in the text: a name the user typed can
/// then never be taken for a generated one.
fn replace_codes(text: &str) -> Result<(String, Vec<Id>, String), String> {
    let mut prefix = String::from("k_");
    while text.contains(&prefix) {
        prefix.push('_');
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut inputs: Vec<Id> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut rest = text;
    loop {
        let Some(open) = rest.find(['{', '}']) else {
            out.push_str(rest);
            break;
        };
        if rest[open..].starts_with('}') {
            return Err("'}' without a matching '{'".into());
        }
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = match after.find(['{', '}']) {
            Some(i) if after[i..].starts_with('}') => i,
            Some(_) => return Err("'{' inside a KPI code: is a '}' missing?".into()),
            None => return Err("unclosed brace: a '{' has no matching '}'".into()),
        };
        let code = after[..close].trim();
        check_code(code)?;
        let i = match index.get(code) {
            Some(&i) => i,
            None => {
                if inputs.len() == MAX_INPUTS {
                    return Err(format!("the formula refers to more than {MAX_INPUTS} KPIs"));
                }
                index.insert(code, inputs.len());
                inputs.push(code.into());
                inputs.len() - 1
            }
        };
        // Spaces keep a generated name from running into a neighbouring number or name.
        out.push(' ');
        out.push_str(&prefix);
        out.push_str(&i.to_string());
        out.push_str("_ ");
        rest = &after[close + 1..];
    }
    Ok((out, inputs, prefix))
}

/// What ingest accepts as an id (`ingest::check_id`), braces aside.
fn check_code(code: &str) -> Result<(), String> {
    if code.is_empty() {
        return Err("empty braces: write a KPI code inside, as {CODE}".into());
    }
    if code.chars().count() > MAX_CODE {
        return Err(format!("a KPI code is longer than {MAX_CODE} characters"));
    }
    if code.chars().any(|c| c.is_control()) {
        return Err("a KPI code contains control characters".into());
    }
    Ok(())
}

/// The generated names of one formula, to read them in the tree and to put the user's
/// `{CODE}` back into messages.
struct Names<'a> {
    prefix: &'a str,
    inputs: &'a [Id],
}

impl Names<'_> {
    fn input(&self, name: &str) -> Option<usize> {
        let i = name.strip_prefix(self.prefix)?.strip_suffix('_')?;
        i.parse().ok().filter(|&i| i < self.inputs.len())
    }

    fn restore(&self, message: &str) -> String {
        let mut out = message.to_string();
        // Highest index first, though the trailing '_' already keeps k_1_ out of k_11_.
        for (i, code) in self.inputs.iter().enumerate().rev() {
            out = out.replace(&format!("{}{i}_", self.prefix), &format!("{{{code}}}"));
        }
        out
    }

    fn compile(&self, node: &Node) -> Result<Expr, String> {
        use Operator as O;
        let binary = |op: BinOp| -> Result<Expr, String> {
            match node.children() {
                [a, b] => Ok(Expr::Binary(
                    op,
                    Box::new(self.compile(a)?),
                    Box::new(self.compile(b)?),
                )),
                _ => Err("an operator is missing an operand".into()),
            }
        };
        match node.operator() {
            O::RootNode => match node.children() {
                [] => Err("empty parentheses".into()),
                [child] => self.compile(child),
                _ => Err("an operator is missing between two values".into()),
            },
            O::Add => binary(BinOp::Add),
            O::Sub => binary(BinOp::Sub),
            O::Mul => binary(BinOp::Mul),
            O::Div => binary(BinOp::Div),
            O::Mod => binary(BinOp::Rem),
            O::Exp => binary(BinOp::Pow),
            O::Neg => match node.children() {
                [a] => Ok(Expr::Neg(Box::new(self.compile(a)?))),
                _ => Err("'-' is missing an operand".into()),
            },
            O::Eq | O::Neq | O::Gt | O::Lt | O::Geq | O::Leq => {
                Err("comparisons (==, !=, <, >, <=, >=) are not allowed in a formula".into())
            }
            O::And | O::Or | O::Not => {
                Err("logical operators (&&, ||, !) are not allowed in a formula".into())
            }
            O::Assign
            | O::AddAssign
            | O::SubAssign
            | O::MulAssign
            | O::DivAssign
            | O::ModAssign
            | O::ExpAssign
            | O::AndAssign
            | O::OrAssign
            | O::VariableIdentifierWrite { .. } => {
                Err("assignments ('=') are not allowed in a formula".into())
            }
            O::Chain => Err("';' is not allowed: a formula is a single expression".into()),
            O::Tuple => {
                Err("a ',' outside a function's arguments is not allowed in a formula".into())
            }
            O::Const { value } => match value {
                Value::Int(i) => Ok(Expr::Number(*i as f64)),
                Value::Float(x) if x.is_finite() => Ok(Expr::Number(*x)),
                Value::Float(x) => Err(format!("'{x}' is not a finite number")),
                Value::Boolean(b) => Err(format!("'{b}' is not allowed in a formula")),
                Value::String(s) => Err(format!("text (\"{s}\") is not allowed in a formula")),
                Value::Tuple(_) | Value::Empty => Err("empty parentheses".into()),
            },
            O::VariableIdentifierRead { identifier } => match self.input(identifier) {
                Some(i) => Ok(Expr::Input(i)),
                None => Err(format!(
                    "unknown name '{identifier}': refer to KPIs as {{CODE}}"
                )),
            },
            O::FunctionIdentifier { identifier } => {
                if self.input(identifier).is_some() {
                    return Err(self.restore(&format!("an operator is missing after {identifier}")));
                }
                let Some(func) = Func::parse(identifier) else {
                    return Err(format!(
                        "unknown function '{identifier}'; the functions are {FUNCTIONS}"
                    ));
                };
                let args = match node.children() {
                    [arg] => self.arguments(arg)?,
                    _ => Vec::new(),
                };
                match (func.variadic(), args.len()) {
                    (_, 0) => Err(format!("{identifier}() needs an argument")),
                    (false, n) if n > 1 => {
                        Err(format!("{identifier}() takes one argument, not {n}"))
                    }
                    _ => Ok(Expr::Call(func, args)),
                }
            }
        }
    }

    /// A function's argument node: one value, or a tuple of them, inside parentheses.
    fn arguments(&self, node: &Node) -> Result<Vec<Expr>, String> {
        match (node.operator(), node.children()) {
            (Operator::RootNode, []) => Ok(Vec::new()),
            (Operator::RootNode, [inner]) => self.arguments(inner),
            (Operator::Tuple, items) => items.iter().map(|n| self.compile(n)).collect(),
            (
                Operator::Const {
                    value: Value::Empty,
                },
                _,
            ) => Ok(Vec::new()),
            _ => Ok(vec![self.compile(node)?]),
        }
    }
}

/// Every step must stay finite: a step that overflows is reported even if a later step would
/// bring it back (as `1 / (10^400)` would to 0).
fn eval(expr: &Expr, inputs: &[f64]) -> Result<f64, NoData> {
    let x = match expr {
        Expr::Number(x) => *x,
        Expr::Input(i) => inputs[*i],
        Expr::Neg(a) => -eval(a, inputs)?,
        Expr::Binary(op, a, b) => {
            let (a, b) = (eval(a, inputs)?, eval(b, inputs)?);
            match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div | BinOp::Rem if b == 0.0 => return Err(NoData::DivisionByZero),
                BinOp::Div => a / b,
                BinOp::Rem => a % b,
                BinOp::Pow => a.powf(b),
            }
        }
        Expr::Call(func, args) => {
            let args = args
                .iter()
                .map(|a| eval(a, inputs))
                .collect::<Result<Vec<f64>, NoData>>()?;
            match func {
                Func::Min => args.into_iter().fold(f64::INFINITY, f64::min),
                Func::Max => args.into_iter().fold(f64::NEG_INFINITY, f64::max),
                Func::Abs => args[0].abs(),
                Func::Floor => args[0].floor(),
                Func::Ceil => args[0].ceil(),
                Func::Round => args[0].round(),
                Func::Sqrt => args[0].sqrt(),
            }
        }
    };
    if x.is_finite() {
        Ok(x)
    } else {
        Err(NoData::NotFinite)
    }
}

/// Refuses a formula for `code` that depends on `code` itself, directly or through other
/// formulas. `formulas_of(other)` gives the inputs of another KPI's formula, `None` when it has
/// none. The error names the path, `A -> B -> A`.
pub fn check_cycles(
    code: &str,
    inputs: &[Id],
    formulas_of: impl Fn(&str) -> Option<Vec<Id>>,
) -> Result<(), String> {
    if inputs.iter().any(|i| &**i == code) {
        return Err(format!("the formula of {code} refers to itself"));
    }
    // Depth first with an explicit stack, so that a deep chain cannot overflow the thread's
    // stack; each frame is a KPI on the current path with the next of its inputs to visit.
    // A KPI seen once is not walked again: any path from it back to `code` was found then.
    let mut path: Vec<(Id, Vec<Id>, usize)> = vec![(code.into(), inputs.to_vec(), 0)];
    let mut seen: HashSet<Id> = HashSet::new();
    while let Some(top) = path.len().checked_sub(1) {
        let (_, children, next) = &mut path[top];
        let Some(child) = children.get(*next).cloned() else {
            path.pop();
            continue;
        };
        *next += 1;
        if &*child == code {
            let mut names: Vec<&str> = path.iter().map(|(c, _, _)| &**c).collect();
            names.push(code);
            return Err(format!(
                "{code}'s formula forms a cycle: {}",
                names.join(" -> ")
            ));
        }
        if !seen.insert(child.clone()) {
            continue;
        }
        if seen.len() > MAX_GRAPH {
            return Err(format!(
                "{code}'s formula depends on more than {MAX_GRAPH} KPIs through other formulas"
            ));
        }
        if let Some(grandchildren) = formulas_of(&child) {
            path.push((child, grandchildren, 0));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(pairs: &'a [(&'a str, f64)]) -> impl Fn(&str) -> Option<f64> + 'a {
        move |code| pairs.iter().find(|(c, _)| *c == code).map(|(_, v)| *v)
    }

    fn eval_text(text: &str, pairs: &[(&str, f64)]) -> Result<f64, NoData> {
        Formula::parse(text).unwrap().eval(values(pairs))
    }

    fn refused(text: &str) -> String {
        Formula::parse(text).expect_err(text)
    }

    #[test]
    fn a_percentage_of_two_kpis_is_computed() {
        let f = Formula::parse("{HS-DUNGHAN} / {HS-TONG} * 100").unwrap();
        assert_eq!(f.text(), "{HS-DUNGHAN} / {HS-TONG} * 100");
        let ids: Vec<&str> = f.inputs().iter().map(|i| &**i).collect();
        assert_eq!(ids, ["HS-DUNGHAN", "HS-TONG"]);
        assert_eq!(
            f.eval(values(&[("HS-DUNGHAN", 45.0), ("HS-TONG", 50.0)])),
            Ok(90.0)
        );
    }

    #[test]
    fn division_by_zero_is_reported_as_such() {
        let ab = [("A", 45.0), ("B", 0.0)];
        assert_eq!(eval_text("{A}/{B}*100", &ab), Err(NoData::DivisionByZero));
        assert_eq!(
            eval_text("{A}/{B}", &[("A", 0.0), ("B", 0.0)]),
            Err(NoData::DivisionByZero)
        );
        assert_eq!(eval_text("{A} % {B}", &ab), Err(NoData::DivisionByZero));
        // Inside a step whose result would otherwise be finite again.
        assert_eq!(eval_text("1 / (1 / {B})", &ab), Err(NoData::DivisionByZero));
        assert_eq!(
            eval_text("{A} / ({A} - 45)", &ab),
            Err(NoData::DivisionByZero)
        );
    }

    #[test]
    fn other_non_finite_results_are_not_finite() {
        assert_eq!(eval_text("10 ^ 400", &[]), Err(NoData::NotFinite));
        assert_eq!(eval_text("sqrt(0 - 1)", &[]), Err(NoData::NotFinite));
        assert_eq!(
            eval_text("{A} * 1", &[("A", f64::NAN)]),
            Err(NoData::NotFinite)
        );
        assert!(Formula::parse("inf").is_err());
        assert!(Formula::parse("NaN + 1").is_err());
    }

    #[test]
    fn a_missing_input_is_named() {
        let err = eval_text("{A}/{B}*100", &[("A", 45.0)]).unwrap_err();
        assert_eq!(err, NoData::MissingInput { code: "B".into() });
        assert_eq!(err.to_string(), "no value for B");
        assert_eq!(err.reason_vi(), "thiếu số liệu B");
        assert_eq!(NoData::DivisionByZero.reason_vi(), "chia cho 0");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "missing_input", "code": "B"})
        );
    }

    #[test]
    fn arithmetic_is_floating_point() {
        assert_eq!(eval_text("1/2", &[]), Ok(0.5));
        assert_eq!(eval_text("7 % 4 + 2^3", &[]), Ok(11.0));
        assert_eq!(eval_text("-2^2", &[]), Ok(-4.0));
        assert_eq!(eval_text("-(1 + 2) * 3", &[]), Ok(-9.0));
        assert_eq!(eval_text("1.5e2 + 0x10", &[]), Ok(166.0));
        assert_eq!(eval_text("{A} / 3", &[("A", 1.0)]), Ok(1.0 / 3.0));
    }

    #[test]
    fn the_functions_work() {
        let a = [("A", -2.5), ("B", 4.0)];
        assert_eq!(eval_text("min({A}, {B}, 3)", &a), Ok(-2.5));
        assert_eq!(eval_text("max({A}, {B})", &a), Ok(4.0));
        assert_eq!(eval_text("max({B})", &a), Ok(4.0));
        assert_eq!(eval_text("abs({A})", &a), Ok(2.5));
        assert_eq!(eval_text("floor({A})", &a), Ok(-3.0));
        assert_eq!(eval_text("ceil({A})", &a), Ok(-2.0));
        assert_eq!(eval_text("round({A})", &a), Ok(-3.0));
        assert_eq!(eval_text("sqrt({B}) * 2", &a), Ok(4.0));
        assert_eq!(eval_text("round(min({A}, 1) * 10) / 10", &a), Ok(-2.5));
    }

    #[test]
    fn codes_may_hold_dashes_dots_and_colons() {
        let f = Formula::parse("{KT.GRDP-01} + {ds:2026.q1} - { X }").unwrap();
        let ids: Vec<&str> = f.inputs().iter().map(|i| &**i).collect();
        assert_eq!(ids, ["KT.GRDP-01", "ds:2026.q1", "X"]);
        let v = values(&[("KT.GRDP-01", 3.0), ("ds:2026.q1", 2.0), ("X", 1.0)]);
        assert_eq!(f.eval(v), Ok(4.0));
        // Adjacent braces and numbers do not run together.
        assert_eq!(eval_text("{A}*{B}", &[("A", 2.0), ("B", 3.0)]), Ok(6.0));
        assert_eq!(eval_text("2*{A}", &[("A", 2.0)]), Ok(4.0));
    }

    #[test]
    fn inputs_are_distinct_in_order_of_first_use() {
        let f = Formula::parse("{B} + {A} * {B} - {C} / {A}").unwrap();
        let ids: Vec<&str> = f.inputs().iter().map(|i| &**i).collect();
        assert_eq!(ids, ["B", "A", "C"]);
        let v = values(&[("A", 2.0), ("B", 3.0), ("C", 4.0)]);
        assert_eq!(f.eval(v), Ok(7.0));
        assert_eq!(f.clone(), f);
    }

    #[test]
    fn anything_but_arithmetic_is_refused_with_a_reason() {
        assert!(
            refused("x + 1").contains("unknown name 'x'"),
            "{}",
            refused("x + 1")
        );
        assert!(refused("x + 1").contains("{CODE}"));
        assert!(refused("{A} = 3").contains("assignment"));
        assert!(refused("{A} += 3").contains("assignment"));
        assert!(refused("\"s\"").contains("text"));
        assert!(refused("{A}; {B}").contains("';'"));
        assert!(refused("foo({A})").contains("unknown function 'foo'"));
        assert!(refused("math::abs({A})").contains("unknown function"));
        assert!(refused("str::from({A})").contains("unknown function"));
        assert!(refused("random()").contains("unknown function"));
        assert!(refused("").contains("empty"));
        assert!(refused("   ").contains("empty"));
        assert!(refused("{A} + {B").contains("unclosed"));
        assert!(refused("{A} + B}").contains("'}'"));
        assert!(refused("{A + {B}").contains("'{'"));
        assert!(refused("{} + 1").contains("empty braces"));
        assert!(refused("{A} > 1").contains("comparison"));
        assert!(refused("true").contains("'true'"));
        assert!(refused("!{A}").contains("logical"));
        assert!(refused("{A}, {B}").contains("','"));
        assert!(refused("()").contains("empty parentheses"));
        assert!(refused("abs({A}, {B})").contains("one argument"));
        assert!(refused("min()").contains("needs an argument"));
        assert!(refused("1 +").contains("missing an operand"));
        assert!(refused("2 {A}").contains("operator is missing"));
        assert!(refused("((1)").contains("cannot read the formula"));
        // The user's own name that looks like a generated one is still unknown.
        assert!(refused("k_0_ + {A}").contains("unknown name 'k_0_'"));
        let two = refused("{A} {B}");
        assert!(!two.contains("k_"), "{two}");
    }

    #[test]
    fn size_limits_hold() {
        assert!(refused(&format!("1{}", "+1".repeat(1000))).contains("longer than 2000"));
        let many: Vec<String> = (0..51).map(|i| format!("{{K{i}}}")).collect();
        assert!(refused(&many.join("+")).contains("more than 50"));
        let fifty = Formula::parse(&many[..50].join("+")).unwrap();
        assert_eq!(fifty.inputs().len(), 50);
        assert!(refused(&format!("{{{}}}", "a".repeat(129))).contains("longer than 128"));
        // Deep nesting within the length limit parses and evaluates without trouble.
        let deep = format!("{}1{}", "(".repeat(990), ")".repeat(990));
        assert_eq!(eval_text(&deep, &[]), Ok(1.0));
    }

    fn graph<'a>(edges: &'a [(&'a str, &'a [&'a str])]) -> impl Fn(&str) -> Option<Vec<Id>> + 'a {
        move |code| {
            edges
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, ins)| ins.iter().map(|&i| Id::from(i)).collect())
        }
    }

    fn ids(xs: &[&str]) -> Vec<Id> {
        xs.iter().map(|&x| x.into()).collect()
    }

    #[test]
    fn a_formula_referring_to_itself_is_refused() {
        let err = check_cycles("A", &ids(&["B", "A"]), graph(&[])).unwrap_err();
        assert_eq!(err, "the formula of A refers to itself");
    }

    #[test]
    fn an_indirect_cycle_is_refused_with_its_path() {
        let err = check_cycles("A", &ids(&["B"]), graph(&[("B", &["A"])])).unwrap_err();
        assert_eq!(err, "A's formula forms a cycle: A -> B -> A");
        let longer = graph(&[("B", &["X", "C"]), ("C", &["D"]), ("D", &["A"])]);
        let err = check_cycles("A", &ids(&["B"]), longer).unwrap_err();
        assert_eq!(err, "A's formula forms a cycle: A -> B -> C -> D -> A");
    }

    #[test]
    fn chains_and_diamonds_without_cycles_are_accepted() {
        let chain = graph(&[("B", &["C"]), ("C", &["D"])]);
        assert_eq!(check_cycles("A", &ids(&["B"]), chain), Ok(()));
        let diamond = graph(&[("B", &["D"]), ("C", &["D"]), ("D", &["E"])]);
        assert_eq!(check_cycles("A", &ids(&["B", "C"]), diamond), Ok(()));
        // A cycle elsewhere that does not pass through A neither loops nor is blamed on A.
        let other = graph(&[("B", &["C"]), ("C", &["B"])]);
        assert_eq!(check_cycles("A", &ids(&["B"]), other), Ok(()));
    }

    #[test]
    fn a_long_chain_is_walked_without_recursion() {
        let next = |code: &str| -> Option<Vec<Id>> {
            let n: usize = code[1..].parse().ok()?;
            (n < 5000).then(|| vec![Id::from(format!("K{}", n + 1))])
        };
        assert_eq!(check_cycles("A", &ids(&["K0"]), next), Ok(()));
        let endless = |code: &str| -> Option<Vec<Id>> {
            let n: usize = code[1..].parse().ok()?;
            Some(vec![Id::from(format!("K{}", n + 1))])
        };
        let err = check_cycles("A", &ids(&["K0"]), endless).unwrap_err();
        assert!(err.contains("more than"), "{err}");
    }
}
