//! `invoices-api migrate --status`: the database's migrations as this release sees them,
//! without applying any.

use super::output::{Format, render};
use crate::store::schema::{self, Migration, RELEASE, Verdict};
use sea_orm::DatabaseConnection;
use serde::Serialize;

/// One line of the table.
#[derive(Serialize)]
struct Line {
    version: String,
    applied: bool,
    /// Whether this binary has the migration's code.
    known: bool,
    kind: Option<&'static str>,
    /// The release that recorded the migration in this database.
    recorded_by: Option<String>,
}

impl From<&Migration> for Line {
    fn from(m: &Migration) -> Self {
        Line {
            version: m.version.clone(),
            applied: m.applied,
            known: m.known,
            kind: m.kind.map(migration::Kind::as_str),
            recorded_by: m.release.clone(),
        }
    }
}

/// The table of migrations, then what this release would do with the database.
pub async fn report(db: &DatabaseConnection, json: bool) -> anyhow::Result<String> {
    let status = schema::status(db).await?;
    let lines: Vec<Line> = status.iter().map(Line::from).collect();
    let format = if json { Format::Json } else { Format::Table };
    let table = render(&lines, format)?;
    if json {
        return Ok(table);
    }
    let pending = status.iter().filter(|m| m.known && !m.applied).count();
    let verdict = match schema::verdict(&status) {
        Verdict::Migrate if pending == 0 => "up to date".to_owned(),
        Verdict::Migrate => format!("{pending} pending: `invoices-api migrate` applies them"),
        Verdict::ServeNewer { unknown } => format!(
            "newer by {} expand step(s): this release serves it as it is",
            unknown.len()
        ),
        Verdict::Refuse(why) => format!("refused: {why}"),
    };
    Ok(format!("{table}\nrelease {RELEASE}: {verdict}"))
}
