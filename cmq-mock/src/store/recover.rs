//! Reading a store back: every table in key order, every value checked (ranges, codes,
//! checksums, references). Anything wrong is a [`StoreError::Corrupt`] naming the file, the
//! table and the key; nothing is skipped.

use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, Row};

use super::StoreError;
use super::apply::push_crc;
use super::records::{
    AccountRow, DeletedRow, FLAG_TTL_EXEMPT, MsgRow, NameKind, PushRow, QueueRow, RowState, SubRow,
    TopicRow, body_crc, list_from_text, split_key,
};
use crate::engine::{DeadLetterPolicy, QueueConfig};

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
}

/// A problem with one value: `(what is wrong)`; the caller adds where.
type Check<T> = Result<T, String>;

fn corrupt(file: &Path, table: &str, key: &str, what: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        file: file.to_path_buf(),
        place: format!("table {table}, key {key}"),
        what: what.into(),
    }
}

/// Column `i` as an unsigned number.
fn u64_at(r: &Row<'_>, i: usize) -> rusqlite::Result<Check<u64>> {
    let v: i64 = r.get(i)?;
    Ok(u64::try_from(v).map_err(|_| format!("column {i} is negative ({v})")))
}

/// Column `i` as a `u32`.
fn u32_at(r: &Row<'_>, i: usize) -> rusqlite::Result<Check<u32>> {
    let v: i64 = r.get(i)?;
    Ok(u32::try_from(v).map_err(|_| format!("column {i} is out of range ({v})")))
}

/// Runs `sql` and turns every row into a `T` with `f`, which also names the row's key.
fn rows<T>(
    conn: &Connection,
    file: &Path,
    table: &str,
    sql: &str,
    f: impl Fn(&Row<'_>) -> rusqlite::Result<(String, Check<T>)>,
) -> Result<Vec<T>, StoreError> {
    let doing = format!("reading table {table}");
    let mut stmt = conn
        .prepare(sql)
        .map_err(|e| StoreError::sqlite(file, &doing, e))?;
    let mut out = Vec::new();
    let mut q = stmt
        .query([])
        .map_err(|e| StoreError::sqlite(file, &doing, e))?;
    while let Some(row) = q.next().map_err(|e| StoreError::sqlite(file, &doing, e))? {
        let (key, value) = f(row).map_err(|e| match e {
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..) => {
                corrupt(file, table, "(a row)", e.to_string())
            }
            e => StoreError::sqlite(file, &doing, e),
        })?;
        out.push(value.map_err(|what| corrupt(file, table, &key, what))?);
    }
    Ok(out)
}

/// Reads every table but `messages`.
pub(crate) fn load(conn: &Connection, file: &Path) -> Result<Recovered, StoreError> {
    let meta: Vec<(String, i64)> = rows(conn, file, "meta", "SELECT key, value FROM meta", |r| {
        let k: String = r.get(0)?;
        Ok((k.clone(), Ok((k, r.get(1)?))))
    })?;
    let mut rec = Recovered::default();
    for (k, v) in meta {
        match k.as_str() {
            "next_queue_uid" => {
                rec.next_queue_uid = u32::try_from(v)
                    .map_err(|_| corrupt(file, "meta", &k, format!("out of range: {v}")))?;
            }
            "manual_clock_ms" => {
                rec.manual_clock_ms = Some(
                    u64::try_from(v)
                        .map_err(|_| corrupt(file, "meta", &k, format!("negative: {v}")))?,
                );
            }
            _ => return Err(corrupt(file, "meta", &k, "unknown key")),
        }
    }
    rec.accounts = rows(
        conn,
        file,
        "accounts",
        "SELECT secret_id, secret_key, app_id, next_topic_msg_id FROM accounts ORDER BY ordinal",
        account,
    )?;
    rec.queues = rows(conn, file, "queues", QUEUE_SQL, queue)?;
    rec.deleted = rows(
        conn,
        file,
        "deleted_names",
        "SELECT account, kind, key, at_ms FROM deleted_names",
        deleted,
    )?;
    rec.topics = rows(conn, file, "topics", TOPIC_SQL, topic)?;
    rec.subs = rows(conn, file, "subscriptions", SUB_SQL, sub)?;
    rec.push = rows(conn, file, "push", PUSH_SQL, push)?;
    check_references(&rec, file)?;
    Ok(rec)
}

fn account(r: &Row<'_>) -> rusqlite::Result<(String, Check<AccountRow>)> {
    let secret_id: String = r.get(0)?;
    let next = u64_at(r, 3)?;
    let row = next.map(|next_topic_msg_id| AccountRow {
        secret_id: secret_id.clone(),
        secret_key: String::new(),
        app_id: String::new(),
        next_topic_msg_id,
    });
    let row = match row {
        Ok(mut a) => {
            a.secret_key = r.get(1)?;
            a.app_id = r.get(2)?;
            Ok(a)
        }
        Err(e) => Err(e),
    };
    Ok((secret_id, row))
}

const QUEUE_SQL: &str = "SELECT uid, account, name, queue_id, create_seq, create_ms, modify_ms, \
     rule_since_ms, next_seq, last_enqueue_ms, max_msg_heap_num, polling_wait_seconds, \
     visibility_timeout, max_msg_size, msg_retention_seconds, rewind_seconds, dlq_name, \
     dlq_policy, dlq_max_receive_count, dlq_max_time_to_live FROM queues ORDER BY uid";

fn queue(r: &Row<'_>) -> rusqlite::Result<(String, Check<QueueRow>)> {
    let uid: i64 = r.get(0)?;
    let key = uid.to_string();
    let nums = (|| -> rusqlite::Result<Check<[u64; 12]>> {
        let mut out = [0u64; 12];
        for (k, slot) in out.iter_mut().enumerate() {
            match u64_at(r, 4 + k)? {
                Ok(v) => *slot = v,
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(Ok(out))
    })()?;
    let dlq_name: Option<String> = r.get(16)?;
    let dlq = match dlq_name {
        None => None,
        Some(name) => Some(DeadLetterPolicy {
            dead_letter_queue: name,
            policy: r.get(17)?,
            max_receive_count: r.get(18)?,
            max_time_to_live: r.get(19)?,
        }),
    };
    let small = |v: u64| u32::try_from(v).map_err(|_| format!("setting out of range: {v}"));
    let row = (|| -> Check<QueueRow> {
        let n = nums?;
        Ok(QueueRow {
            uid: u32::try_from(uid)
                .ok()
                .filter(|u| *u > 0)
                .ok_or("bad uid")?,
            account: String::new(),
            name: String::new(),
            queue_id: String::new(),
            create_seq: n[0],
            create_ms: n[1],
            modify_ms: n[2],
            rule_since_ms: n[3],
            next_seq: n[4],
            last_enqueue_ms: n[5],
            config: QueueConfig {
                max_msg_heap_num: n[6],
                polling_wait_seconds: small(n[7])?,
                visibility_timeout: small(n[8])?,
                max_msg_size: small(n[9])?,
                msg_retention_seconds: small(n[10])?,
                rewind_seconds: small(n[11])?,
                dead_letter_policy: dlq,
            },
        })
    })();
    let row = match row {
        Ok(mut q) => {
            q.account = r.get(1)?;
            q.name = r.get(2)?;
            q.queue_id = r.get(3)?;
            Ok(q)
        }
        Err(e) => Err(e),
    };
    Ok((key, row))
}

fn deleted(r: &Row<'_>) -> rusqlite::Result<(String, Check<DeletedRow>)> {
    let account: String = r.get(0)?;
    let kind: i64 = r.get(1)?;
    let key: String = r.get(2)?;
    let at = u64_at(r, 3)?;
    let name = format!("({account}, {kind}, {key})");
    let kind = match kind {
        0 => Ok(NameKind::Queue),
        1 => Ok(NameKind::Topic),
        k => Err(format!("unknown kind {k}")),
    };
    let row = kind.and_then(|kind| {
        Ok(DeletedRow {
            account,
            kind,
            key,
            at_ms: at?,
        })
    });
    Ok((name, row))
}

const TOPIC_SQL: &str = "SELECT topic_id, account, name, filter_type, create_ms, modify_ms, seq, \
     max_msg_size FROM topics ORDER BY account, seq";

fn topic(r: &Row<'_>) -> rusqlite::Result<(String, Check<TopicRow>)> {
    let topic_id: String = r.get(0)?;
    let filter: i64 = r.get(3)?;
    let (c, m, s, x) = (u64_at(r, 4)?, u64_at(r, 5)?, u64_at(r, 6)?, u64_at(r, 7)?);
    let row = (|| -> Check<TopicRow> {
        Ok(TopicRow {
            topic_id: topic_id.clone(),
            account: String::new(),
            name: String::new(),
            filter_type: match filter {
                1 | 2 => filter as u8,
                f => return Err(format!("unknown filter type {f}")),
            },
            create_ms: c?,
            modify_ms: m?,
            seq: s?,
            max_msg_size: x?,
        })
    })();
    let row = match row {
        Ok(mut t) => {
            t.account = r.get(1)?;
            t.name = r.get(2)?;
            Ok(t)
        }
        Err(e) => Err(e),
    };
    Ok((topic_id, row))
}

const SUB_SQL: &str = "SELECT sub_id, topic_id, name, protocol, endpoint, strategy, format, \
     filter_tags, binding_keys, create_ms, modify_ms FROM subscriptions ORDER BY pos";

fn sub(r: &Row<'_>) -> rusqlite::Result<(String, Check<SubRow>)> {
    let sub_id: String = r.get(0)?;
    let tags: String = r.get(7)?;
    let keys: String = r.get(8)?;
    let (c, m) = (u64_at(r, 9)?, u64_at(r, 10)?);
    let mut row = SubRow {
        sub_id: sub_id.clone(),
        topic_id: r.get(1)?,
        name: r.get(2)?,
        protocol: r.get(3)?,
        endpoint: r.get(4)?,
        strategy: r.get(5)?,
        format: r.get(6)?,
        filter_tags: Vec::new(),
        binding_keys: Vec::new(),
        create_ms: 0,
        modify_ms: 0,
    };
    let checked = (|| -> Check<SubRow> {
        row.filter_tags = list_from_text(&tags)?;
        row.binding_keys = list_from_text(&keys)?;
        row.create_ms = c?;
        row.modify_ms = m?;
        Ok(row)
    })();
    Ok((sub_id, checked))
}

const PUSH_SQL: &str = "SELECT pos, sub_id, msg_id, publish_ms, expires_ms, attempts, \
     next_attempt_ms, tags, crc, body FROM push ORDER BY pos";

fn push(r: &Row<'_>) -> rusqlite::Result<(String, Check<PushRow>)> {
    let pos: i64 = r.get(0)?;
    let sub_id: String = r.get(1)?;
    let msg_id: String = r.get(2)?;
    let (p, e, a) = (u64_at(r, 3)?, u64_at(r, 4)?, u32_at(r, 5)?);
    let next: Option<i64> = r.get(6)?;
    let tags: String = r.get(7)?;
    let crc: i64 = r.get(8)?;
    let body: String = r.get(9)?;
    let key = format!("{pos} (subscription {sub_id}, message {msg_id})");
    let row = (|| -> Check<PushRow> {
        let row = PushRow {
            sub_id: Arc::from(sub_id.as_str()),
            msg_id,
            body,
            tags: list_from_text(&tags)?,
            publish_ms: p?,
            expires_ms: e?,
            attempts: a?,
            next_attempt_ms: next
                .map(|n| u64::try_from(n).map_err(|_| format!("negative retry time {n}")))
                .transpose()?,
        };
        if i64::from(push_crc(&row)) != crc {
            return Err("checksum mismatch: the message body or its id was altered".into());
        }
        Ok(row)
    })();
    Ok((key, row))
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
        let row = msg_row(r, key)
            .map_err(|e| corrupt(file, "messages", &key_text(key), e.to_string()))?
            .map_err(|what| corrupt(file, "messages", &key_text(key), what))?;
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

fn msg_row(r: &Row<'_>, key: i64) -> rusqlite::Result<Check<MsgRow>> {
    let (uid, seq) = split_key(key);
    let nums = [u64_at(r, 1)?, u64_at(r, 2)?, u64_at(r, 3)?, u64_at(r, 4)?];
    let (count, generation) = (u32_at(r, 5)?, u32_at(r, 6)?);
    let state: i64 = r.get(7)?;
    let flags: i64 = r.get(8)?;
    let crc: i64 = r.get(9)?;
    let body: &str = r.get_ref(10)?.as_str()?;
    Ok((|| -> Check<MsgRow> {
        let [msg_id, enqueue_ms, first_dequeue_ms, visible_ms] =
            nums.map(|n| n.map_err(|e| e.to_string()));
        let (msg_id, enqueue_ms) = (msg_id?, enqueue_ms?);
        if i64::from(body_crc(msg_id, enqueue_ms, body)) != crc {
            return Err("checksum mismatch: the body, msgId or enqueue time was altered".into());
        }
        if uid == 0 || flags & !FLAG_TTL_EXEMPT != 0 {
            return Err(format!("invalid key or flags ({flags})"));
        }
        Ok(MsgRow {
            uid,
            seq,
            msg_id,
            enqueue_ms,
            first_dequeue_ms: first_dequeue_ms?,
            visible_ms: visible_ms?,
            dequeue_count: count?,
            generation: generation?,
            state: RowState::from_code(state).ok_or(format!("unknown state {state}"))?,
            ttl_exempt: flags & FLAG_TTL_EXEMPT != 0,
            body: body.into(),
        })
    })())
}
