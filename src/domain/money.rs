//! Exact money amounts. No float ever holds one.

use rust_decimal::Decimal;
use std::fmt;

/// Why a decimal was refused; the message is shown to API clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecimalError(pub String);

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses the text of a JSON number (`12`, `-0.5`, `1.25e3`) into an exact decimal.
pub fn parse_exact(text: &str) -> Option<Decimal> {
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str_exact(text).ok()
    }
}

/// Upper bound (exclusive) of every amount: 10^12.
fn limit() -> Decimal {
    Decimal::from(1_000_000_000_000_i64)
}

/// Number of decimal places the value really has: `1.100` has one.
fn places(value: Decimal) -> u32 {
    value.normalize().scale()
}

/// An invoice value: ≥ 0, < 10^12, at most 2 decimal places.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money(Decimal);

impl Money {
    pub const MAX_PLACES: u32 = 2;

    pub fn new(value: Decimal) -> Result<Self, DecimalError> {
        if value.is_sign_negative() && !value.is_zero() || value >= limit() {
            return Err(DecimalError(
                "must be at least 0 and less than 1000000000000".into(),
            ));
        }
        if places(value) > Self::MAX_PLACES {
            return Err(DecimalError("must have at most 2 decimal places".into()));
        }
        Ok(Money(value.normalize()))
    }

    /// A whole amount; every `u32` is within bounds.
    pub fn whole(units: u32) -> Self {
        Money(Decimal::from(units))
    }

    pub fn amount(self) -> Decimal {
        self.0
    }
}

/// A custom exchange rate: > 0, < 10^12, at most 6 decimal places.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExchangeRate(Decimal);

impl ExchangeRate {
    pub const MAX_PLACES: u32 = 6;

    pub fn new(value: Decimal) -> Result<Self, DecimalError> {
        if value <= Decimal::ZERO || value >= limit() {
            return Err(DecimalError(
                "must be greater than 0 and less than 1000000000000".into(),
            ));
        }
        if places(value) > Self::MAX_PLACES {
            return Err(DecimalError("must have at most 6 decimal places".into()));
        }
        Ok(ExchangeRate(value.normalize()))
    }

    pub fn rate(self) -> Decimal {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Result<Money, DecimalError> {
        Money::new(parse_exact(text).expect("test input parses"))
    }

    #[test]
    fn money_keeps_every_digit() {
        assert_eq!(
            money("999999999999.99").map(|m| m.amount().to_string()),
            Ok("999999999999.99".to_string())
        );
        assert_eq!(
            money("0.1").map(|m| m.amount().to_string()),
            Ok("0.1".into())
        );
    }

    #[test]
    fn money_counts_places_by_value() {
        assert!(money("1.10").is_ok());
        assert!(money("1.100").is_ok());
        assert!(money("1.005").is_err());
    }

    #[test]
    fn money_bounds() {
        assert!(money("0").is_ok());
        assert!(money("-0").is_ok());
        assert!(money("-0.01").is_err());
        assert!(money("1000000000000").is_err());
        assert!(money("1e12").is_err());
        assert!(money("1.5e2").is_ok());
    }

    #[test]
    fn exchange_rate_bounds_and_places() {
        let rate = |t: &str| ExchangeRate::new(parse_exact(t).expect("parses"));
        assert!(rate("0").is_err());
        assert!(rate("0.000001").is_ok());
        assert!(rate("0.0000001").is_err());
        assert!(rate("999999999999.999999").is_ok());
    }

    #[test]
    fn parse_exact_refuses_garbage() {
        assert_eq!(parse_exact("abc"), None);
        assert_eq!(parse_exact("1".repeat(40).as_str()), None);
    }
}
