//! An invoice as a client asks to create it, with the rule of each field.

use super::money::{ExchangeRate, Money};
use chrono::NaiveDate;

pub use entity::invoice::InvoiceStatus;

/// The moves of an invoice's life: each answers the status it leads to, or why it can't be
/// taken from here.
pub trait Lifecycle: Sized {
    /// `:send`: a draft becomes sent.
    fn send(self) -> Result<Self, &'static str>;
    /// `:set-paid`: a draft or sent invoice becomes paid.
    fn pay(self) -> Result<Self, &'static str>;
    /// `:set-unpaid`: a paid invoice goes back to sent.
    fn unpay(self) -> Result<Self, &'static str>;
}

impl Lifecycle for InvoiceStatus {
    fn send(self) -> Result<Self, &'static str> {
        match self {
            InvoiceStatus::Draft => Ok(InvoiceStatus::Sent),
            _ => Err("Only a draft invoice can be sent."),
        }
    }

    fn pay(self) -> Result<Self, &'static str> {
        match self {
            InvoiceStatus::Paid => Err("The invoice is already paid."),
            _ => Ok(InvoiceStatus::Paid),
        }
    }

    fn unpay(self) -> Result<Self, &'static str> {
        match self {
            InvoiceStatus::Paid => Ok(InvoiceStatus::Sent),
            _ => Err("The invoice is not paid."),
        }
    }
}

/// Longest `invoice_number`, `purchase_order` and `budget_area_uid`, in characters.
pub const SHORT_TEXT_MAX: usize = 255;
/// Longest `notes`, in characters.
pub const NOTES_MAX: usize = 10_000;

/// The spec's pattern for free text: anything but NUL, which PostgreSQL can't store.
pub const TEXT_PATTERN: &str = r"^[^\u0000]*$";

/// The spec's pattern for an invoice number: free text with at least one character that is not
/// ASCII whitespace.
pub const INVOICE_NUMBER_PATTERN: &str = r"^[^\u0000]*[^\u0000\t\n\u000b\f\r ][^\u0000]*$";

/// Whitespace as [`INVOICE_NUMBER_PATTERN`] counts it: ASCII only, so that every regex engine
/// (ECMAScript, Python, Rust) agrees on what a blank number is.
fn is_blank_char(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r')
}

/// Text of at most `max` characters (Unicode scalar values, not bytes), without NUL.
pub fn bounded_text(raw: String, max: usize) -> Result<String, String> {
    if raw.contains('\0') {
        Err("must not contain NUL characters".into())
    } else if raw.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(raw)
    }
}

/// An invoice number: 1–255 characters, not only whitespace; unique within a company.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceNumber(String);

impl InvoiceNumber {
    pub fn parse(raw: String) -> Result<Self, String> {
        if raw.chars().all(is_blank_char) {
            return Err("must not be blank".into());
        }
        bounded_text(raw, SHORT_TEXT_MAX).map(InvoiceNumber)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A calendar date written exactly `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let shaped = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| "must be a real calendar date written YYYY-MM-DD".into())
}

/// The first and last dates an invoice may carry (issue and payment dates): wide enough for
/// any real invoice, narrow enough that a typo (`0024`, `9999`) is caught.
pub const EARLIEST_DATE: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a date");
pub const LATEST_DATE: NaiveDate = NaiveDate::from_ymd_opt(2999, 12, 31).expect("a date");

/// An invoice's date: a calendar date `YYYY-MM-DD` from 1900-01-01 to 2999-12-31.
pub fn parse_invoice_date(raw: &str) -> Result<NaiveDate, String> {
    let date = parse_date(raw)?;
    if (EARLIEST_DATE..=LATEST_DATE).contains(&date) {
        Ok(date)
    } else {
        Err(format!("must be between {EARLIEST_DATE} and {LATEST_DATE}"))
    }
}

/// Whether a payment date may go with an issue date: not before it.
pub fn paid_after_issue(
    issue_date: NaiveDate,
    payment_date: NaiveDate,
) -> Result<(), &'static str> {
    if payment_date < issue_date {
        Err("The payment date is before the invoice's issue date.")
    } else {
        Ok(())
    }
}

/// A positive database id, as clients send for every reference.
pub fn positive_id(raw: i64) -> Result<i64, String> {
    if raw >= 1 {
        Ok(raw)
    } else {
        Err("must be an integer greater than or equal to 1".into())
    }
}

/// A valid request to create an invoice; every field already meets its rule.
#[derive(Clone, Debug)]
pub struct NewInvoice {
    pub project_id: i64,
    pub value: Money,
    pub issue_date: NaiveDate,
    pub invoice_number: Option<InvoiceNumber>,
    pub purchase_order: Option<String>,
    pub exchange_rate: Option<ExchangeRate>,
    pub notes: Option<String>,
    pub budget_area_uid: Option<String>,
    pub vat_rate_id: Option<i64>,
    pub payment_term_id: Option<i64>,
}

/// Changes to an invoice. `None` keeps a field as it is; for optional fields `Some(None)`
/// clears it.
#[derive(Clone, Debug, Default)]
pub struct InvoicePatch {
    pub project_id: Option<i64>,
    pub value: Option<Money>,
    pub issue_date: Option<NaiveDate>,
    pub invoice_number: Option<Option<InvoiceNumber>>,
    pub purchase_order: Option<Option<String>>,
    pub exchange_rate: Option<Option<ExchangeRate>>,
    pub notes: Option<Option<String>>,
    pub budget_area_uid: Option<Option<String>>,
    pub vat_rate_id: Option<Option<i64>>,
    pub payment_term_id: Option<Option<i64>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_real_and_exact() {
        assert!(parse_date("2024-02-29").is_ok());
        assert!(parse_invoice_date("1900-01-01").is_ok());
        assert!(parse_invoice_date("2999-12-31").is_ok());
        assert!(parse_invoice_date("1899-12-31").is_err());
        assert!(parse_invoice_date("0001-01-01").is_err());
        assert!(parse_invoice_date("9999-12-31").is_err());
        assert!(parse_date("2023-02-29").is_err());
        assert!(parse_date("2024-2-9").is_err());
        assert!(parse_date("2024-02-290").is_err());
        assert!(parse_date("+024-02-29").is_err());
    }

    #[test]
    fn the_spec_patterns_say_what_the_parsers_do() {
        let number = regex::Regex::new(INVOICE_NUMBER_PATTERN).expect("pattern");
        let text = regex::Regex::new(TEXT_PATTERN).expect("pattern");
        for sample in [
            "INV-1", " ", "\t\n", "a\0", "\u{3000}", "\u{1c}", "", " x ", "\u{0B}",
        ] {
            assert_eq!(
                number.is_match(sample),
                InvoiceNumber::parse(sample.to_owned()).is_ok(),
                "invoice number {sample:?}"
            );
            assert_eq!(
                text.is_match(sample),
                bounded_text(sample.to_owned(), 255).is_ok(),
                "text {sample:?}"
            );
        }
    }

    #[test]
    fn invoice_numbers() {
        assert!(InvoiceNumber::parse("INV-1".into()).is_ok());
        assert!(InvoiceNumber::parse("  ".into()).is_err());
        assert!(InvoiceNumber::parse("é".repeat(255)).is_ok());
        assert!(InvoiceNumber::parse("é".repeat(256)).is_err());
    }

    #[test]
    fn transitions() {
        use InvoiceStatus::*;
        assert_eq!(Draft.send(), Ok(Sent));
        assert!(Sent.send().is_err() && Paid.send().is_err());
        assert_eq!(Draft.pay(), Ok(Paid));
        assert_eq!(Sent.pay(), Ok(Paid));
        assert!(Paid.pay().is_err());
        assert_eq!(Paid.unpay(), Ok(Sent));
        assert!(Draft.unpay().is_err() && Sent.unpay().is_err());
    }

    /// The names stored are the statuses' names on the wire, and read back as they were.
    #[test]
    fn statuses_are_stored_by_name_and_read_back() {
        use sea_orm::{ActiveEnum, Iterable};
        let stored: Vec<String> = InvoiceStatus::iter().map(|s| s.to_value()).collect();
        assert_eq!(stored, ["draft", "sent", "paid"]);
        for s in InvoiceStatus::iter() {
            assert_eq!(InvoiceStatus::try_from_value(&s.to_value()).ok(), Some(s));
        }
        assert!(InvoiceStatus::try_from_value(&"void".to_owned()).is_err());
    }
}

/// The references an invoice carries besides its project; `None` is "not given".
#[derive(Clone, Copy, Debug, Default)]
pub struct References<'a> {
    pub budget_area_uid: Option<&'a str>,
    pub vat_rate_id: Option<i64>,
    pub payment_term_id: Option<i64>,
}
