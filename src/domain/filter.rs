//! List filters: a plain value, or an operator prefix (`gte:2024-01-01`).

use std::fmt;

/// How a filter compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Op {
    const PREFIXES: [(&'static str, Op); 6] = [
        ("eq:", Op::Eq),
        ("neq:", Op::Neq),
        ("gt:", Op::Gt),
        ("gte:", Op::Gte),
        ("lt:", Op::Lt),
        ("lte:", Op::Lte),
    ];
}

/// One comparison of a field with a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter<T> {
    pub op: Op,
    pub value: T,
}

impl<T> Filter<T> {
    /// Parses `value` or `op:value`, the value by `parse_value`.
    pub fn parse(
        raw: &str,
        parse_value: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Self, String> {
        let (op, text) = Op::PREFIXES
            .iter()
            .find_map(|(prefix, op)| raw.strip_prefix(prefix).map(|rest| (*op, rest)))
            .unwrap_or((Op::Eq, raw));
        parse_value(text)
            .map(|value| Filter { op, value })
            .map_err(|e| format!("{e} (optionally after eq:, neq:, gt:, gte:, lt: or lte:)"))
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Op::PREFIXES
            .iter()
            .find(|(_, op)| op == self)
            .map(|(p, _)| p.trim_end_matches(':'))
            .unwrap_or("eq");
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(s: &str) -> Result<i64, String> {
        s.parse().map_err(|_| "must be an integer".to_owned())
    }

    #[test]
    fn plain_values_mean_eq_and_prefixes_pick_the_operator() {
        assert_eq!(
            Filter::parse("5", int),
            Ok(Filter {
                op: Op::Eq,
                value: 5
            })
        );
        assert_eq!(
            Filter::parse("gte:5", int),
            Ok(Filter {
                op: Op::Gte,
                value: 5
            })
        );
        assert_eq!(
            Filter::parse("neq:7", int),
            Ok(Filter {
                op: Op::Neq,
                value: 7
            })
        );
        assert_eq!(
            Filter::parse("lt:-1", int),
            Ok(Filter {
                op: Op::Lt,
                value: -1
            })
        );
        assert!(Filter::parse("between:1", int).is_err());
        assert!(Filter::parse("gt:", int).is_err());
    }
}
