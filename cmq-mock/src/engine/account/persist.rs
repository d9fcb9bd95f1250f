//! An account's queue management and the store: the records of creating, deleting and
//! resetting, and rebuilding the account's queues, dead-letter bindings and re-create block.

use std::sync::Arc;

use super::{Account, Control};
use crate::engine::ids;
use crate::engine::queue::Queue;
use crate::store::Log;
use crate::store::records::Record;

impl Account {
    /// The store's log, when one is attached.
    #[inline]
    pub(crate) fn store_log(&self) -> Option<&Arc<Log>> {
        self.ctx.log.get()
    }

    /// A queue was created (before anyone can reach it, so its record comes first).
    pub(super) fn log_queue_created(&self, q: &Queue) {
        if let Some(log) = self.store_log() {
            log.submit(Record::QueueCreated(Box::new(q.row(self.secret_id()))));
        }
    }

    /// A queue was deleted (after it was marked so: no change of it can follow).
    pub(super) fn log_queue_deleted(&self, ctl: &Control, q: &Queue) {
        if let Some(log) = self.store_log() {
            let key = ids::name_key(q.name()).into_owned();
            let at_ms = ctl.deleted_at.get(&key).copied().unwrap_or(0);
            log.submit(Record::QueueDeleted {
                uid: q.uid(),
                account: self.secret_id().to_owned(),
                key,
                at_ms,
            });
        }
    }

    /// The account was emptied.
    pub(super) fn log_reset(&self) {
        if let Some(log) = self.store_log() {
            log.submit(Record::AccountReset {
                secret_id: self.secret_id().to_owned(),
            });
        }
    }

    /// Puts back queues read from the store (messages come later), their dead-letter bindings
    /// (from each queue's stored policy) and the names deleted recently.
    pub(crate) fn restore_queues(
        &self,
        queues: Vec<Arc<Queue>>,
        deleted: Vec<(String, u64)>,
    ) -> Result<(), String> {
        let mut ctl = self.control();
        {
            let mut map = self.map_mut();
            for q in &queues {
                let key = ids::name_key(q.name()).into_owned();
                if map.insert(key, q.clone()).is_some() {
                    return Err(format!("queue name {} is stored twice", q.name()));
                }
                ctl.next_create_seq = ctl.next_create_seq.max(q.create_seq() + 1);
            }
        }
        ctl.deleted_at.extend(deleted);
        for q in &queues {
            let config = q.config().map_err(|e| e.to_string())?;
            let Some(policy) = config.dead_letter_policy else {
                continue;
            };
            let dkey = ids::name_key(&policy.dead_letter_queue).into_owned();
            let dlq = self.map().get(&dkey).cloned().ok_or_else(|| {
                format!(
                    "the dead-letter queue {} of queue {} does not exist",
                    policy.dead_letter_queue,
                    q.name()
                )
            })?;
            let key = ids::name_key(q.name()).into_owned();
            Self::bind(&mut ctl, &key, q, &dlq);
            q.restore_dlq(dlq);
        }
        Ok(())
    }
}
