//! Collecting every failure of a request's parameters and body into one 400.

use super::error::{ApiError, Failure};
use super::params::{ApiVersion, HeaderParam};
use crate::domain::company::CompanySlug;

/// The failures found so far in a request's shape.
#[derive(Default)]
pub struct Shape(Vec<Failure>);

impl Shape {
    /// Starts with the headers every operation reads; returns the company slug if well formed.
    pub fn with_headers(
        company: HeaderParam<CompanySlug>,
        version: HeaderParam<ApiVersion>,
    ) -> (Self, Option<CompanySlug>) {
        let mut shape = Shape::default();
        let company = shape.take(company.into_result());
        shape.take(version.into_result());
        (shape, company)
    }

    /// The value, or `None` with its failure recorded.
    pub fn take<T>(&mut self, result: Result<T, Failure>) -> Option<T> {
        result.map_err(|f| self.0.push(f)).ok()
    }

    /// The value, or `None` with all its failures recorded.
    pub fn take_all<T>(&mut self, result: Result<T, Vec<Failure>>) -> Option<T> {
        result.map_err(|f| self.0.extend(f)).ok()
    }

    pub fn fail(&mut self, failure: Failure) {
        self.0.push(failure);
    }

    /// The well-formed request, or a 400 listing every failure.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ApiError> {
        match value {
            Some(value) if self.0.is_empty() => Ok(value),
            _ if !self.0.is_empty() => Err(ApiError::InvalidData(self.0)),
            _ => Err(ApiError::Internal(anyhow::anyhow!(
                "a request part is missing without a failure"
            ))),
        }
    }
}
