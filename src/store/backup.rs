//! Online backups of the embedded database: a consistent copy taken while the server keeps
//! serving writes, checked before it is reported.
//!
//! SQLite's `VACUUM INTO` writes the database as one read transaction sees it: in WAL mode
//! writers go on meanwhile (they append to the WAL; only checkpoints wait for the copy to
//! finish). The copy is then opened on its own and must pass `PRAGMA integrity_check`.
//! PostgreSQL has its own tools for this (`pg_dump`, or base backups with WAL archiving).

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use std::path::{Path, PathBuf};

/// Why a backup was not made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "backup copies the embedded SQLite database; back up PostgreSQL with its own tools \
         (pg_dump, or base backups with WAL archiving)"
    )]
    NotSqlite,
    #[error("{0} already exists: choose a new file")]
    Exists(PathBuf),
    #[error("the folder of {0} does not exist")]
    NoFolder(PathBuf),
    #[error("the copy failed its integrity check ({1}); {0} was removed")]
    Corrupt(PathBuf, String),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// Copies the database `db` to the new file `to` and checks the copy; returns its path.
pub async fn backup(db: &DatabaseConnection, to: &Path) -> Result<PathBuf, BackupError> {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return Err(BackupError::NotSqlite);
    }
    if to.exists() {
        return Err(BackupError::Exists(to.to_owned()));
    }
    let folder = match to.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_owned(),
        _ => PathBuf::from("."),
    };
    if !folder.is_dir() {
        return Err(BackupError::NoFolder(to.to_owned()));
    }
    let path = std::path::absolute(to).unwrap_or_else(|_| to.to_owned());
    db.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Sqlite,
        "VACUUM INTO ?",
        [path.to_string_lossy().into_owned().into()],
    ))
    .await?;
    match integrity(&path).await {
        Ok(()) => Ok(path),
        Err(why) => {
            let _ = std::fs::remove_file(&path);
            Err(BackupError::Corrupt(path, why))
        }
    }
}

/// `PRAGMA integrity_check` on the copy, opened read-only on its own.
async fn integrity(path: &Path) -> Result<(), String> {
    let mut options = sea_orm::ConnectOptions::new(format!("sqlite://{}?mode=ro", path.display()));
    // The check reads the whole copy: a slow statement, and an expected one.
    options.sqlx_logging(false).max_connections(1);
    let copy = sea_orm::Database::connect(options)
        .await
        .map_err(|e| e.to_string())?;
    let rows = copy
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .map_err(|e| e.to_string())?;
    let _ = copy.close().await;
    let verdict: Vec<String> = rows
        .iter()
        .filter_map(|row| row.try_get_by_index::<String>(0).ok())
        .collect();
    if verdict == ["ok"] {
        Ok(())
    } else {
        Err(verdict.join("; "))
    }
}
