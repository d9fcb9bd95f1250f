//! Why a data directory cannot be used. Every error names the file; a damaged store also names
//! the table and the key. The mock never starts empty over a store it could not read.

use std::path::PathBuf;

/// Why the store refused to open, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory or the file could not be created or opened.
    #[error("cannot open the data store {file}: {reason}")]
    Open {
        /// The store file.
        file: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Another process (or another mock in this process) holds the store.
    #[error("the data store {file} is in use by another cmq-mock (it takes the store for itself)")]
    InUse {
        /// The store file.
        file: PathBuf,
    },
    /// The file is not a cmq-mock store (another SQLite database, or not SQLite at all).
    #[error("{file} is not a cmq-mock data store: {reason}; refusing to touch it")]
    NotAStore {
        /// The store file.
        file: PathBuf,
        /// What it is instead.
        reason: String,
    },
    /// The store was written by a newer cmq-mock.
    #[error(
        "the data store {file} has format version {found}, newer than this cmq-mock reads (up to {supported}); refusing to open it (use a newer cmq-mock)"
    )]
    Newer {
        /// The store file.
        file: PathBuf,
        /// Its format version.
        found: i64,
        /// The newest version this build reads.
        supported: i64,
    },
    /// The store is damaged.
    #[error(
        "the data store {file} is damaged: {place}: {what}; refusing to start (the file was not changed)"
    )]
    Corrupt {
        /// The store file.
        file: PathBuf,
        /// Where: a table and a key, or the database as a whole.
        place: String,
        /// What is wrong.
        what: String,
    },
    /// Reading or writing failed.
    #[error("the data store {file} failed while {doing}: {reason}")]
    Io {
        /// The store file.
        file: PathBuf,
        /// What the store was doing.
        doing: String,
        /// The error.
        reason: String,
    },
}

impl StoreError {
    /// The error SQLite gave while `doing` something with `file`: a damaged file is
    /// [`StoreError::Corrupt`], a locked one [`StoreError::InUse`], anything else
    /// [`StoreError::Io`].
    pub(crate) fn sqlite(file: &std::path::Path, doing: &str, e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        let file = file.to_path_buf();
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
                file,
                place: format!("while {doing}"),
                what: e.to_string(),
            },
            Some(ErrorCode::NotADatabase) => StoreError::NotAStore {
                file,
                reason: e.to_string(),
            },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::InUse { file },
            _ => StoreError::Io {
                file,
                doing: doing.to_owned(),
                reason: e.to_string(),
            },
        }
    }
}
