//! Which migrations a database has, which of them this release knows, and whether this
//! release may serve it.
//!
//! A node never applies or records a migration newer than itself. When the database carries
//! migrations this release does not know (a newer release migrated it), the node serves it if
//! every one of them is an *expand* step (the schema still holds what this release reads and
//! writes) and refuses to start, naming the release it needs, if one is a *contract* step or
//! of a kind nobody recorded.
//!
//! A node can't learn the kind of a migration it has no code for from its own build, so every
//! release records the kinds it knows in `schema_migration_kinds` (version, kind, release).
//! That table is made here (`CREATE TABLE IF NOT EXISTS`), outside the migrations SeaORM
//! tracks: a SeaORM migration that made it would itself be a migration the release before
//! does not know, and that release refuses any.

use migration::{Kind, Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use std::collections::HashMap;

/// This build's release, as `--version`, `/health` and the metrics name it.
pub const RELEASE: &str = env!("CARGO_PKG_VERSION");

/// The newest migration this release knows: the schema it was built for.
pub fn newest_known() -> String {
    migration::kinds()
        .last()
        .map(|(version, _)| version.clone())
        .unwrap_or_default()
}

/// One migration, as this release and the database see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migration {
    pub version: String,
    /// Whether the database applied it.
    pub applied: bool,
    /// Whether this release has its code.
    pub known: bool,
    /// Its kind: this release's word for the ones it knows, else what the database recorded.
    pub kind: Option<Kind>,
    /// The release that recorded it, when the database says.
    pub release: Option<String>,
}

/// What a node does with the database it opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every applied migration is known: apply the pending ones (if any).
    Migrate,
    /// The database is newer, by expand steps only: serve it as it is.
    ServeNewer { unknown: Vec<Migration> },
    /// The database is newer by a step this release can't serve; the message says why.
    Refuse(String),
}

/// Every migration this release knows or the database applied, oldest first.
pub async fn status(db: &DatabaseConnection) -> Result<Vec<Migration>, DbErr> {
    let applied = applied_versions(db).await?;
    let recorded = recorded_kinds(db).await?;
    let mut all: Vec<Migration> = migration::kinds()
        .into_iter()
        .map(|(version, kind)| Migration {
            applied: applied.contains(&version),
            known: true,
            kind: Some(kind),
            release: recorded.get(&version).map(|(_, release)| release.clone()),
            version,
        })
        .collect();
    for version in applied {
        if all.iter().any(|m| m.version == version) {
            continue;
        }
        let (kind, release) = match recorded.get(&version) {
            Some((kind, release)) => (Kind::parse(kind), Some(release.clone())),
            None => (None, None),
        };
        all.push(Migration {
            version,
            applied: true,
            known: false,
            kind,
            release,
        });
    }
    all.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(all)
}

/// Whether this release migrates, serves as it is, or refuses the database `status` read.
pub fn verdict(status: &[Migration]) -> Verdict {
    let unknown: Vec<Migration> = status.iter().filter(|m| !m.known).cloned().collect();
    if unknown.is_empty() {
        return Verdict::Migrate;
    }
    let needs = |m: &Migration| match &m.release {
        Some(release) => format!("release {release} or later"),
        None => "the release that applied it".to_owned(),
    };
    if let Some(blocking) = unknown.iter().find(|m| m.kind != Some(Kind::Expand)) {
        let why = match blocking.kind {
            Some(_) => "a contract step, which this release's code may break on",
            None => "of a kind no release recorded",
        };
        return Verdict::Refuse(format!(
            "the database has migration {} that release {RELEASE} does not know, {why}: run {}",
            blocking.version,
            needs(blocking)
        ));
    }
    if let Some(missing) = status.iter().find(|m| m.known && !m.applied) {
        return Verdict::Refuse(format!(
            "the database has migrations that release {RELEASE} does not know but lacks {}, \
             which it needs: run {}",
            missing.version,
            needs(&unknown[0])
        ));
    }
    Verdict::ServeNewer { unknown }
}

/// Brings the schema up to date when this release may, or leaves a newer one as it is (when
/// it may serve it); fails with the verdict's message otherwise. Nodes must take turns
/// around it (the caller holds the startup lock).
pub async fn migrate_if_ours(db: &DatabaseConnection) -> Result<(), DbErr> {
    create_kinds_table(db).await?;
    let status = status(db).await?;
    match verdict(&status) {
        Verdict::Migrate => {
            Migrator::up(db, None).await?;
            record_kinds(db, &status).await
        }
        Verdict::ServeNewer { unknown } => {
            let names: Vec<&str> = unknown.iter().map(|m| m.version.as_str()).collect();
            // At info: `serve` logs it at start-up, while the operator's other commands keep
            // their one-line answers (they print warnings and errors only).
            tracing::info!(
                release = RELEASE,
                newer = %names.join(", "),
                "the database is newer than this release, by expand steps only: serving it as it is"
            );
            Ok(())
        }
        Verdict::Refuse(message) => Err(DbErr::Custom(message)),
    }
}

/// Succeeds when this release may serve the database without migrating it (a read-only node):
/// every migration it knows is applied, and any newer one is an expand step.
pub async fn servable_as_it_is(db: &DatabaseConnection) -> Result<(), DbErr> {
    let status = status(db).await?;
    match verdict(&status) {
        Verdict::Refuse(message) => Err(DbErr::Custom(message)),
        Verdict::Migrate | Verdict::ServeNewer { .. } => {
            match status.iter().find(|m| m.known && !m.applied) {
                Some(pending) => Err(DbErr::Custom(format!(
                    "a read-only node migrates nothing, and the database lacks migration {}: \
                     run `invoices-api migrate` first",
                    pending.version
                ))),
                None => Ok(()),
            }
        }
    }
}

/// The newest migration the database applied (`None` before the first).
pub async fn version(db: &DatabaseConnection) -> Result<Option<String>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT max(version) FROM seaql_migrations",
        ))
        .await?;
    match row {
        Some(row) => row.try_get_by_index::<Option<String>>(0),
        None => Ok(None),
    }
}

async fn create_kinds_table(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared(
        "CREATE TABLE IF NOT EXISTS schema_migration_kinds (\
         version varchar NOT NULL PRIMARY KEY, \
         kind varchar NOT NULL, \
         release varchar NOT NULL)",
    )
    .await
    .map(|_| ())
}

/// Records the kind of every migration this release knows that the database has no kind of
/// yet (`status`, read before): none on most starts. What an earlier release or another node
/// recorded stays as it was.
async fn record_kinds(db: &DatabaseConnection, status: &[Migration]) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    // A migration this release knows always has its kind.
    let unrecorded = status
        .iter()
        .filter(|m| m.known && m.release.is_none())
        .filter_map(|m| Some((m, m.kind?.as_str())));
    for (migration, kind) in unrecorded {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO schema_migration_kinds (version, kind, release) VALUES ($1, $2, $3) \
             ON CONFLICT (version) DO NOTHING",
            [
                migration.version.clone().into(),
                kind.into(),
                RELEASE.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

async fn applied_versions(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    if !has_table(db, "seaql_migrations").await? {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await?;
    rows.iter().map(|row| row.try_get_by_index(0)).collect()
}

async fn recorded_kinds(
    db: &DatabaseConnection,
) -> Result<HashMap<String, (String, String)>, DbErr> {
    if !has_table(db, "schema_migration_kinds").await? {
        return Ok(HashMap::new());
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version, kind, release FROM schema_migration_kinds",
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get_by_index(0)?,
                (row.try_get_by_index(1)?, row.try_get_by_index(2)?),
            ))
        })
        .collect()
}

async fn has_table(db: &DatabaseConnection, table: &str) -> Result<bool, DbErr> {
    migration::SchemaManager::new(db).has_table(table).await
}
