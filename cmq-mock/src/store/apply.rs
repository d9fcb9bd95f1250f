//! The writer's side of the connection: each [`Record`] as SQL, a group as one transaction.
//!
//! Per group, the queues' `next_seq` / `last_enqueue_ms` are written once per queue (the
//! highest values the group's sends reached), not once per message.

use std::collections::HashMap;

use rusqlite::{Connection, params};

use super::records::{
    MsgRow, NameKind, PushRow, QueueConfigChange, QueueRow, Record, RowState, SubRow, TopicRow,
    body_crc, list_to_text, msg_key, queue_start,
};

/// Checkpoint the log into the main file after this many groups …
const CHECKPOINT_GROUPS: u64 = 1_000;
/// … or this many records, whichever comes first.
const CHECKPOINT_RECORDS: u64 = 50_000;

/// Owns the connection on the writer thread.
pub(crate) struct Applier {
    conn: Connection,
    /// Per queue uid: (next_seq, last_enqueue_ms) reached in the current group.
    seqs: HashMap<u32, (u64, u64)>,
    groups_since_checkpoint: u64,
    records_since_checkpoint: u64,
}

fn i(v: u64) -> i64 {
    v as i64
}

impl Applier {
    pub(crate) fn new(conn: Connection) -> Self {
        Self {
            conn,
            seqs: HashMap::new(),
            groups_since_checkpoint: 0,
            records_since_checkpoint: 0,
        }
    }

    /// Applies a group as one transaction; returns once it is on disk.
    pub(crate) fn commit(&mut self, batch: &[Record]) -> rusqlite::Result<()> {
        self.conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        let applied = self.apply_all(batch);
        if let Err(e) = applied {
            let _ = self.conn.execute_batch("ROLLBACK");
            self.seqs.clear();
            return Err(e);
        }
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        self.groups_since_checkpoint += 1;
        self.records_since_checkpoint += batch.len() as u64;
        Ok(())
    }

    fn apply_all(&mut self, batch: &[Record]) -> rusqlite::Result<()> {
        for r in batch {
            self.apply(r)?;
        }
        let mut st = self.conn.prepare_cached(
            "UPDATE queues SET next_seq = max(next_seq, ?2), \
             last_enqueue_ms = max(last_enqueue_ms, ?3) WHERE uid = ?1",
        )?;
        for (uid, (next, last)) in self.seqs.drain() {
            st.execute(params![uid, i(next), i(last)])?;
        }
        Ok(())
    }

    /// Moves the log into the main file when it has grown (between groups, never inside one).
    pub(crate) fn maybe_checkpoint(&mut self) -> rusqlite::Result<()> {
        if self.groups_since_checkpoint < CHECKPOINT_GROUPS
            && self.records_since_checkpoint < CHECKPOINT_RECORDS
        {
            return Ok(());
        }
        self.groups_since_checkpoint = 0;
        self.records_since_checkpoint = 0;
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
    }

    /// A last checkpoint that empties the log, then closes the file.
    pub(crate) fn close(self) -> rusqlite::Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        self.conn.close().map_err(|(_, e)| e)
    }

    fn note_seq(&mut self, row: &MsgRow) {
        let e = self.seqs.entry(row.uid).or_insert((0, 0));
        e.0 = e.0.max(row.seq + 1);
        e.1 = e.1.max(row.enqueue_ms);
    }

    /// One record as SQL.
    fn apply(&mut self, r: &Record) -> rusqlite::Result<()> {
        match self.apply_message(r) {
            Some(done) => done,
            None => self.apply_control(r),
        }
    }

    /// A message record as SQL; `None` for the other kinds.
    fn apply_message(&mut self, r: &Record) -> Option<rusqlite::Result<()>> {
        Some(match r {
            Record::MsgPut(row) => {
                self.note_seq(row);
                self.insert_msg(row)
            }
            Record::MsgReceived {
                uid,
                seq,
                visible_ms,
                first_dequeue_ms,
                dequeue_count,
                generation,
            } => self.exec(
                "UPDATE messages SET state = 1, visible_ms = ?2, first_dequeue_ms = ?3, \
                 dequeue_count = ?4, generation = ?5 WHERE key = ?1",
                params![
                    msg_key(*uid, *seq),
                    i(*visible_ms),
                    i(*first_dequeue_ms),
                    dequeue_count,
                    generation
                ],
            ),
            Record::MsgDeleted { uid, seq } => self.delete_msg(*uid, *seq),
            Record::MsgRetained { uid, seq } => self.exec(
                "UPDATE messages SET state = 3 WHERE key = ?1",
                params![msg_key(*uid, *seq)],
            ),
            Record::MsgMoved {
                from_uid,
                from_seq,
                row,
            } => self.move_msg(*from_uid, *from_seq, row),
            Record::Expired { uid, below_seq } => self.exec(
                "DELETE FROM messages WHERE key >= ?1 AND key < ?2",
                params![queue_start(*uid), msg_key(*uid, *below_seq)],
            ),
            Record::Rewound {
                uid,
                restore_from,
                now_ms,
                ttl_ms,
            } => self.rewind(*uid, *restore_from, *now_ms, *ttl_ms),
            _ => return None,
        })
    }

    /// Every other record as SQL (the match is exhaustive: message records were applied by
    /// [`Self::apply_message`]).
    fn apply_control(&mut self, r: &Record) -> rusqlite::Result<()> {
        match r {
            Record::MsgPut(_)
            | Record::MsgReceived { .. }
            | Record::MsgDeleted { .. }
            | Record::MsgRetained { .. }
            | Record::MsgMoved { .. }
            | Record::Expired { .. }
            | Record::Rewound { .. } => Ok(()),
            Record::Account(a) => self.exec(
                "INSERT INTO accounts(secret_id, secret_key, app_id, ordinal) \
                 VALUES (?1, ?2, ?3, (SELECT coalesce(max(ordinal), -1) + 1 FROM accounts)) \
                 ON CONFLICT(secret_id) DO UPDATE SET secret_key = excluded.secret_key",
                params![a.secret_id, a.secret_key, a.app_id],
            ),
            Record::AccountRemoved { secret_id } => self.remove_account(secret_id),
            Record::AccountReset { secret_id } => self.reset_account(secret_id),
            Record::QueueCreated(q) => self.create_queue(q),
            Record::QueueConfig(c) => self.queue_config(c),
            Record::QueueDeleted {
                uid,
                account,
                key,
                at_ms,
            } => {
                self.delete_queue_rows(*uid)?;
                self.deleted_name(account, NameKind::Queue, key, *at_ms)
            }
            Record::TopicMsgIds { account, next } => self.exec(
                "UPDATE accounts SET next_topic_msg_id = max(next_topic_msg_id, ?2) \
                 WHERE secret_id = ?1",
                params![account, i(*next)],
            ),
            Record::ManualClock(ms) => self.manual_clock(*ms),
            Record::ExtrasPut { kind, id, json } => self.put_extras(*kind, id, json),
            Record::TopicPut(t) => self.put_topic(t),
            Record::TopicDeleted {
                account,
                key,
                topic_id,
                at_ms,
            } => self.delete_topic(account, key, topic_id, *at_ms),
            Record::SubPut(s) => self.put_sub(s),
            Record::SubDeleted { sub_id } => self.delete_sub(sub_id),
            Record::PushPut(p) => self.put_push(p),
            Record::PushDone { sub_id, msg_id } => self.exec(
                "DELETE FROM push WHERE sub_id = ?1 AND msg_id = ?2",
                params![&**sub_id, msg_id],
            ),
            Record::PushRetry {
                sub_id,
                msg_id,
                attempts,
                next_attempt_ms,
            } => self.exec(
                "UPDATE push SET attempts = ?3, next_attempt_ms = ?4 \
                 WHERE sub_id = ?1 AND msg_id = ?2",
                params![&**sub_id, msg_id, attempts, i(*next_attempt_ms)],
            ),
        }
    }

    fn move_msg(&mut self, from_uid: u32, from_seq: u64, row: &MsgRow) -> rusqlite::Result<()> {
        self.delete_msg(from_uid, from_seq)?;
        self.note_seq(row);
        self.insert_msg(row)
    }

    fn delete_msg(&self, uid: u32, seq: u64) -> rusqlite::Result<()> {
        self.exec(
            "DELETE FROM messages WHERE key = ?1",
            params![msg_key(uid, seq)],
        )
    }

    fn manual_clock(&self, ms: Option<u64>) -> rusqlite::Result<()> {
        match ms {
            Some(ms) => self.exec(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('manual_clock_ms', ?1)",
                params![i(ms)],
            ),
            None => self.exec("DELETE FROM meta WHERE key = 'manual_clock_ms'", params![]),
        }
    }

    fn remove_account(&self, secret_id: &str) -> rusqlite::Result<()> {
        self.reset_account(secret_id)?;
        self.exec(
            "DELETE FROM accounts WHERE secret_id = ?1",
            params![secret_id],
        )
    }

    fn delete_topic(
        &self,
        account: &str,
        key: &str,
        topic_id: &str,
        at_ms: u64,
    ) -> rusqlite::Result<()> {
        self.exec(
            "DELETE FROM push WHERE sub_id IN \
             (SELECT sub_id FROM subscriptions WHERE topic_id = ?1)",
            params![topic_id],
        )?;
        self.exec(
            "DELETE FROM subscriptions WHERE topic_id = ?1",
            params![topic_id],
        )?;
        self.exec("DELETE FROM extras WHERE id = ?1", params![topic_id])?;
        self.exec("DELETE FROM topics WHERE topic_id = ?1", params![topic_id])?;
        self.deleted_name(account, NameKind::Topic, key, at_ms)
    }

    fn delete_sub(&self, sub_id: &str) -> rusqlite::Result<()> {
        self.exec("DELETE FROM push WHERE sub_id = ?1", params![sub_id])?;
        self.exec(
            "DELETE FROM subscriptions WHERE sub_id = ?1",
            params![sub_id],
        )
    }

    fn exec(&self, sql: &str, p: impl rusqlite::Params) -> rusqlite::Result<()> {
        self.conn.prepare_cached(sql)?.execute(p).map(|_| ())
    }

    fn insert_msg(&self, m: &MsgRow) -> rusqlite::Result<()> {
        let crc = body_crc(m.msg_id, m.enqueue_ms, &m.body);
        self.exec(
            "INSERT INTO messages(key, msg_id, enqueue_ms, first_dequeue_ms, visible_ms, \
             dequeue_count, generation, state, flags, crc, body) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                msg_key(m.uid, m.seq),
                i(m.msg_id),
                i(m.enqueue_ms),
                i(m.first_dequeue_ms),
                i(m.visible_ms),
                m.dequeue_count,
                m.generation,
                m.state as u8,
                i64::from(m.ttl_exempt),
                crc,
                &*m.body
            ],
        )
    }

    fn rewind(
        &self,
        uid: u32,
        restore_from: Option<u64>,
        now: u64,
        ttl: Option<u64>,
    ) -> rusqlite::Result<()> {
        let end = queue_start(uid + 1);
        if let Some(from) = restore_from {
            self.exec(
                "UPDATE messages SET state = 0, visible_ms = ?3, flags = CASE \
                 WHEN ?4 IS NOT NULL AND enqueue_ms + ?4 <= ?3 THEN 1 ELSE 0 END \
                 WHERE key >= ?1 AND key < ?2 AND state = 3",
                params![msg_key(uid, from), end, i(now), ttl.map(i)],
            )?;
        }
        self.exec(
            "UPDATE messages SET state = 0, visible_ms = ?3 \
             WHERE key >= ?1 AND key < ?2 AND state = 1 AND visible_ms > ?3",
            params![queue_start(uid), end, i(now)],
        )
    }

    fn create_queue(&self, q: &QueueRow) -> rusqlite::Result<()> {
        self.exec(
            "INSERT INTO queues(uid, account, name, queue_id, create_seq, create_ms, modify_ms, \
             rule_since_ms, next_seq, last_enqueue_ms, max_msg_heap_num, polling_wait_seconds, \
             visibility_timeout, max_msg_size, msg_retention_seconds, rewind_seconds) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, 0, 0, 0, 0, 0)",
            params![
                q.uid,
                q.account,
                q.name,
                q.queue_id,
                i(q.create_seq),
                i(q.create_ms),
                i(q.modify_ms),
                i(q.rule_since_ms),
                i(q.next_seq),
                i(q.last_enqueue_ms)
            ],
        )?;
        self.set_config(q.uid, &q.config)?;
        self.exec(
            "DELETE FROM deleted_names WHERE account = ?1 AND kind = ?2 AND key = ?3",
            params![
                q.account,
                NameKind::Queue as u8,
                q.name.to_ascii_lowercase()
            ],
        )?;
        self.exec(
            "UPDATE meta SET value = max(value, ?1) WHERE key = 'next_queue_uid'",
            params![i64::from(q.uid) + 1],
        )
    }

    fn set_config(&self, uid: u32, c: &crate::engine::QueueConfig) -> rusqlite::Result<()> {
        let p = c.dead_letter_policy.as_ref();
        self.exec(
            "UPDATE queues SET max_msg_heap_num = ?2, polling_wait_seconds = ?3, \
             visibility_timeout = ?4, max_msg_size = ?5, msg_retention_seconds = ?6, \
             rewind_seconds = ?7, dlq_name = ?8, dlq_policy = ?9, dlq_max_receive_count = ?10, \
             dlq_max_time_to_live = ?11 WHERE uid = ?1",
            params![
                uid,
                i(c.max_msg_heap_num),
                c.polling_wait_seconds,
                c.visibility_timeout,
                c.max_msg_size,
                c.msg_retention_seconds,
                c.rewind_seconds,
                p.map(|p| p.dead_letter_queue.as_str()),
                p.map(|p| p.policy),
                p.and_then(|p| p.max_receive_count),
                p.and_then(|p| p.max_time_to_live)
            ],
        )
    }

    fn queue_config(&self, c: &QueueConfigChange) -> rusqlite::Result<()> {
        self.set_config(c.uid, &c.config)?;
        self.exec(
            "UPDATE queues SET modify_ms = ?2, rule_since_ms = ?3 WHERE uid = ?1",
            params![c.uid, i(c.modify_ms), i(c.rule_since_ms)],
        )?;
        let range = (queue_start(c.uid), queue_start(c.uid + 1));
        if c.rule_changed {
            self.exec(
                "UPDATE messages SET flags = 0 WHERE key >= ?1 AND key < ?2 AND flags != 0",
                params![range.0, range.1],
            )?;
        }
        if c.drop_retained {
            self.exec(
                "DELETE FROM messages WHERE key >= ?1 AND key < ?2 AND state = ?3",
                params![range.0, range.1, RowState::Deleted as u8],
            )?;
        }
        Ok(())
    }

    fn delete_queue_rows(&self, uid: u32) -> rusqlite::Result<()> {
        self.exec(
            "DELETE FROM extras WHERE id IN (SELECT queue_id FROM queues WHERE uid = ?1)",
            params![uid],
        )?;
        self.exec(
            "DELETE FROM messages WHERE key >= ?1 AND key < ?2",
            params![queue_start(uid), queue_start(uid + 1)],
        )?;
        self.exec("DELETE FROM queues WHERE uid = ?1", params![uid])
    }

    fn deleted_name(
        &self,
        account: &str,
        kind: NameKind,
        key: &str,
        at_ms: u64,
    ) -> rusqlite::Result<()> {
        self.exec(
            "INSERT OR REPLACE INTO deleted_names(account, kind, key, at_ms) \
             VALUES (?1, ?2, ?3, ?4)",
            params![account, kind as u8, key, i(at_ms)],
        )
    }

    fn reset_account(&self, account: &str) -> rusqlite::Result<()> {
        let uids: Vec<u32> = {
            let mut st = self
                .conn
                .prepare_cached("SELECT uid FROM queues WHERE account = ?1")?;
            st.query_map(params![account], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        for uid in uids {
            self.delete_queue_rows(uid)?;
        }
        self.exec(
            "DELETE FROM push WHERE sub_id IN (SELECT sub_id FROM subscriptions WHERE topic_id \
             IN (SELECT topic_id FROM topics WHERE account = ?1))",
            params![account],
        )?;
        self.exec(
            "DELETE FROM subscriptions WHERE topic_id IN \
             (SELECT topic_id FROM topics WHERE account = ?1)",
            params![account],
        )?;
        self.exec(
            "DELETE FROM extras WHERE id IN (SELECT topic_id FROM topics WHERE account = ?1)",
            params![account],
        )?;
        self.exec("DELETE FROM topics WHERE account = ?1", params![account])?;
        self.exec(
            "DELETE FROM deleted_names WHERE account = ?1",
            params![account],
        )
    }

    fn put_topic(&self, t: &TopicRow) -> rusqlite::Result<()> {
        self.exec(
            "INSERT OR REPLACE INTO topics(topic_id, account, name, filter_type, create_ms, \
             modify_ms, seq, max_msg_size) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                t.topic_id,
                t.account,
                t.name,
                t.filter_type,
                i(t.create_ms),
                i(t.modify_ms),
                i(t.seq),
                i(t.max_msg_size)
            ],
        )?;
        self.exec(
            "DELETE FROM deleted_names WHERE account = ?1 AND kind = ?2 AND key = ?3",
            params![t.account, NameKind::Topic as u8, t.name.to_lowercase()],
        )
    }

    /// A resource's extras, if the resource is (still) stored: a queue or topic deleted (over
    /// API 2.0, say) between its creation and this record leaves no row behind.
    fn put_extras(&self, kind: NameKind, id: &str, json: &str) -> rusqlite::Result<()> {
        let sql = match kind {
            NameKind::Queue => {
                "INSERT OR REPLACE INTO extras(id, kind, json) SELECT ?1, ?2, ?3 \
                 WHERE EXISTS (SELECT 1 FROM queues WHERE queue_id = ?1)"
            }
            NameKind::Topic => {
                "INSERT OR REPLACE INTO extras(id, kind, json) SELECT ?1, ?2, ?3 \
                 WHERE EXISTS (SELECT 1 FROM topics WHERE topic_id = ?1)"
            }
        };
        self.exec(sql, params![id, kind as u8, json])
    }

    fn put_sub(&self, s: &SubRow) -> rusqlite::Result<()> {
        self.exec(
            "INSERT INTO subscriptions(sub_id, topic_id, name, protocol, endpoint, strategy, \
             format, filter_tags, binding_keys, create_ms, modify_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
             ON CONFLICT(sub_id) DO UPDATE SET strategy = excluded.strategy, \
             format = excluded.format, filter_tags = excluded.filter_tags, \
             binding_keys = excluded.binding_keys, modify_ms = excluded.modify_ms",
            params![
                s.sub_id,
                s.topic_id,
                s.name,
                s.protocol,
                s.endpoint,
                s.strategy,
                s.format,
                list_to_text(&s.filter_tags),
                list_to_text(&s.binding_keys),
                i(s.create_ms),
                i(s.modify_ms)
            ],
        )
    }

    fn put_push(&self, p: &PushRow) -> rusqlite::Result<()> {
        self.exec(
            "INSERT INTO push(sub_id, msg_id, publish_ms, expires_ms, attempts, \
             next_attempt_ms, tags, crc, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                &*p.sub_id,
                p.msg_id,
                i(p.publish_ms),
                i(p.expires_ms),
                p.attempts,
                p.next_attempt_ms.map(i),
                list_to_text(&p.tags),
                push_crc(p),
                p.body
            ],
        )
    }
}

/// The checksum of a push row: the body's CRC with the message id's bytes in place of the
/// msgId and the publish time in place of the enqueue time.
pub(crate) fn push_crc(p: &PushRow) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(p.msg_id.as_bytes());
    h.update(&p.publish_ms.to_le_bytes());
    h.update(p.body.as_bytes());
    h.finalize()
}
