//! An exact decimal column that round-trips on every backend.
//!
//! SeaORM reads a plain `Decimal` from SQLite through `f64`, which loses digits. Money columns
//! are therefore `NUMERIC` on PostgreSQL and `TEXT` on SQLite; SeaORM already binds a `Decimal`
//! as its exact text on SQLite, so only reading needs care: this type reads the column as text
//! where the backend stores text, and as `NUMERIC` where it stores numbers.

use rust_decimal::Decimal;
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, QueryResult, TryGetError, TryGetable, Value};
use std::str::FromStr;

/// A `Decimal` stored without ever passing through a float.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExactDecimal(pub Decimal);

impl From<ExactDecimal> for Value {
    fn from(value: ExactDecimal) -> Self {
        Value::Decimal(Some(value.0))
    }
}

impl Nullable for ExactDecimal {
    fn null() -> Value {
        Value::Decimal(None)
    }
}

impl ValueType for ExactDecimal {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::Decimal(Some(d)) => Ok(ExactDecimal(d)),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "ExactDecimal".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::Decimal
    }

    fn column_type() -> ColumnType {
        ColumnType::Decimal(None)
    }
}

impl TryGetable for ExactDecimal {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        // SQLite: the TEXT column decodes as a string. PostgreSQL: a NUMERIC column refuses to
        // decode as a string, and decodes exactly as a Decimal.
        match String::try_get_by(res, index) {
            Ok(text) => Decimal::from_str_exact(&text)
                .map(ExactDecimal)
                .map_err(|e| {
                    TryGetError::DbErr(sea_orm::DbErr::Type(format!(
                        "stored decimal {text:?} does not parse: {e}"
                    )))
                }),
            Err(TryGetError::Null(column)) => Err(TryGetError::Null(column)),
            Err(TryGetError::DbErr(_)) => Decimal::try_get_by(res, index).map(ExactDecimal),
        }
    }
}

impl FromStr for ExactDecimal {
    type Err = rust_decimal::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decimal::from_str_exact(s).map(ExactDecimal)
    }
}
