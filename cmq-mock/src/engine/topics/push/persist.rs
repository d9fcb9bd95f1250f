//! A push channel and the store: its backlog entries (one row per message, in order), their
//! failed attempts and the time of their next retry; and the channel rebuilt from them.

use std::sync::Arc;

use super::{PushChannel, PushMessage, Pusher};
use crate::store::Log;
use crate::store::records::{PushRow, Record};

/// Where a channel writes its backlog.
pub(super) struct Persist {
    log: Arc<Log>,
    sub_id: Arc<str>,
}

impl PushChannel {
    /// From now on, the backlog of this channel (subscription `sub_id`) is written to `log`.
    pub(crate) fn persist_to(&self, log: Arc<Log>, sub_id: &str) {
        let _ = self.persist.set(Persist {
            log,
            sub_id: Arc::from(sub_id),
        });
    }

    /// A message joins the backlog (called under the backlog's lock, so rows keep its order).
    pub(super) fn persist_put(&self, m: &PushMessage) {
        if let Some(p) = self.persist.get() {
            p.log.submit(Record::PushPut(Box::new(PushRow {
                sub_id: p.sub_id.clone(),
                msg_id: m.msg_id.clone(),
                body: m.body.clone(),
                tags: m.tags.clone(),
                publish_ms: m.publish_ms,
                expires_ms: m.expires_ms,
                attempts: 0,
                next_attempt_ms: None,
            })));
        }
    }

    /// A message left the backlog (delivered, dropped or expired).
    pub(super) fn persist_done(&self, msg_id: &str) {
        if let Some(p) = self.persist.get() {
            p.log.submit(Record::PushDone {
                sub_id: p.sub_id.clone(),
                msg_id: msg_id.to_owned(),
            });
        }
    }

    /// Attempt number `attempts` of a message failed; the next one is due at `next_at`.
    pub(super) fn persist_retry(&self, msg_id: &str, attempts: u32, next_at: u64) {
        if let Some(p) = self.persist.get() {
            p.log.submit(Record::PushRetry {
                sub_id: p.sub_id.clone(),
                msg_id: msg_id.to_owned(),
                attempts,
                next_attempt_ms: next_at,
            });
        }
    }

    /// Appends a message read back from the store, with its failed attempts and the time its
    /// next attempt is due.
    pub(crate) fn restore_entry(
        &self,
        msg: Arc<PushMessage>,
        attempts: u32,
        next_attempt_ms: Option<u64>,
    ) {
        self.lock_queue()
            .restore(msg, attempts, next_attempt_ms.unwrap_or(0));
    }

    /// Starts the worker if the backlog holds messages and none runs.
    pub(crate) fn start_worker(self: &Arc<Self>, pusher: &Arc<Pusher>) {
        let spawn_on = {
            let mut q = self.lock_queue();
            if q.len() == 0 || q.worker_running || q.stopped {
                None
            } else {
                let rt = pusher.runtime();
                q.worker_running = rt.is_some();
                if q.worker_running {
                    q.worker_id = pusher.activity.spawned();
                }
                rt.map(|rt| (rt, q.worker_id))
            }
        };
        if let Some((rt, id)) = spawn_on {
            rt.spawn(self.clone().run(pusher.clone(), id));
        }
    }
}
