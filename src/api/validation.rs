//! Collecting every failure of a request's parameters and body into one 400.

use super::body::JsonBody;
use super::error::{ApiError, Failure};

/// What is wrong with a request so far: every failure of its parameters and body, and a
/// refusal of the body as a whole (not JSON, too large), which answers before them.
#[derive(Default)]
pub struct Validation {
    failures: Vec<Failure>,
    refusal: Option<ApiError>,
}

impl Validation {
    /// The value, or `None` with its failure recorded.
    pub fn take<T>(&mut self, result: Result<T, Failure>) -> Option<T> {
        result.map_err(|f| self.failures.push(f)).ok()
    }

    /// The value, or `None` with all its failures recorded.
    pub fn take_all<T>(&mut self, result: Result<T, Vec<Failure>>) -> Option<T> {
        result.map_err(|f| self.failures.extend(f)).ok()
    }

    /// The body's value, or `None` with its refusal or failures recorded.
    pub fn take_body<T>(&mut self, body: JsonBody<T>) -> Option<T> {
        match body {
            JsonBody::Refused(refusal) => {
                self.refusal.get_or_insert(refusal);
                None
            }
            JsonBody::Read { parsed, .. } => self.take_all(parsed),
        }
    }

    pub fn fail(&mut self, failure: Failure) {
        self.failures.push(failure);
    }

    /// Whether nothing is wrong so far.
    pub fn is_clean(&self) -> bool {
        self.failures.is_empty() && self.refusal.is_none()
    }

    /// `first`'s failures, then these.
    pub fn after(mut self, mut first: Validation) -> Self {
        first.failures.append(&mut self.failures);
        Validation {
            failures: first.failures,
            refusal: first.refusal.or(self.refusal),
        }
    }

    /// The well-formed request; else the body's refusal, or a 400 listing every failure.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ApiError> {
        if let Some(refusal) = self.refusal {
            return Err(refusal);
        }
        match value {
            Some(value) if self.failures.is_empty() => Ok(value),
            _ if !self.failures.is_empty() => Err(ApiError::InvalidData(self.failures)),
            _ => Err(ApiError::Internal(anyhow::anyhow!(
                "a request part is missing without a failure"
            ))),
        }
    }
}
