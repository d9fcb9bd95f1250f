//! A damaged, foreign, newer or busy store is refused with an error naming the file (and, for
//! damage, the table and the key); the file is left as it was.

use rusqlite::Connection;

use super::*;
use crate::engine::QueueConfigUpdate;
use crate::store::schema::FORMAT_VERSION;
use crate::store::{Opened, StoreError};

/// A store holding one queue with three messages, closed (checkpointed into the main file).
fn store_with_messages(dir: &TempDir) {
    let clock = Clock::manual(T0);
    let (e, s) = boot(dir.path(), &clock);
    let a = e.add_account("AKIDdmg", "key");
    a.create_queue("q", &QueueConfigUpdate::default()).unwrap();
    for body in ["first-body", "MARKER-body-to-damage", "third-body"] {
        a.send_message("q", body, 0).unwrap();
    }
    drop(e);
    s.close();
}

/// Opens the store with a fresh engine; the error it refuses with.
fn refused(dir: &TempDir) -> StoreError {
    let clock = Clock::manual(T0);
    let engine = Engine::with_limits(clock.clone(), Limits::relaxed());
    match attach(&engine, &clock, dir.path()) {
        Ok(_) => panic!("a damaged store was opened"),
        Err(e) => e,
    }
}

fn patch(dir: &TempDir, f: impl FnOnce(&mut Vec<u8>)) {
    let path = dir.file();
    let mut bytes = std::fs::read(&path).unwrap();
    f(&mut bytes);
    std::fs::write(&path, bytes).unwrap();
}

#[test]
fn a_changed_body_is_refused_naming_the_table_and_the_key() {
    let dir = TempDir::new("bitflip");
    store_with_messages(&dir);
    patch(&dir, |b| {
        let at = b
            .windows(6)
            .position(|w| w == b"MARKER")
            .expect("the body is in the file");
        b[at] ^= 0x01; // 'M' → 'L': still valid text, so only the checksum can tell
    });
    let before = std::fs::read(dir.file()).unwrap();
    let e = refused(&dir);
    let text = e.to_string();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    assert!(text.contains("table messages"), "{text}");
    assert!(text.contains("seq 2"), "{text}");
    assert!(text.contains("checksum"), "{text}");
    assert!(text.contains(&dir.file().display().to_string()), "{text}");
    assert_eq!(
        std::fs::read(dir.file()).unwrap(),
        before,
        "the file is left as it was"
    );
}

#[test]
fn a_garbage_page_is_refused() {
    let dir = TempDir::new("garbage");
    store_with_messages(&dir);
    patch(&dir, |b| {
        let end = b.len().min(8192);
        b[4096..end].fill(0xA5);
    });
    let e = refused(&dir);
    assert!(
        matches!(e, StoreError::Corrupt { .. } | StoreError::NotAStore { .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains(&dir.file().display().to_string()));
}

#[test]
fn another_programs_database_is_refused() {
    let dir = TempDir::new("foreign");
    let c = Connection::open(dir.file()).unwrap();
    c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    drop(c);
    let e = refused(&dir);
    assert!(matches!(e, StoreError::NotAStore { .. }), "{e:?}");
    assert!(e.to_string().contains("not a cmq-mock data store"), "{e}");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused() {
    let dir = TempDir::new("text");
    std::fs::write(dir.file(), b"queues: none, this is a text file".repeat(200)).unwrap();
    let e = refused(&dir);
    assert!(matches!(e, StoreError::NotAStore { .. }), "{e:?}");
    assert_eq!(
        std::fs::read(dir.file()).unwrap(),
        b"queues: none, this is a text file".repeat(200),
        "never emptied"
    );
}

#[test]
fn a_newer_format_is_refused_with_both_versions() {
    let dir = TempDir::new("newer");
    store_with_messages(&dir);
    let c = Connection::open(dir.file()).unwrap();
    let newer = FORMAT_VERSION + 1;
    c.execute_batch(&format!("PRAGMA user_version = {newer};"))
        .unwrap();
    drop(c);
    let e = refused(&dir);
    assert!(
        matches!(
            e,
            StoreError::Newer {
                found,
                supported: FORMAT_VERSION,
                ..
            } if found == newer
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("newer"), "{e}");
}

#[test]
fn a_message_of_no_queue_is_refused() {
    let dir = TempDir::new("orphan");
    store_with_messages(&dir);
    let c = Connection::open(dir.file()).unwrap();
    let key = crate::store::records::msg_key(99, 1);
    let crc = crate::store::records::body_crc(7, T0, "x");
    c.execute(
        "INSERT INTO messages VALUES (?1, 7, ?2, 0, ?2, 0, 0, 0, 0, ?3, 'x')",
        rusqlite::params![key, T0 as i64, crc],
    )
    .unwrap();
    drop(c);
    let e = refused(&dir);
    assert!(e.to_string().contains("no queue has uid 99"), "{e}");
}

#[test]
fn an_unknown_message_state_is_refused() {
    let dir = TempDir::new("state");
    store_with_messages(&dir);
    let c = Connection::open(dir.file()).unwrap();
    c.execute(
        "UPDATE messages SET state = 9 WHERE rowid = (SELECT min(key) FROM messages)",
        [],
    )
    .unwrap();
    drop(c);
    let e = refused(&dir);
    assert!(e.to_string().contains("unknown state 9"), "{e}");
}

#[test]
fn api3_settings_of_no_stored_resource_are_refused() {
    let dir = TempDir::new("extras-orphan");
    store_with_messages(&dir);
    let c = Connection::open(dir.file()).unwrap();
    c.execute(
        "INSERT INTO extras(id, kind, json) VALUES ('cmqq-nosuch', 0, '{}')",
        [],
    )
    .unwrap();
    drop(c);
    let e = refused(&dir);
    let text = e.to_string();
    assert!(text.contains("table extras, key cmqq-nosuch"), "{text}");
    assert!(text.contains("no stored queue has this id"), "{text}");
}

#[test]
fn api3_settings_that_are_not_their_json_are_refused() {
    let dir = TempDir::new("extras-json");
    store_with_messages(&dir);
    let c = Connection::open(dir.file()).unwrap();
    c.execute(
        "INSERT INTO extras(id, kind, json) SELECT queue_id, 0, '{\"trace\": \"yes\"}' \
         FROM queues",
        [],
    )
    .unwrap();
    drop(c);
    let e = refused(&dir);
    let text = e.to_string();
    assert!(text.contains("table extras"), "{text}");
    assert!(text.contains("not the JSON of API 3.0 extras"), "{text}");
}

#[test]
fn a_store_held_by_another_mock_is_refused() {
    let dir = TempDir::new("busy");
    let held = Opened::open(dir.path()).unwrap().start().unwrap();
    let e = Opened::open(dir.path()).expect_err("the store is held");
    assert!(matches!(e, StoreError::InUse { .. }), "{e:?}");
    assert!(e.to_string().contains("in use"), "{e}");
    held.close();
    Opened::open(dir.path()).expect("free again once closed");
}
