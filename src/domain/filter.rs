//! List filters: a plain value, or an operator prefix (`gte:2024-01-01`).

use std::fmt;

/// The forms a filter takes, as error messages and documentation list them.
pub const FORMS: &str = "a value, optionally after eq:, neq:, gt:, gte:, lt: or lte:; \
     in: or nin: before 1 to 100 values separated by commas; or bt: before min,max";

/// The most values an `in:` or `nin:` filter takes.
pub const MAX_VALUES: usize = 100;

/// The spec's patterns for filter values: an optional operator prefix, then a value; `in:` and
/// `nin:` before a list; `bt:` before two values. Each matches exactly the values the server
/// accepts, so clients (and contract tests) can tell a valid filter from an invalid one without
/// asking.
pub mod patterns {
    /// A real calendar date `YYYY-MM-DD`, leap years included.
    const DATE: &str = concat!(
        "(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])",
        "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)",
        "|02-(?:0[1-9]|1[0-9]|2[0-8]))",
        "|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)"
    );
    /// An RFC 3339 time with seconds, optional fraction and an offset.
    const TIME: &str = "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])";
    const ID: &str = "[1-9][0-9]{0,17}";

    /// Every form of a filter whose single value matches `value`.
    fn forms(value: &str) -> String {
        let more = super::MAX_VALUES - 1;
        format!(
            "^(?:(?:(?:eq|neq|gt|gte|lt|lte):)?{value}|(?:in|nin):{value}(?:,{value}){{0,{more}}}|bt:{value},{value})$"
        )
    }

    pub fn id() -> String {
        forms(ID)
    }

    pub fn date() -> String {
        forms(DATE)
    }

    pub fn date_time() -> String {
        forms(&format!("{DATE}{TIME}"))
    }
}

/// How a single-value filter compares.
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

/// One condition on a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter<T> {
    /// A comparison with one value (a plain value is `eq:`).
    Compare(Op, T),
    /// `in:a,b,c`: equal to one of the values.
    In(Vec<T>),
    /// `nin:a,b,c`: equal to none of the values.
    NotIn(Vec<T>),
    /// `bt:min,max`: between the two, both included.
    Between(T, T),
}

impl<T> Filter<T> {
    /// Parses any of the [`FORMS`], each value by `parse_value`.
    pub fn parse(
        raw: &str,
        parse_value: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Self, String> {
        let parsed = if let Some(list) = raw.strip_prefix("in:") {
            values(list, &parse_value).map(Filter::In)
        } else if let Some(list) = raw.strip_prefix("nin:") {
            values(list, &parse_value).map(Filter::NotIn)
        } else if let Some(pair) = raw.strip_prefix("bt:") {
            match pair.split_once(',') {
                Some((min, max)) if !max.contains(',') => {
                    parse_value(min).and_then(|min| Ok(Filter::Between(min, parse_value(max)?)))
                }
                _ => Err("bt: takes exactly two values, min,max".to_owned()),
            }
        } else {
            let (op, text) = Op::PREFIXES
                .iter()
                .find_map(|(prefix, op)| raw.strip_prefix(prefix).map(|rest| (*op, rest)))
                .unwrap_or((Op::Eq, raw));
            parse_value(text).map(|value| Filter::Compare(op, value))
        };
        parsed.map_err(|e| format!("{e} (the forms: {FORMS})"))
    }

    /// Whether the filter selects values by a range or a set of them (rather than one value,
    /// or all but some), so that what it matches is best found through an index of its field.
    pub fn is_range(&self) -> bool {
        match self {
            Filter::Compare(op, _) => matches!(op, Op::Gt | Op::Gte | Op::Lt | Op::Lte),
            Filter::In(_) | Filter::Between(..) => true,
            Filter::NotIn(_) => false,
        }
    }
}

/// The values of an `in:` or `nin:` list: 1 to [`MAX_VALUES`].
fn values<T>(
    list: &str,
    parse_value: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let items: Vec<&str> = list.split(',').collect();
    if items.len() > MAX_VALUES {
        return Err(format!("takes at most {MAX_VALUES} values"));
    }
    items.into_iter().map(parse_value).collect()
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
        assert_eq!(Filter::parse("5", int), Ok(Filter::Compare(Op::Eq, 5)));
        assert_eq!(Filter::parse("gte:5", int), Ok(Filter::Compare(Op::Gte, 5)));
        assert_eq!(Filter::parse("neq:7", int), Ok(Filter::Compare(Op::Neq, 7)));
        assert_eq!(Filter::parse("lt:-1", int), Ok(Filter::Compare(Op::Lt, -1)));
        assert!(Filter::parse("between:1", int).is_err());
        assert!(Filter::parse("gt:", int).is_err());
    }

    #[test]
    fn lists_and_ranges_take_their_values() {
        assert_eq!(
            Filter::parse("in:1,2,3", int),
            Ok(Filter::In(vec![1, 2, 3]))
        );
        assert_eq!(Filter::parse("nin:4", int), Ok(Filter::NotIn(vec![4])));
        assert_eq!(Filter::parse("bt:1,9", int), Ok(Filter::Between(1, 9)));
        let hundred = vec!["7"; MAX_VALUES].join(",");
        assert!(Filter::parse(&format!("in:{hundred}"), int).is_ok());
        assert!(Filter::parse(&format!("in:{hundred},7"), int).is_err());
        for bad in ["in:", "in:1,,2", "bt:1", "bt:1,2,3", "nin:a"] {
            let error = Filter::parse(bad, int).expect_err(bad);
            assert!(error.contains("bt: before min,max"), "{bad}: {error}");
        }
        let id = regex::Regex::new(&patterns::id()).expect("pattern");
        assert!(
            id.is_match("in:1,2")
                && id.is_match("bt:1,2")
                && id.is_match(&format!("nin:{hundred}"))
        );
        assert!(
            !id.is_match("in:") && !id.is_match("bt:1") && !id.is_match(&format!("in:{hundred},7"))
        );
    }
}
