//! The engine and the store ([`crate::store`]): attaching the log every change is written to,
//! and rebuilding every account, queue, topic, subscription and push backlog from a store that
//! was read back, exactly as they were (identities, counters, settings, times).
//!
//! Order of a restart: accounts (the first is the default one), queues without messages (then
//! their dead-letter bindings, from each stored policy), the names deleted recently, topics,
//! subscriptions, push backlogs (their workers start), then the messages are streamed queue by
//! queue into [`Restored::messages`]; only then is the log attached, so nothing of this is
//! written again.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::queue::Queue;
use super::topics::persist::restore_backlogs;
use super::{Account, Engine};
use crate::store::records::{AccountRow, MsgRow, NameKind, Record};
use crate::store::{Log, Recovered, StoreError};

fn corrupt(file: &Path, table: &str, key: &str, what: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        file: file.to_path_buf(),
        place: format!("table {table}, key {key}"),
        what: what.into(),
    }
}

/// The queues of a restored engine by uid, to stream their messages into.
#[derive(Debug, Default)]
pub(crate) struct Restored {
    queues: HashMap<u32, Arc<Queue>>,
}

impl Restored {
    /// Stores message rows of queue `uid` (in production order).
    pub(crate) fn messages(&self, uid: u32, rows: &mut Vec<MsgRow>) -> Result<(), String> {
        match self.queues.get(&uid) {
            Some(q) => q.restore_rows(rows),
            None => Err(format!("no queue has uid {uid}")),
        }
    }
}

impl Engine {
    /// From now on every change is written to `log`.
    pub(crate) fn attach_log(&self, log: Arc<Log>) {
        let _ = self.inner.ctx.log.set(log);
    }

    /// The log, when a store is attached.
    pub(crate) fn store_log(&self) -> Option<&Arc<Log>> {
        self.inner.ctx.log.get()
    }

    pub(super) fn log_account(&self, a: &Account) {
        if let Some(log) = self.store_log() {
            log.submit(Record::Account(Box::new(AccountRow {
                secret_id: a.secret_id().to_owned(),
                secret_key: a.secret_key().to_string(),
                app_id: a.app_id().to_owned(),
                next_topic_msg_id: 0,
            })));
        }
    }

    pub(super) fn log_account_removed(&self, a: &Account) {
        if let Some(log) = self.store_log() {
            log.submit(Record::AccountRemoved {
                secret_id: a.secret_id().to_owned(),
            });
        }
    }

    /// Rebuilds a fresh engine from what a store held (but its messages, which go to
    /// [`Restored::messages`]). `log` is where restored push channels write from now on.
    pub(crate) fn restore(&self, rec: &Recovered, log: &Arc<Log>) -> Result<Restored, StoreError> {
        let file = log.file();
        let accounts = self.restore_accounts(rec);
        let mut restored = Restored::default();
        let mut max_uid = 0u32;
        let mut by_account: HashMap<&str, Vec<Arc<Queue>>> = HashMap::new();
        for row in &rec.queues {
            let q = Queue::restore(self.inner.ctx.clone(), row);
            max_uid = max_uid.max(row.uid);
            restored.queues.insert(row.uid, q.clone());
            by_account.entry(row.account.as_str()).or_default().push(q);
        }
        let next_uid = rec.next_queue_uid.max(max_uid.saturating_add(1)).max(1);
        self.inner
            .ctx
            .next_queue_uid
            .store(next_uid, Ordering::Relaxed);
        for (id, account) in &accounts {
            let queues = by_account.remove(id.as_str()).unwrap_or_default();
            let deleted = rec
                .deleted
                .iter()
                .filter(|d| d.account == *id && d.kind == NameKind::Queue)
                .map(|d| (d.key.clone(), d.at_ms))
                .collect();
            account
                .restore_queues(queues, deleted)
                .map_err(|e| corrupt(file, "queues", id, e))?;
            let topics_deleted = rec
                .deleted
                .iter()
                .filter(|d| d.account == *id && d.kind == NameKind::Topic);
            account
                .topics
                .restore_deleted(topics_deleted.map(|d| (d.key.clone(), d.at_ms)));
        }
        self.restore_topics(rec, &accounts, log)?;
        Ok(restored)
    }

    fn restore_accounts(&self, rec: &Recovered) -> Vec<(String, Arc<Account>)> {
        let mut map = self
            .inner
            .accounts
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for a in &rec.accounts {
            let account = Arc::new(Account::new(
                self.inner.ctx.clone(),
                &a.secret_id,
                &a.secret_key,
                a.app_id.clone(),
            ));
            account.topics.restore_next_msg_id(a.next_topic_msg_id);
            map.insert(a.secret_id.clone(), account.clone());
            out.push((a.secret_id.clone(), account));
        }
        let mut default = self
            .inner
            .default_account
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if default.is_none() {
            *default = rec.accounts.first().map(|a| a.secret_id.clone());
        }
        out
    }

    /// Topics, subscriptions and push backlogs.
    fn restore_topics(
        &self,
        rec: &Recovered,
        accounts: &[(String, Arc<Account>)],
        log: &Arc<Log>,
    ) -> Result<(), StoreError> {
        let file = log.file();
        let account_of: HashMap<&str, &Arc<Account>> =
            accounts.iter().map(|(id, a)| (id.as_str(), a)).collect();
        let mut topics = HashMap::new();
        for row in &rec.topics {
            let a = account_of
                .get(row.account.as_str())
                .ok_or_else(|| corrupt(file, "topics", &row.topic_id, "unknown account"))?;
            let t = a
                .restore_topic(row)
                .map_err(|e| corrupt(file, "topics", &row.topic_id, e))?;
            topics.insert(row.topic_id.as_str(), (t, *a));
        }
        let mut subs = HashMap::new();
        for row in &rec.subs {
            let (t, a) = topics
                .get(row.topic_id.as_str())
                .ok_or_else(|| corrupt(file, "subscriptions", &row.sub_id, "unknown topic"))?;
            let s = a
                .restore_subscription(t, row, log)
                .map_err(|e| corrupt(file, "subscriptions", &row.sub_id, e))?;
            subs.insert(row.sub_id.as_str(), (t.clone(), s));
        }
        let mut backlog = Vec::with_capacity(rec.push.len());
        for row in &rec.push {
            let (t, s) = subs
                .get(&*row.sub_id)
                .ok_or_else(|| corrupt(file, "push", &row.msg_id, "unknown subscription"))?;
            if s.push.is_none() {
                return Err(corrupt(
                    file,
                    "push",
                    &row.msg_id,
                    "a queue subscription has no push backlog",
                ));
            }
            backlog.push((row.clone(), t.clone(), s.clone()));
        }
        restore_backlogs(backlog, &self.inner.ctx.pusher);
        Ok(())
    }
}
