//! Company slugs.

use std::fmt;

/// A company's slug as sent in `Wethod-Company`: 1–100 characters of `a-z`, `0-9` and `-`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanySlug(String);

impl CompanySlug {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = !raw.is_empty()
            && raw.len() <= 100
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(CompanySlug(raw.to_owned()))
        } else {
            Err("must be 1 to 100 characters of a-z, 0-9 and '-'".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CompanySlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(CompanySlug::parse("acme-2").is_ok());
        assert!(CompanySlug::parse("").is_err());
        assert!(CompanySlug::parse("Acme").is_err());
        assert!(CompanySlug::parse("a b").is_err());
    }
}
