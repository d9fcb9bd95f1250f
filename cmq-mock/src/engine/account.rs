//! An account (one SecretId): its key, its appId, its queues and its topics. This file holds the
//! queue control plane (create, delete, list, attributes, dead-letter bindings) and the message
//! operations by queue name; the topic operations are in [`super::topics`].

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use super::error::{EngineError, EngineResult, ErrorKind};
use super::limits::Limits;
use super::queue::Queue;
use super::topics::Topics;
use super::topics::push::Pusher;
use super::types::{
    Page, QueueAttributes, QueueConfig, QueueConfigUpdate, QueueSnapshot, QueueSummary,
    ReceivedMessage,
};
use super::{Ctx, ids, ms_of};
use crate::clock::Clock;

mod persist;

/// Control-plane bookkeeping, serialised by one mutex (the hot path never takes it).
#[derive(Default)]
struct Control {
    /// Deletion time (ms) of recently deleted names, for the recreate block.
    deleted_at: HashMap<String, u64>,
    /// Source key → its dead-letter queue's key.
    dlq_of: HashMap<String, String>,
    /// Dead-letter queue key → its sources' keys.
    sources: HashMap<String, BTreeSet<String>>,
    next_create_seq: u64,
}

/// One account: fully isolated from the others.
pub struct Account {
    secret_id: Box<str>,
    secret_key: RwLock<Arc<str>>,
    app_id: Box<str>,
    ctx: Arc<Ctx>,
    pub(crate) topics: Topics,
    /// Lower-cased name → queue. Read-mostly: the message operations take it only to look up.
    queues: RwLock<HashMap<String, Arc<Queue>>>,
    control: Mutex<Control>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("secret_id", &self.secret_id)
            .finish_non_exhaustive()
    }
}

fn not_exist(name: &str) -> EngineError {
    EngineError::with_detail(ErrorKind::QueueNotExist, name.to_owned())
}

/// A case-insensitive substring match (an absent or empty search word matches everything).
fn matches(name: &str, search: Option<&str>) -> bool {
    match search {
        None | Some("") => true,
        Some(w) => name.to_ascii_lowercase().contains(&w.to_ascii_lowercase()),
    }
}

fn page(mut found: Vec<Arc<Queue>>, offset: usize, limit: usize) -> Page<QueueSummary> {
    found.sort_by_key(|q| q.create_seq());
    Page::of(found, offset, limit, |q| QueueSummary {
        queue_id: q.queue_id().to_owned(),
        queue_name: q.name().to_owned(),
    })
}

impl Account {
    pub(crate) fn new(ctx: Arc<Ctx>, secret_id: &str, secret_key: &str, app_id: String) -> Self {
        Self {
            secret_id: secret_id.into(),
            secret_key: RwLock::new(secret_key.into()),
            app_id: app_id.into(),
            ctx,
            topics: Topics::default(),
            queues: RwLock::new(HashMap::new()),
            control: Mutex::new(Control::default()),
        }
    }

    /// The SecretId.
    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// The SecretKey, for signature checks.
    pub fn secret_key(&self) -> Arc<str> {
        self.secret_key
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the SecretKey.
    pub fn set_secret_key(&self, key: &str) {
        *self.secret_key.write().unwrap_or_else(|e| e.into_inner()) = key.into();
    }

    /// The appId: the owner of the account's topics (a decimal string).
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The engine's clock.
    pub fn clock(&self) -> &Clock {
        &self.ctx.clock
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.ctx.limits
    }

    pub(crate) fn pusher(&self) -> &Arc<Pusher> {
        &self.ctx.pusher
    }

    /// How long a published message waits for delivery, in ms.
    pub(crate) fn message_lifetime_ms(&self) -> u64 {
        ms_of(self.ctx.pusher.config().message_lifetime)
    }

    fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn map(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<Queue>>> {
        self.queues.read().unwrap_or_else(|e| e.into_inner())
    }

    fn map_mut(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<Queue>>> {
        self.queues.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The queue called `name` (case-insensitively), if it exists.
    pub fn queue(&self, name: &str) -> Option<Arc<Queue>> {
        self.map().get(ids::name_key(name).as_ref()).cloned()
    }

    fn get(&self, name: &str) -> EngineResult<Arc<Queue>> {
        self.queue(name).ok_or_else(|| not_exist(name))
    }

    /// Receives waiting (long polling) on this account's queues now.
    pub fn waiting_receives(&self) -> usize {
        let queues: Vec<Arc<Queue>> = self.map().values().cloned().collect();
        queues.iter().map(|q| q.waiting_receives()).sum()
    }

    /// Every queue's name, in creation order.
    pub fn queue_names(&self) -> Vec<String> {
        let mut qs: Vec<Arc<Queue>> = self.map().values().cloned().collect();
        qs.sort_by_key(|q| q.create_seq());
        qs.iter().map(|q| q.name().to_owned()).collect()
    }

    // ---------------------------------------------------------------- queue management

    /// CreateQueue. Checks, in order: the profile's name rule (10020), an existing queue of that name in
    /// any case (4460/10210), the recreate block after a deletion (6040/10660), the quota
    /// (4450/10220), rewindSeconds ≤ msgRetentionSeconds (10700), the dead-letter policy (10720,
    /// 10730, 10740, 10780). Returns the new queueId.
    pub fn create_queue(&self, name: &str, settings: &QueueConfigUpdate) -> EngineResult<String> {
        if !self.ctx.limits.queue_name.allows(name) {
            return Err(EngineError::with_detail(
                ErrorKind::QueueNameFormat,
                name.to_owned(),
            ));
        }
        let key = name.to_ascii_lowercase();
        let mut ctl = self.control();
        if self.map().contains_key(&key) {
            return Err(EngineError::with_detail(
                ErrorKind::QueueAlreadyExists,
                name.to_owned(),
            ));
        }
        let now = self.ctx.clock.now_ms();
        let block_ms = ms_of(self.ctx.limits.recreate_block);
        ctl.deleted_at
            .retain(|_, at| now < at.saturating_add(block_ms));
        if ctl.deleted_at.contains_key(&key) {
            return Err(EngineError::with_detail(
                ErrorKind::QueueReleasing,
                name.to_owned(),
            ));
        }
        if self.map().len() >= self.ctx.limits.max_queues_per_account {
            return Err(ErrorKind::QueueQuotaExceeded.into());
        }
        let mut config = QueueConfig::default().apply(settings);
        config.validate()?;
        let dlq = match config.dead_letter_policy.as_mut() {
            Some(policy) => {
                let dlq = self.check_dead_letter(&ctl, &key, &policy.dead_letter_queue)?;
                policy.dead_letter_queue = dlq.name().to_owned();
                Some(dlq)
            }
            None => None,
        };
        let seq = ctl.next_create_seq;
        ctl.next_create_seq += 1;
        let queue = Queue::new(self.ctx.clone(), name, seq, config, dlq.clone());
        self.log_queue_created(&queue);
        self.map_mut().insert(key.clone(), queue.clone());
        if let Some(dlq) = dlq {
            Self::bind(&mut ctl, &key, &queue, &dlq);
        }
        Ok(queue.queue_id().to_owned())
    }

    /// Resolves and checks a dead-letter queue for source `key`: it must exist (10730), be
    /// neither the source itself nor a queue with its own dead-letter queue, while the source
    /// must not serve as one (10740), and serve fewer than the limit of other sources (10780).
    fn check_dead_letter(
        &self,
        ctl: &Control,
        key: &str,
        dlq_name: &str,
    ) -> EngineResult<Arc<Queue>> {
        let dkey = ids::name_key(dlq_name);
        let dlq = self.map().get(dkey.as_ref()).cloned().ok_or_else(|| {
            EngineError::with_detail(ErrorKind::DeadLetterQueueNotExist, dlq_name.to_owned())
        })?;
        let dkey = dkey.as_ref();
        if dkey == key
            || ctl.dlq_of.contains_key(dkey)
            || ctl.sources.get(key).is_some_and(|s| !s.is_empty())
        {
            return Err(EngineError::with_detail(
                ErrorKind::DeadLetterQueueNesting,
                dlq_name.to_owned(),
            ));
        }
        let others = ctl
            .sources
            .get(dkey)
            .map_or(0, |s| s.iter().filter(|k| *k != key).count());
        if others >= self.ctx.limits.max_dead_letter_sources {
            return Err(EngineError::with_detail(
                ErrorKind::DeadLetterQueueBindTooMany,
                dlq_name.to_owned(),
            ));
        }
        Ok(dlq)
    }

    fn bind(ctl: &mut Control, key: &str, source: &Arc<Queue>, dlq: &Arc<Queue>) {
        let dkey = ids::name_key(dlq.name()).into_owned();
        ctl.sources
            .entry(dkey.clone())
            .or_default()
            .insert(key.to_owned());
        ctl.dlq_of.insert(key.to_owned(), dkey);
        dlq.add_dl_source(source);
    }

    /// Forgets the binding of source `key`; returns the former dead-letter queue's key.
    fn unbind(&self, ctl: &mut Control, key: &str, source: &Queue) -> Option<String> {
        let dkey = ctl.dlq_of.remove(key)?;
        if let Some(set) = ctl.sources.get_mut(&dkey) {
            set.remove(key);
            if set.is_empty() {
                ctl.sources.remove(&dkey);
            }
        }
        if let Some(dlq) = self.map().get(&dkey) {
            dlq.remove_dl_source(source);
        }
        Some(dkey)
    }

    /// DeleteQueue. A dead-letter queue still bound to a source cannot be deleted (10750). Pending
    /// receives on the queue end with [`ErrorKind::QueueNotExist`]; the name stays blocked for
    /// [`Limits::recreate_block`](super::Limits).
    pub fn delete_queue(&self, name: &str) -> EngineResult<()> {
        let key = ids::name_key(name).into_owned();
        let mut ctl = self.control();
        let queue = self
            .map()
            .get(&key)
            .cloned()
            .ok_or_else(|| not_exist(name))?;
        if ctl.sources.get(&key).is_some_and(|s| !s.is_empty()) {
            return Err(EngineError::with_detail(
                ErrorKind::DeleteDeadLetterQueueNotAllowed,
                name.to_owned(),
            ));
        }
        self.unbind(&mut ctl, &key, &queue);
        self.map_mut().remove(&key);
        ctl.deleted_at.insert(key, self.ctx.clock.now_ms());
        queue.mark_deleted();
        self.log_queue_deleted(&ctl, &queue);
        Ok(())
    }

    /// ListQueue: queues whose name contains `search_word` (case-insensitively), in creation
    /// order, `limit` of them from `offset`, with the total number of matches.
    pub fn list_queues(
        &self,
        search_word: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Page<QueueSummary> {
        let found = self
            .map()
            .values()
            .filter(|q| matches(q.name(), search_word))
            .cloned()
            .collect();
        page(found, offset, limit)
    }

    /// GetQueueAttributes.
    pub fn get_queue_attributes(&self, name: &str) -> EngineResult<QueueAttributes> {
        self.get(name)?.attributes()
    }

    /// SetQueueAttributes: changes the values present in `update` and returns the attributes
    /// after the change. Checks rewindSeconds ≤ msgRetentionSeconds and the dead-letter rules
    /// against the resulting values. Turning rewind off drops the retained deleted messages.
    pub fn set_queue_attributes(
        &self,
        name: &str,
        update: &QueueConfigUpdate,
    ) -> EngineResult<QueueAttributes> {
        let key = ids::name_key(name).into_owned();
        let mut ctl = self.control();
        let queue = self
            .map()
            .get(&key)
            .cloned()
            .ok_or_else(|| not_exist(name))?;
        let mut config = queue.config()?.apply(update);
        config.validate()?;
        let new_dlq = match (
            &update.dead_letter_policy,
            config.dead_letter_policy.as_mut(),
        ) {
            (Some(_), Some(policy)) => {
                let dlq = self.check_dead_letter(&ctl, &key, &policy.dead_letter_queue)?;
                policy.dead_letter_queue = dlq.name().to_owned();
                Some(dlq)
            }
            _ => None,
        };
        let dlq = match new_dlq {
            Some(dlq) => {
                let same = ctl
                    .dlq_of
                    .get(&key)
                    .is_some_and(|d| *d == ids::name_key(dlq.name()));
                if !same {
                    self.unbind(&mut ctl, &key, &queue);
                    Self::bind(&mut ctl, &key, &queue, &dlq);
                }
                Some(dlq)
            }
            None => ctl
                .dlq_of
                .get(&key)
                .and_then(|d| self.map().get(d).cloned()),
        };
        queue.apply_config(config, dlq)?;
        queue.attributes()
    }

    /// RewindQueue; see [`Queue::rewind`].
    pub fn rewind_queue(&self, name: &str, start_consume_time: u64) -> EngineResult<()> {
        self.get(name)?.rewind(start_consume_time)
    }

    /// ListDeadLetterSourceQueues: the queues using `dead_letter_queue` as their dead-letter
    /// queue (4440 if it does not exist), filtered and paged like [`Account::list_queues`].
    pub fn list_dead_letter_source_queues(
        &self,
        dead_letter_queue: &str,
        search_word: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> EngineResult<Page<QueueSummary>> {
        let dkey = ids::name_key(dead_letter_queue).into_owned();
        let ctl = self.control();
        let map = self.map();
        if !map.contains_key(&dkey) {
            return Err(not_exist(dead_letter_queue));
        }
        let found = ctl
            .sources
            .get(&dkey)
            .into_iter()
            .flatten()
            .filter_map(|k| map.get(k))
            .filter(|q| matches(q.name(), search_word))
            .cloned()
            .collect();
        Ok(page(found, offset, limit))
    }

    /// UnbindDeadLetterQueue: removes the queue's dead-letter policy (10730 if it has none) and
    /// updates lastModifyTime.
    pub fn unbind_dead_letter_queue(&self, name: &str) -> EngineResult<()> {
        let key = ids::name_key(name).into_owned();
        let mut ctl = self.control();
        let queue = self
            .map()
            .get(&key)
            .cloned()
            .ok_or_else(|| not_exist(name))?;
        if self.unbind(&mut ctl, &key, &queue).is_none() {
            return Err(EngineError::with_detail(
                ErrorKind::DeadLetterQueueNotExist,
                name.to_owned(),
            ));
        }
        let mut config = queue.config()?;
        config.dead_letter_policy = None;
        queue.apply_config(config, None)
    }

    // ---------------------------------------------------------------- messages by queue name

    /// Sends one message (delayed by `delay_seconds`); returns its msgId. Also the way topics
    /// deliver to a queue subscription.
    pub fn send_message(
        &self,
        queue: &str,
        body: impl Into<Box<str>>,
        delay_seconds: u32,
    ) -> EngineResult<String> {
        self.get(queue)?.send_message(body, delay_seconds)
    }

    /// BatchSendMessage; returns the msgIds in order.
    pub fn batch_send_message<I, B>(
        &self,
        queue: &str,
        bodies: I,
        delay_seconds: u32,
    ) -> EngineResult<Vec<String>>
    where
        I: IntoIterator<Item = B>,
        B: Into<Box<str>>,
    {
        self.get(queue)?.batch_send_message(bodies, delay_seconds)
    }

    /// ReceiveMessage: one message, waiting up to `polling_wait_seconds` (else the queue's
    /// pollingWaitSeconds).
    pub async fn receive_message(
        &self,
        queue: &str,
        polling_wait_seconds: Option<u32>,
    ) -> EngineResult<ReceivedMessage> {
        let q = self.get(queue)?;
        let mut got = q.receive(1, polling_wait_seconds).await?;
        got.pop().ok_or_else(|| ErrorKind::NoMessage.into())
    }

    /// BatchReceiveMessage: 1–16 messages.
    pub async fn batch_receive_message(
        &self,
        queue: &str,
        num_of_msg: usize,
        polling_wait_seconds: Option<u32>,
    ) -> EngineResult<Vec<ReceivedMessage>> {
        let q = self.get(queue)?;
        q.receive(num_of_msg, polling_wait_seconds).await
    }

    /// DeleteMessage.
    pub fn delete_message(&self, queue: &str, receipt_handle: &str) -> EngineResult<()> {
        self.get(queue)?.delete_message(receipt_handle)
    }

    /// BatchDeleteMessage: one result per handle (the caller answers 0, 6010 or 6020 from them).
    pub fn batch_delete_message<S: AsRef<str>>(
        &self,
        queue: &str,
        receipt_handles: &[S],
    ) -> EngineResult<Vec<EngineResult<()>>> {
        self.get(queue)?.delete_messages(receipt_handles)
    }

    /// ClearCmqQueue; see [`Queue::clear`].
    pub fn clear_queue(&self, name: &str) -> EngineResult<u64> {
        self.get(name)?.clear()
    }

    /// A side-effect-free view of the queue's messages; see [`Queue::snapshot`].
    pub fn inspect_queue(&self, name: &str) -> EngineResult<QueueSnapshot> {
        self.get(name)?.snapshot()
    }

    /// Deletes every queue (pending receives end with 4440), topic and subscription (push workers
    /// stop, backlogs are dropped) and forgets recent deletions, so names can be reused at once.
    /// The key and appId stay.
    pub fn reset(&self) {
        self.topics.reset();
        let mut ctl = self.control();
        let queues: Vec<Arc<Queue>> = self.map_mut().drain().map(|(_, q)| q).collect();
        let next_create_seq = ctl.next_create_seq;
        *ctl = Control {
            next_create_seq,
            ..Control::default()
        };
        drop(ctl);
        for q in queues {
            q.mark_deleted();
        }
        self.log_reset();
    }
}
