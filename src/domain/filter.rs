//! List filters: a plain value, or an operator prefix (`gte:2024-01-01`).

use std::fmt;

/// The spec's patterns for filter values: an optional operator prefix, then a value. Each
/// matches exactly the values the server accepts, so clients (and contract tests) can tell a
/// valid filter from an invalid one without asking.
pub mod patterns {
    const OP: &str = "(?:(?:eq|neq|gt|gte|lt|lte):)?";
    /// A real calendar date `YYYY-MM-DD`, leap years included.
    const DATE: &str = concat!(
        "(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])",
        "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)",
        "|02-(?:0[1-9]|1[0-9]|2[0-8]))",
        "|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)"
    );
    /// An RFC 3339 time with seconds, optional fraction and an offset.
    const TIME: &str = "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])";

    pub fn id() -> String {
        format!("^{OP}[1-9][0-9]{{0,17}}$")
    }

    pub fn date() -> String {
        format!("^{OP}{DATE}$")
    }

    pub fn date_time() -> String {
        format!("^{OP}{DATE}{TIME}$")
    }
}

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
    fn the_patterns_accept_exactly_real_values() {
        let date = regex::Regex::new(&patterns::date()).expect("pattern");
        for ok in [
            "2024-02-29",
            "2000-02-29",
            "2023-12-31",
            "gte:0001-01-01",
            "lt:1999-11-30",
        ] {
            assert!(date.is_match(ok), "{ok}");
            let value = ok.rsplit(':').next().expect("value");
            assert!(
                chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2024-04-31",
            "2024-13-01",
            "",
            "gte:",
            "between:2024-01-01",
            "2024-1-1",
        ] {
            assert!(!date.is_match(bad), "{bad}");
        }
        let id = regex::Regex::new(&patterns::id()).expect("pattern");
        assert!(
            id.is_match("12") && id.is_match("neq:1") && !id.is_match("0") && !id.is_match("-1")
        );
        let at = regex::Regex::new(&patterns::date_time()).expect("pattern");
        assert!(
            at.is_match("gt:2026-03-10T18:18:59.374Z") && at.is_match("2026-03-10T18:18:59+01:00")
        );
        assert!(!at.is_match("2026-03-10T24:00:00Z") && !at.is_match("2026-03-10 18:18:59Z"));
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
