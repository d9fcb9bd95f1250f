//! The store file: its tables, its format version and how it is opened.
//!
//! The file is SQLite (`cmq-mock.sqlite` in the data directory) marked as ours by its
//! `application_id` ([`APPLICATION_ID`]); its `user_version` is the format version
//! ([`FORMAT_VERSION`]). Opening refuses a file that is not SQLite, another program's database,
//! a newer format or a damaged file, each with an error naming the file; an older format is
//! migrated in one transaction ([`migrate`]). Settings: WAL journal, `synchronous=FULL` (a
//! commit returns once it is on disk), exclusive locking (no other process can open the file
//! while a mock holds it), no automatic checkpoints (the writer runs them between groups).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::StoreError;

/// The store file's name in the data directory.
pub const FILE_NAME: &str = "cmq-mock.sqlite";

/// `PRAGMA application_id` of a cmq-mock store: "CMQm".
pub const APPLICATION_ID: i64 = 0x434d_516d;

/// The format this build writes (`PRAGMA user_version`). Every change to the tables below gets
/// a new number, a step in [`migrate`] and a committed fixture of the old format that a test
/// opens.
pub const FORMAT_VERSION: i64 = 2;

/// How long opening waits for another holder of the file to let go before giving up.
const BUSY_WAIT: Duration = Duration::from_secs(3);

/// The tables of format 1.
const SCHEMA_V1: &str = "
CREATE TABLE meta(
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE accounts(
    secret_id TEXT PRIMARY KEY,
    secret_key TEXT NOT NULL,
    app_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    next_topic_msg_id INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE queues(
    uid INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    queue_id TEXT NOT NULL,
    create_seq INTEGER NOT NULL,
    create_ms INTEGER NOT NULL,
    modify_ms INTEGER NOT NULL,
    rule_since_ms INTEGER NOT NULL,
    next_seq INTEGER NOT NULL,
    last_enqueue_ms INTEGER NOT NULL,
    max_msg_heap_num INTEGER NOT NULL,
    polling_wait_seconds INTEGER NOT NULL,
    visibility_timeout INTEGER NOT NULL,
    max_msg_size INTEGER NOT NULL,
    msg_retention_seconds INTEGER NOT NULL,
    rewind_seconds INTEGER NOT NULL,
    dlq_name TEXT,
    dlq_policy INTEGER,
    dlq_max_receive_count INTEGER,
    dlq_max_time_to_live INTEGER
);
CREATE TABLE messages(
    key INTEGER PRIMARY KEY,
    msg_id INTEGER NOT NULL,
    enqueue_ms INTEGER NOT NULL,
    first_dequeue_ms INTEGER NOT NULL,
    visible_ms INTEGER NOT NULL,
    dequeue_count INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    state INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    crc INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE deleted_names(
    account TEXT NOT NULL,
    kind INTEGER NOT NULL,
    key TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY(account, kind, key)
) WITHOUT ROWID;
CREATE TABLE topics(
    topic_id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    filter_type INTEGER NOT NULL,
    create_ms INTEGER NOT NULL,
    modify_ms INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    max_msg_size INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE subscriptions(
    pos INTEGER PRIMARY KEY,
    sub_id TEXT NOT NULL UNIQUE,
    topic_id TEXT NOT NULL,
    name TEXT NOT NULL,
    protocol TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    strategy TEXT NOT NULL,
    format TEXT NOT NULL,
    filter_tags TEXT NOT NULL,
    binding_keys TEXT NOT NULL,
    create_ms INTEGER NOT NULL,
    modify_ms INTEGER NOT NULL
);
CREATE TABLE push(
    pos INTEGER PRIMARY KEY,
    sub_id TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    publish_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_ms INTEGER,
    tags TEXT NOT NULL,
    crc INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX push_by_message ON push(sub_id, msg_id);
";

/// What format 2 adds to format 1: the API 3.0-only settings of queues and topics (tags,
/// `Trace`, the transaction settings, …) as the JSON of `protocol::v3::extras::Extras`, one row
/// per resource (`kind` as in `deleted_names`: 0 a queue, 1 a topic), and an index to find a
/// queue by its id.
const SCHEMA_V2_STEP: &str = "
CREATE TABLE extras(
    id TEXT PRIMARY KEY,
    kind INTEGER NOT NULL,
    json TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX queues_by_id ON queues(queue_id);
";

/// Opens (creating if needed) the store in `dir`, checks it is ours and current (migrating an
/// older format), and sets it up for the writer.
pub(crate) fn open(dir: &Path) -> Result<Connection, StoreError> {
    let file = dir.join(FILE_NAME);
    std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
        file: file.clone(),
        reason: format!("cannot create the directory: {e}"),
    })?;
    prefetch(&file);
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&file, flags)
        .map_err(|e| StoreError::sqlite(&file, "opening", e))?;
    let sql = |doing: &str, e: rusqlite::Error| StoreError::sqlite(&file, doing, e);
    conn.busy_timeout(BUSY_WAIT)
        .map_err(|e| sql("setting up", e))?;
    // Exclusive locking before anything reads the file: the lock is then held until the
    // connection closes, and WAL needs no shared-memory file.
    conn.execute_batch("PRAGMA locking_mode=EXCLUSIVE;")
        .map_err(|e| sql("taking the lock", e))?;
    let (app_id, version) = identity(&conn).map_err(|e| sql("reading the header", e))?;
    let fresh = app_id == 0 && version == 0 && is_empty(&conn).map_err(|e| sql("reading", e))?;
    if !fresh {
        check_identity(&file, app_id, version)?;
    }
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(|e| sql("switching to WAL", e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Open {
            file,
            reason: format!("SQLite refused the WAL journal (mode {mode})"),
        });
    }
    conn.execute_batch(
        "PRAGMA synchronous=FULL;
         PRAGMA wal_autocheckpoint=0;
         PRAGMA journal_size_limit=67108864;
         PRAGMA cache_size=-32768;
         PRAGMA temp_store=MEMORY;
         BEGIN EXCLUSIVE; COMMIT;",
    )
    .map_err(|e| sql("taking the lock", e))?;
    if fresh {
        create(&conn).map_err(|e| sql("creating the tables", e))?;
    } else if version < FORMAT_VERSION {
        migrate(&conn, &file, version)?;
    }
    quick_check(&conn, &file)?;
    Ok(conn)
}

/// Reads the store's files once, sequentially, so that the checks and the load that follow find
/// them in the page cache: SQLite reads a b-tree page by page, which on a cold cache is several
/// times slower than one sequential pass (measured: 1.0–1.7 s against 0.2 s for 61 MB).
fn prefetch(file: &Path) {
    use std::io::Read;
    let mut buf = vec![0u8; 1 << 20];
    for f in [file.to_path_buf(), file.with_extension("sqlite-wal")] {
        if let Ok(mut f) = std::fs::File::open(&f) {
            while matches!(f.read(&mut buf), Ok(n) if n > 0) {}
        }
    }
}

/// `(application_id, user_version)`.
fn identity(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    let app: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok((app, version))
}

fn is_empty(conn: &Connection) -> rusqlite::Result<bool> {
    let n: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    Ok(n == 0)
}

/// Refuses another program's database and a newer format.
pub(crate) fn check_identity(file: &Path, app_id: i64, version: i64) -> Result<(), StoreError> {
    if app_id != APPLICATION_ID {
        return Err(StoreError::NotAStore {
            file: file.to_path_buf(),
            reason: format!(
                "its application_id is {app_id:#x}, a cmq-mock store has {APPLICATION_ID:#x}"
            ),
        });
    }
    if version > FORMAT_VERSION {
        return Err(StoreError::Newer {
            file: file.to_path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version < 1 {
        return Err(StoreError::NotAStore {
            file: file.to_path_buf(),
            reason: format!("format version {version} was never written by cmq-mock"),
        });
    }
    Ok(())
}

/// A new store: the tables, the marks, the counters.
fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE;
         {SCHEMA_V1}
         {SCHEMA_V2_STEP}
         INSERT INTO meta(key, value) VALUES ('next_queue_uid', 1);
         PRAGMA application_id={APPLICATION_ID};
         PRAGMA user_version={FORMAT_VERSION};
         COMMIT;"
    ))
}

/// Brings a store of format `from` to [`FORMAT_VERSION`], in one transaction (all steps or
/// none). A step is added here with each new format:
///
/// * 1 → 2: the `extras` table (API 3.0-only settings; a format-1 store had none to keep).
fn migrate(conn: &Connection, file: &Path, from: i64) -> Result<(), StoreError> {
    let mut steps = String::from("BEGIN IMMEDIATE;");
    for version in from..FORMAT_VERSION {
        let step = match version {
            1 => SCHEMA_V2_STEP,
            _ => {
                return Err(StoreError::Open {
                    file: file.to_path_buf(),
                    reason: format!("no migration from format {version} to {}", version + 1),
                });
            }
        };
        steps.push_str(step);
    }
    steps.push_str(&format!("PRAGMA user_version={FORMAT_VERSION}; COMMIT;"));
    conn.execute_batch(&steps).map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        StoreError::sqlite(
            file,
            &format!("migrating from format {from} to {FORMAT_VERSION}"),
            e,
        )
    })
}

/// SQLite's structural check of every page (b-tree shape, free list, record headers): a damaged
/// page anywhere in the file refuses the start, even one the load would not read.
fn quick_check(conn: &Connection, file: &Path) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare("PRAGMA quick_check")
        .map_err(|e| StoreError::sqlite(file, "checking the file", e))?;
    let problems: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| StoreError::sqlite(file, "checking the file", e))?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(());
    }
    Err(StoreError::Corrupt {
        file: file.to_path_buf(),
        place: "SQLite's quick_check".to_owned(),
        what: problems.join("; "),
    })
}
