//! Reading a store back: every table in key order, every value checked (ranges, codes,
//! checksums, references). Anything wrong is a [`StoreError::Corrupt`] naming the file, the
//! table and the key; nothing is skipped.

use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, Row};

use super::StoreError;
use super::apply::push_crc;
use super::records::{
    AccountRow, DeletedRow, ExtrasRow, FLAG_TTL_EXEMPT, MsgRow, NameKind, PushRow, QueueRow,
    RowState, SubRow, TopicRow, body_crc, list_from_text, split_key,
};
use crate::engine::{DeadLetterPolicy, QueueConfig};
use crate::protocol::v3::extras::Extras;

/// Everything in a store but the messages (which are streamed, see [`load_messages`]).
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    /// The next queue uid to hand out (uids are never reused).
    pub(crate) next_queue_uid: u32,
    /// The manual clock's time when it last moved, if the mock ran on one.
    pub(crate) manual_clock_ms: Option<u64>,
    /// In the order they were first added (the first is the default account).
    pub(crate) accounts: Vec<AccountRow>,
    /// By uid.
    pub(crate) queues: Vec<QueueRow>,
    pub(crate) deleted: Vec<DeletedRow>,
    /// By account, then listing order.
    pub(crate) topics: Vec<TopicRow>,
    /// In creation order.
    pub(crate) subs: Vec<SubRow>,
    /// In backlog order.
    pub(crate) push: Vec<PushRow>,
    /// The API 3.0-only settings of queues and topics, by resource id.
    pub(crate) extras: Vec<(String, Extras)>,
}

/// What is wrong with a row (the caller adds the file, the table and the key).
type Check<T> = Result<T, String>;

fn corrupt(file: &Path, table: &str, key: &str, what: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        file: file.to_path_buf(),
        place: format!("table {table}, key {key}"),
        what: what.into(),
    }
}

/// Column `i` as a `T`; a value of the wrong type is damage.
fn col<T: rusqlite::types::FromSql>(r: &Row<'_>, i: usize) -> Check<T> {
    r.get(i).map_err(|e| format!("column {i}: {e}"))
}

/// Column `i` as an unsigned number.
fn unsigned(r: &Row<'_>, i: usize) -> Check<u64> {
    let v: i64 = col(r, i)?;
    u64::try_from(v).map_err(|_| format!("column {i} is negative ({v})"))
}

/// Column `i` as a `u32`.
fn small(r: &Row<'_>, i: usize) -> Check<u32> {
    let v: i64 = col(r, i)?;
    u32::try_from(v).map_err(|_| format!("column {i} is out of range ({v})"))
}

/// Runs `sql`; `f` turns each row into a `T` and names the row's key (the first column).
fn rows<T>(
    conn: &Connection,
    file: &Path,
    table: &str,
    sql: &str,
    f: impl Fn(&Row<'_>) -> Check<T>,
) -> Result<Vec<T>, StoreError> {
    let doing = format!("reading table {table}");
    let sqlerr = |e| StoreError::sqlite(file, &doing, e);
    let mut stmt = conn.prepare(sql).map_err(sqlerr)?;
    let mut q = stmt.query([]).map_err(sqlerr)?;
    let mut out = Vec::new();
    while let Some(row) = q.next().map_err(sqlerr)? {
        let key = row
            .get_ref(0)
            .map(|v| match v {
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                other => format!("{other:?}"),
            })
            .unwrap_or_else(|_| "(unreadable)".into());
        out.push(f(row).map_err(|what| corrupt(file, table, &key, what))?);
    }
    Ok(out)
}

/// Reads every table but `messages`.
pub(crate) fn load(conn: &Connection, file: &Path) -> Result<Recovered, StoreError> {
    let meta = rows(conn, file, "meta", "SELECT key, value FROM meta", |r| {
        Ok((col::<String>(r, 0)?, unsigned(r, 1)?))
    })?;
    let mut rec = Recovered::default();
    for (k, v) in meta {
        match k.as_str() {
            "next_queue_uid" => {
                rec.next_queue_uid = u32::try_from(v)
                    .map_err(|_| corrupt(file, "meta", &k, format!("out of range: {v}")))?;
            }
            "manual_clock_ms" => rec.manual_clock_ms = Some(v),
            _ => return Err(corrupt(file, "meta", &k, "unknown key")),
        }
    }
    rec.accounts = rows(conn, file, "accounts", ACCOUNT_SQL, |r| {
        Ok(AccountRow {
            secret_id: col(r, 0)?,
            secret_key: col(r, 1)?,
            app_id: col(r, 2)?,
            next_topic_msg_id: unsigned(r, 3)?,
        })
    })?;
    rec.queues = rows(conn, file, "queues", QUEUE_SQL, queue)?;
    rec.deleted = rows(conn, file, "deleted_names", DELETED_SQL, deleted)?;
    rec.topics = rows(conn, file, "topics", TOPIC_SQL, topic)?;
    rec.subs = rows(conn, file, "subscriptions", SUB_SQL, sub)?;
    rec.push = rows(conn, file, "push", PUSH_SQL, push)?;
    check_references(&rec, file)?;
    let extras = rows(conn, file, "extras", EXTRAS_SQL, extras)?;
    rec.extras = check_extras(&rec, file, extras)?;
    Ok(rec)
}

const ACCOUNT_SQL: &str =
    "SELECT secret_id, secret_key, app_id, next_topic_msg_id FROM accounts ORDER BY ordinal";

const QUEUE_SQL: &str = "SELECT uid, account, name, queue_id, create_seq, create_ms, modify_ms, \
     rule_since_ms, next_seq, last_enqueue_ms, max_msg_heap_num, polling_wait_seconds, \
     visibility_timeout, max_msg_size, msg_retention_seconds, rewind_seconds, dlq_name, \
     dlq_policy, dlq_max_receive_count, dlq_max_time_to_live FROM queues ORDER BY uid";

fn queue(r: &Row<'_>) -> Check<QueueRow> {
    let dlq = match col::<Option<String>>(r, 16)? {
        None => None,
        Some(name) => Some(DeadLetterPolicy {
            dead_letter_queue: name,
            policy: col(r, 17)?,
            max_receive_count: col(r, 18)?,
            max_time_to_live: col(r, 19)?,
        }),
    };
    Ok(QueueRow {
        uid: match small(r, 0)? {
            0 => return Err("uid 0 is never given to a queue".into()),
            uid => uid,
        },
        account: col(r, 1)?,
        name: col(r, 2)?,
        queue_id: col(r, 3)?,
        create_seq: unsigned(r, 4)?,
        create_ms: unsigned(r, 5)?,
        modify_ms: unsigned(r, 6)?,
        rule_since_ms: unsigned(r, 7)?,
        next_seq: unsigned(r, 8)?,
        last_enqueue_ms: unsigned(r, 9)?,
        config: QueueConfig {
            max_msg_heap_num: unsigned(r, 10)?,
            polling_wait_seconds: small(r, 11)?,
            visibility_timeout: small(r, 12)?,
            max_msg_size: small(r, 13)?,
            msg_retention_seconds: small(r, 14)?,
            rewind_seconds: small(r, 15)?,
            dead_letter_policy: dlq,
        },
    })
}

const DELETED_SQL: &str = "SELECT account, kind, key, at_ms FROM deleted_names";

fn deleted(r: &Row<'_>) -> Check<DeletedRow> {
    Ok(DeletedRow {
        account: col(r, 0)?,
        kind: match col::<i64>(r, 1)? {
            0 => NameKind::Queue,
            1 => NameKind::Topic,
            k => return Err(format!("unknown kind {k}")),
        },
        key: col(r, 2)?,
        at_ms: unsigned(r, 3)?,
    })
}

const TOPIC_SQL: &str = "SELECT topic_id, account, name, filter_type, create_ms, modify_ms, seq, \
     max_msg_size FROM topics ORDER BY account, seq";

fn topic(r: &Row<'_>) -> Check<TopicRow> {
    Ok(TopicRow {
        topic_id: col(r, 0)?,
        account: col(r, 1)?,
        name: col(r, 2)?,
        filter_type: match col::<i64>(r, 3)? {
            f @ (1 | 2) => f as u8,
            f => return Err(format!("unknown filter type {f}")),
        },
        create_ms: unsigned(r, 4)?,
        modify_ms: unsigned(r, 5)?,
        seq: unsigned(r, 6)?,
        max_msg_size: unsigned(r, 7)?,
    })
}

const SUB_SQL: &str = "SELECT sub_id, topic_id, name, protocol, endpoint, strategy, format, \
     filter_tags, binding_keys, create_ms, modify_ms FROM subscriptions ORDER BY pos";

fn sub(r: &Row<'_>) -> Check<SubRow> {
    Ok(SubRow {
        sub_id: col(r, 0)?,
        topic_id: col(r, 1)?,
        name: col(r, 2)?,
        protocol: col(r, 3)?,
        endpoint: col(r, 4)?,
        strategy: col(r, 5)?,
        format: col(r, 6)?,
        filter_tags: list_from_text(&col::<String>(r, 7)?)?,
        binding_keys: list_from_text(&col::<String>(r, 8)?)?,
        create_ms: unsigned(r, 9)?,
        modify_ms: unsigned(r, 10)?,
    })
}

const PUSH_SQL: &str = "SELECT msg_id, sub_id, publish_ms, expires_ms, attempts, \
     next_attempt_ms, tags, crc, body FROM push ORDER BY pos";

fn push(r: &Row<'_>) -> Check<PushRow> {
    let row = PushRow {
        msg_id: col(r, 0)?,
        sub_id: Arc::from(col::<String>(r, 1)?.as_str()),
        publish_ms: unsigned(r, 2)?,
        expires_ms: unsigned(r, 3)?,
        attempts: small(r, 4)?,
        next_attempt_ms: col::<Option<i64>>(r, 5)?
            .map(|n| u64::try_from(n).map_err(|_| format!("negative retry time {n}")))
            .transpose()?,
        tags: list_from_text(&col::<String>(r, 6)?)?,
        body: col(r, 8)?,
    };
    if i64::from(push_crc(&row)) != col::<i64>(r, 7)? {
        return Err("checksum mismatch: the message body or its id was altered".into());
    }
    Ok(row)
}

const EXTRAS_SQL: &str = "SELECT id, kind, json FROM extras ORDER BY id";

fn extras(r: &Row<'_>) -> Check<ExtrasRow> {
    Ok(ExtrasRow {
        id: col(r, 0)?,
        kind: match col::<i64>(r, 1)? {
            0 => NameKind::Queue,
            1 => NameKind::Topic,
            k => return Err(format!("unknown kind {k}")),
        },
        json: col(r, 2)?,
    })
}

/// Every extras row belongs to a stored queue or topic of its kind (the writer stores none
/// for a resource it does not hold and drops them with the resource) and is the JSON of
/// [`Extras`].
fn check_extras(
    rec: &Recovered,
    file: &Path,
    rows: Vec<ExtrasRow>,
) -> Result<Vec<(String, Extras)>, StoreError> {
    use std::collections::HashSet;
    let queues: HashSet<&str> = rec.queues.iter().map(|q| q.queue_id.as_str()).collect();
    let topics: HashSet<&str> = rec.topics.iter().map(|t| t.topic_id.as_str()).collect();
    rows.into_iter()
        .map(|row| {
            let known = match row.kind {
                NameKind::Queue => queues.contains(row.id.as_str()),
                NameKind::Topic => topics.contains(row.id.as_str()),
            };
            if !known {
                let what = match row.kind {
                    NameKind::Queue => "no stored queue has this id",
                    NameKind::Topic => "no stored topic has this id",
                };
                return Err(corrupt(file, "extras", &row.id, what));
            }
            let extras =
                Extras::from_json(&row.json).map_err(|e| corrupt(file, "extras", &row.id, e))?;
            Ok((row.id, extras))
        })
        .collect()
}

/// Every reference between tables resolves: queues and topics to accounts, subscriptions to
/// topics, push rows to `http` subscriptions.
fn check_references(rec: &Recovered, file: &Path) -> Result<(), StoreError> {
    use std::collections::HashSet;
    let accounts: HashSet<&str> = rec.accounts.iter().map(|a| a.secret_id.as_str()).collect();
    for q in &rec.queues {
        if !accounts.contains(q.account.as_str()) {
            return Err(corrupt(
                file,
                "queues",
                &q.uid.to_string(),
                "unknown account",
            ));
        }
    }
    let topics: HashSet<&str> = rec.topics.iter().map(|t| t.topic_id.as_str()).collect();
    for t in &rec.topics {
        if !accounts.contains(t.account.as_str()) {
            return Err(corrupt(file, "topics", &t.topic_id, "unknown account"));
        }
    }
    let subs: HashSet<&str> = rec.subs.iter().map(|s| s.sub_id.as_str()).collect();
    for s in &rec.subs {
        if !topics.contains(s.topic_id.as_str()) {
            return Err(corrupt(file, "subscriptions", &s.sub_id, "unknown topic"));
        }
    }
    for p in &rec.push {
        if !subs.contains(&*p.sub_id) {
            return Err(corrupt(file, "push", &p.msg_id, "unknown subscription"));
        }
    }
    Ok(())
}

/// Where [`load_messages`] puts the rows: `(queue uid, rows of that queue)`, drained by the
/// sink; an error names what is wrong with them.
pub(crate) type MessageSink<'a> =
    dyn FnMut(u32, &mut Vec<MsgRow>) -> Result<(), String> + Send + 'a;

/// How many message rows go to the sink at once.
const CHUNK: usize = 4096;

/// Streams every message, in key order (queue by queue, in production order), to `sink` in
/// chunks of one queue's rows. The sink returns an error for a row it cannot place (an unknown
/// queue); every checksum is verified first.
pub(crate) fn load_messages(
    conn: &Connection,
    file: &Path,
    sink: &mut MessageSink<'_>,
) -> Result<u64, StoreError> {
    let doing = "reading table messages";
    let sqlerr = |e| StoreError::sqlite(file, doing, e);
    let mut stmt = conn
        .prepare(
            "SELECT key, msg_id, enqueue_ms, first_dequeue_ms, visible_ms, dequeue_count, \
             generation, state, flags, crc, body FROM messages ORDER BY key",
        )
        .map_err(sqlerr)?;
    let mut q = stmt.query([]).map_err(sqlerr)?;
    let mut chunk: Vec<MsgRow> = Vec::with_capacity(CHUNK);
    let mut chunk_uid = 0u32;
    let mut count = 0u64;
    while let Some(r) = q.next().map_err(sqlerr)? {
        let key: i64 = r.get(0).map_err(sqlerr)?;
        let row =
            msg_row(r, key).map_err(|what| corrupt(file, "messages", &key_text(key), what))?;
        if row.uid != chunk_uid || chunk.len() >= CHUNK {
            flush(file, chunk_uid, &mut chunk, sink)?;
            chunk_uid = row.uid;
        }
        chunk.push(row);
        count += 1;
    }
    flush(file, chunk_uid, &mut chunk, sink)?;
    Ok(count)
}

/// Hands a chunk of queue `uid`'s rows to the sink.
fn flush(
    file: &Path,
    uid: u32,
    chunk: &mut Vec<MsgRow>,
    sink: &mut MessageSink<'_>,
) -> Result<(), StoreError> {
    let Some(first) = chunk.first().map(|m| m.seq) else {
        return Ok(());
    };
    sink(uid, chunk).map_err(|what| {
        let key = format!("queue uid {uid}, seq {first}…");
        corrupt(file, "messages", &key, what)
    })?;
    chunk.clear();
    Ok(())
}

fn key_text(key: i64) -> String {
    let (uid, seq) = split_key(key);
    format!("{key} (queue uid {uid}, seq {seq})")
}

fn msg_row(r: &Row<'_>, key: i64) -> Check<MsgRow> {
    let (uid, seq) = split_key(key);
    let (msg_id, enqueue_ms) = (unsigned(r, 1)?, unsigned(r, 2)?);
    let body: &str = r
        .get_ref(10)
        .and_then(|v| v.as_str().map_err(Into::into))
        .map_err(|e| format!("body: {e}"))?;
    if i64::from(body_crc(msg_id, enqueue_ms, body)) != col::<i64>(r, 9)? {
        return Err("checksum mismatch: the body, msgId or enqueue time was altered".into());
    }
    let (state, flags): (i64, i64) = (col(r, 7)?, col(r, 8)?);
    if uid == 0 || flags & !FLAG_TTL_EXEMPT != 0 {
        return Err(format!("invalid key or flags ({flags})"));
    }
    Ok(MsgRow {
        uid,
        seq,
        msg_id,
        enqueue_ms,
        first_dequeue_ms: unsigned(r, 3)?,
        visible_ms: unsigned(r, 4)?,
        dequeue_count: small(r, 5)?,
        generation: small(r, 6)?,
        state: RowState::from_code(state).ok_or(format!("unknown state {state}"))?,
        ttl_exempt: flags & FLAG_TTL_EXEMPT != 0,
        body: body.into(),
    })
}
