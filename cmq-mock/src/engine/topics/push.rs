//! Push delivery to `http` subscriptions.
//!
//! Every `http` subscription owns a [`PushChannel`]: a backlog of messages waiting to be pushed,
//! in publish order ([`super::backlog`]). A worker task delivers them **one attempt at a time**,
//! the oldest message that is due first: a message is done once delivered (any 2xx), dropped
//! (retries exhausted) or expired (the topic's message lifetime after publishing). A message
//! waiting for a retry does not hold back the messages behind it, unless
//! [`PushConfig::retry_holds_back`] asks for strictly serial delivery (the spec's
//! `push_retry_holds_back` fact and decision). The worker exists only while the channel holds
//! messages: the first message spawns it and it ends when the channel is empty, so idle
//! subscriptions cost no task.
//!
//! Every wait is on the engine [`Clock`]: retry waits use [`Clock::sleep_until`] and the 15 s
//! push timeout is a race between the request and [`Clock::sleep`], so a test on a manual clock
//! steps a whole day of retries instantly. (The connect timeout is real time, inside reqwest.)
//!
//! Retry schedules ([`retry_delay`], numbers from the spec's `push_*` facts):
//! * `BACKOFF_RETRY`: a few retries, each after a uniformly random wait between the shortest and
//!   the longest (millisecond granularity, both ends included, drawn from one seeded
//!   [`fastrand::Rng`] per [`Pusher`]), then the message is dropped and delivery moves on.
//! * `EXPONENTIAL_DECAY_RETRY`: retries after waits that double from the first up to the
//!   longest, then stay there (about a day in all), then the message is dropped.
//!
//! A retry wait runs from the moment the failed attempt ended (the error status arrived, or the
//! 15 s timeout fired). A message that reaches its expiry while waiting is logged `Expired` at
//! that exact instant; a message expiring while an attempt for it is in flight is judged after
//! the attempt. Every other message also expires at its own instant (the backlog is ordered by
//! publish time, so the front is always the next to expire — up to the millisecond skew between
//! concurrent publishers).
//!
//! Bounds: a subscription's backlog holds at most [`PushConfig::max_backlog`] messages (the
//! oldest not being attempted is dropped, and logged `Dropped`, to make room), and one push
//! takes at most [`PushConfig::real_time_limit`] of real time even on a manual clock.
//!
//! Choices where the reference is silent: a 3xx answer is a failure (redirects are not
//! followed); the `x-cmq-request-id` is a fresh random id per attempt; the JSON body's
//! `TopicOwner` is a string (spec decision); `x-cmq-message-tag` is omitted when the message has no tags (and
//! when a tag cannot travel in a header); the reqwest client ignores `HTTP(S)_PROXY` unless
//! [`PushConfig::use_system_proxy`] is set.

use std::pin::pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use serde::Serialize;
use tokio::runtime::Handle;
use tokio::sync::{Notify, watch};

use cmq_sdk::generated::facts;
use cmq_sdk::generated::types::{NotifyContentFormat, NotifyStrategy, Protocol};

use super::activity::{PushActivity, WorkerGuard};
use super::backlog::{Backlog, Entry, Next};
use super::deliveries::{DeliveryLog, DeliveryOutcome, DeliveryRecord, PushFailure};
use crate::clock::Clock;

mod persist;

/// The `User-Agent` of every push (the spec's `push_user_agent`).
pub const USER_AGENT: &str = facts::PUSH_USER_AGENT;

/// How long a push may take to connect, real time: the mock's own setting (the service's
/// answer timeout, [`PushConfig::timeout`], covers the whole attempt on the engine clock).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Knobs of push delivery. [`PushConfig::default`] is CMQ's documented behaviour, from the
/// spec's `push_*` facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushConfig {
    /// How long an endpoint has to answer, on the engine clock.
    pub timeout: Duration,
    /// TCP/TLS connect timeout, real time (5 s).
    pub connect_timeout: Duration,
    /// BACKOFF_RETRY: number of retries after the first attempt.
    pub backoff_retries: u32,
    /// BACKOFF_RETRY: the shortest wait before a retry.
    pub backoff_min: Duration,
    /// BACKOFF_RETRY: the longest wait before a retry.
    pub backoff_max: Duration,
    /// EXPONENTIAL_DECAY_RETRY: number of retries after the first attempt.
    pub exponential_retries: u32,
    /// EXPONENTIAL_DECAY_RETRY: the wait before the first retry; later waits double.
    pub exponential_first: Duration,
    /// EXPONENTIAL_DECAY_RETRY: the largest wait.
    pub exponential_cap: Duration,
    /// How long a published message lives before it is discarded undelivered.
    pub message_lifetime: Duration,
    /// Strictly serial delivery: a message waiting for a retry holds back the messages behind
    /// it. Off by default (the spec's `push_retry_holds_back`): they are pushed meanwhile.
    pub retry_holds_back: bool,
    /// Seed of the BACKOFF_RETRY jitter; `None` seeds from entropy.
    pub seed: Option<u64>,
    /// Honour `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` for pushes (off: push straight to the endpoint).
    pub use_system_proxy: bool,
    /// The most messages one subscription's push backlog holds (10,000). When a message arrives
    /// at a full backlog, the oldest message not being attempted is dropped and logged
    /// [`DeliveryOutcome::Dropped`]: a dead endpoint cannot make the mock hold a day of
    /// publishes.
    pub max_backlog: usize,
    /// The longest one push may take in **real** time (120 s), whatever the clock: on a manual
    /// clock that nobody advances, a hanging endpoint fails as a timeout after this instead of
    /// stalling its subscription forever.
    pub real_time_limit: Duration,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The default of [`PushConfig::max_backlog`].
pub const DEFAULT_PUSH_BACKLOG: usize = 10_000;

impl Default for PushConfig {
    fn default() -> Self {
        Self {
            timeout: facts::PUSH_TIMEOUT,
            connect_timeout: CONNECT_TIMEOUT,
            backoff_retries: count(facts::PUSH_BACKOFF_RETRIES),
            backoff_min: facts::PUSH_BACKOFF_MIN_WAIT,
            backoff_max: facts::PUSH_BACKOFF_MAX_WAIT,
            exponential_retries: count(facts::PUSH_EXPONENTIAL_RETRIES),
            exponential_first: facts::PUSH_EXPONENTIAL_FIRST_WAIT,
            exponential_cap: facts::PUSH_EXPONENTIAL_MAX_WAIT,
            message_lifetime: facts::TOPIC_MESSAGE_LIFETIME,
            retry_holds_back: facts::PUSH_RETRY_HOLDS_BACK,
            seed: None,
            use_system_proxy: false,
            max_backlog: DEFAULT_PUSH_BACKLOG,
            real_time_limit: Duration::from_secs(120),
        }
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The wait before retry number `retries_done + 1` under `strategy`, or `None` when the message
/// has had all its retries (`retries_done` = attempts so far − 1). BACKOFF_RETRY draws from `rng`.
pub fn retry_delay(
    config: &PushConfig,
    strategy: &NotifyStrategy,
    retries_done: u32,
    rng: &mut fastrand::Rng,
) -> Option<Duration> {
    match strategy {
        NotifyStrategy::BackoffRetry => (retries_done < config.backoff_retries).then(|| {
            let (lo, hi) = (ms(config.backoff_min), ms(config.backoff_max));
            Duration::from_millis(rng.u64(lo.min(hi)..=hi.max(lo)))
        }),
        // EXPONENTIAL_DECAY_RETRY, the default (a strategy the spec does not know never gets
        // this far: subscriptions refuse it).
        _ => (retries_done < config.exponential_retries).then(|| {
            let factor = 1u32.checked_shl(retries_done).unwrap_or(u32::MAX);
            config
                .exponential_first
                .checked_mul(factor)
                .unwrap_or(Duration::MAX)
                .min(config.exponential_cap)
        }),
    }
}

/// Shared push machinery of an engine: the HTTP client, the clock, the delivery log, the retry
/// jitter source. One per engine, shared by every account's topics.
pub struct Pusher {
    config: PushConfig,
    clock: Clock,
    log: Arc<DeliveryLog>,
    /// Built on the first push (engines that never push never build one).
    client: OnceLock<reqwest::Client>,
    rng: Mutex<fastrand::Rng>,
    handle: Option<Handle>,
    /// What the workers are doing (running or parked until when).
    pub(crate) activity: PushActivity,
}

impl std::fmt::Debug for Pusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pusher")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Pusher {
    /// Builds the pusher. Workers are spawned on the runtime current at spawn time, else on the
    /// runtime current here (if any).
    pub fn new(config: PushConfig, clock: Clock, log: Arc<DeliveryLog>) -> Self {
        let rng = match config.seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        };
        Self {
            config,
            clock,
            log,
            client: OnceLock::new(),
            rng: Mutex::new(rng),
            handle: Handle::try_current().ok(),
            activity: PushActivity::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &PushConfig {
        &self.config
    }

    /// The delivery log.
    pub fn log(&self) -> &Arc<DeliveryLog> {
        &self.log
    }

    fn client(&self) -> &reqwest::Client {
        self.client.get_or_init(|| {
            let mut builder = reqwest::Client::builder()
                .connect_timeout(self.config.connect_timeout)
                .timeout(self.config.real_time_limit)
                .redirect(reqwest::redirect::Policy::none());
            if !self.config.use_system_proxy {
                builder = builder.no_proxy();
            }
            builder.build().unwrap_or_else(|_| reqwest::Client::new())
        })
    }

    fn runtime(&self) -> Option<Handle> {
        Handle::try_current().ok().or_else(|| self.handle.clone())
    }

    fn next_delay(&self, strategy: &NotifyStrategy, retries_done: u32) -> Option<Duration> {
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        retry_delay(&self.config, strategy, retries_done, &mut rng)
    }

    /// One POST, raced against the push timeout on the engine clock.
    async fn send(
        &self,
        ch: &PushChannel,
        msg: &PushMessage,
        format: &NotifyContentFormat,
        request_id: &str,
    ) -> Result<u16, PushFailure> {
        let body = match format {
            NotifyContentFormat::Json => serde_json::to_string(&JsonPushBody {
                topic_owner: &ch.owner,
                topic_name: &ch.topic,
                subscription_name: &ch.subscription,
                msg_id: &msg.msg_id,
                msg_body: &msg.body,
                publish_time: msg.publish_ms / 1000,
            })
            .unwrap_or_default(),
            _ => msg.body.clone(),
        };
        let mut req = self
            .client()
            .post(ch.endpoint.as_str())
            .header(reqwest::header::CONTENT_TYPE, facts::PUSH_CONTENT_TYPE)
            .header(reqwest::header::USER_AGENT, USER_AGENT)
            .header(facts::PUSH_REQUEST_ID_HEADER, request_id)
            .header(facts::PUSH_MESSAGE_ID_HEADER, msg.msg_id.as_str());
        if !msg.tags.is_empty() {
            let tags = msg.tags.join(facts::PUSH_TAG_SEPARATOR);
            if let Ok(v) = reqwest::header::HeaderValue::from_bytes(tags.as_bytes()) {
                req = req.header(facts::PUSH_MESSAGE_TAG_HEADER, v);
            }
        }
        let request = req.body(body).send();
        tokio::select! {
            biased;
            r = request => match r {
                Ok(resp) => Ok(resp.status().as_u16()),
                Err(e) if e.is_timeout() => Err(PushFailure::Timeout),
                Err(e) => Err(PushFailure::Transport(describe(&e))),
            },
            _ = self.clock.sleep(self.config.timeout) => Err(PushFailure::Timeout),
        }
    }
}

fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

/// The JSON push body (the service's exact key names and order; `TopicOwner` with a capital T).
#[derive(Serialize)]
struct JsonPushBody<'a> {
    #[serde(rename = "TopicOwner")]
    topic_owner: &'a str,
    #[serde(rename = "topicName")]
    topic_name: &'a str,
    #[serde(rename = "subscriptionName")]
    subscription_name: &'a str,
    #[serde(rename = "msgId")]
    msg_id: &'a str,
    #[serde(rename = "msgBody")]
    msg_body: &'a str,
    #[serde(rename = "publishTime")]
    publish_time: u64,
}

/// A published message waiting for one or more `http` subscriptions.
///
/// It counts the subscriptions that still have to deliver it; when the count reaches zero it
/// leaves the topic's backlog (`msgCount` of GetTopicAttributes).
#[derive(Debug)]
pub struct PushMessage {
    /// The message id PublishMessage returned.
    pub msg_id: String,
    /// The message body.
    pub body: String,
    /// The message tags (`x-cmq-message-tag`).
    pub tags: Vec<String>,
    /// When it was published (engine clock, Unix ms).
    pub publish_ms: u64,
    /// When it expires undelivered (engine clock, Unix ms).
    pub expires_ms: u64,
    remaining: AtomicUsize,
    backlog: Arc<AtomicU64>,
}

impl PushMessage {
    /// A message that `targets` channels will hold; when `targets > 0` it joins `backlog` until
    /// every one of them is done with it. Enqueue it on exactly `targets` channels.
    pub fn new(
        msg_id: String,
        body: String,
        tags: Vec<String>,
        publish_ms: u64,
        expires_ms: u64,
        targets: usize,
        backlog: Arc<AtomicU64>,
    ) -> Arc<Self> {
        if targets > 0 {
            backlog.fetch_add(1, Ordering::AcqRel);
        }
        Arc::new(Self {
            msg_id,
            body,
            tags,
            publish_ms,
            expires_ms,
            remaining: AtomicUsize::new(targets),
            backlog,
        })
    }

    /// One channel is done with the message.
    fn release(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.backlog.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// The delivery settings a subscription can change while messages are queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSettings {
    /// The retry strategy, read when an attempt fails.
    pub strategy: NotifyStrategy,
    /// The body format, read at every attempt.
    pub format: NotifyContentFormat,
}

/// The backlog and worker of one `http` subscription.
pub struct PushChannel {
    owner: String,
    topic: String,
    subscription: String,
    endpoint: String,
    settings: Mutex<PushSettings>,
    queue: Mutex<Backlog>,
    /// Wakes a worker waiting for a retry when a message arrives.
    arrived: Notify,
    stop: watch::Sender<bool>,
    /// Where the backlog is written, with a data directory.
    persist: OnceLock<persist::Persist>,
}

impl std::fmt::Debug for PushChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushChannel")
            .field("topic", &self.topic)
            .field("subscription", &self.subscription)
            .field("endpoint", &self.endpoint)
            .field("pending", &self.pending())
            .finish()
    }
}

impl PushChannel {
    /// A channel for subscription `subscription` of topic `topic` (owned by appId `owner`),
    /// pushing to `endpoint`.
    pub fn new(
        owner: String,
        topic: String,
        subscription: String,
        endpoint: String,
        settings: PushSettings,
    ) -> Arc<Self> {
        Arc::new(Self {
            owner,
            topic,
            subscription,
            endpoint,
            settings: Mutex::new(settings),
            queue: Mutex::new(Backlog::default()),
            arrived: Notify::new(),
            stop: watch::channel(false).0,
            persist: OnceLock::new(),
        })
    }

    fn lock_queue(&self) -> MutexGuard<'_, Backlog> {
        // Every critical section leaves the backlog consistent; a poisoned lock is still usable.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current delivery settings.
    pub fn settings(&self) -> PushSettings {
        self.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Changes the delivery settings; queued messages use them from their next attempt on.
    pub fn set_settings(&self, settings: PushSettings) {
        *self.settings.lock().unwrap_or_else(|e| e.into_inner()) = settings;
    }

    /// Messages still waiting to be pushed (including one being attempted).
    pub fn pending(&self) -> usize {
        self.lock_queue().len()
    }

    /// Queues `msg` and starts the worker if it is not running. A stopped channel releases the
    /// message at once. A full backlog ([`PushConfig::max_backlog`]) first drops its oldest
    /// message not being attempted (logged [`DeliveryOutcome::Dropped`]). Without a tokio
    /// runtime the message waits until a later enqueue made inside one starts the worker.
    pub fn enqueue(self: &Arc<Self>, msg: Arc<PushMessage>, pusher: &Arc<Pusher>) {
        let dropped;
        let spawn_on = {
            let mut q = self.lock_queue();
            if q.stopped {
                drop(q);
                msg.release();
                return;
            }
            self.persist_put(&msg);
            let now = pusher.clock.now_ms();
            dropped = q.push_capped(msg, pusher.config.max_backlog, now);
            if let Some(e) = &dropped {
                self.persist_done(&e.msg.msg_id);
            }
            if q.worker_running {
                pusher.activity.unpark(q.worker_id);
                self.arrived.notify_one();
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
        if let Some(e) = dropped {
            e.msg.release();
            let now = pusher.clock.now_ms();
            pusher.log.record(self.record(
                &e.msg.msg_id,
                e.attempts,
                now,
                DeliveryOutcome::Dropped,
            ));
        }
        if let Some((rt, id)) = spawn_on {
            rt.spawn(self.clone().run(pusher.clone(), id));
        }
    }

    /// Stops delivery for good: drops every queued message (they leave the topic backlog), ends
    /// the worker (cancelling an attempt in flight) and refuses later messages. Idempotent.
    pub fn stop(&self) {
        let drained = {
            let mut q = self.lock_queue();
            if q.stopped {
                return;
            }
            q.stopped = true;
            q.take_all()
        };
        for e in drained {
            e.msg.release();
        }
        self.stop.send_replace(true);
    }

    fn record(
        &self,
        msg_id: &str,
        attempt: u32,
        time_ms: u64,
        outcome: DeliveryOutcome,
    ) -> DeliveryRecord {
        DeliveryRecord {
            seq: 0,
            owner: self.owner.clone(),
            topic: self.topic.clone(),
            subscription: self.subscription.clone(),
            protocol: Protocol::Http,
            endpoint: self.endpoint.clone(),
            msg_id: msg_id.to_string(),
            attempt,
            time_ms,
            latency_ms: None,
            request_id: None,
            next_attempt_ms: None,
            outcome,
        }
    }

    fn log_expired(&self, pusher: &Pusher, expired: Vec<Entry>, now_ms: u64) {
        for e in expired {
            self.persist_done(&e.msg.msg_id);
            e.msg.release();
            pusher.log.record(self.record(
                &e.msg.msg_id,
                e.attempts,
                now_ms,
                DeliveryOutcome::Expired,
            ));
        }
    }

    /// Removes `msg` (done with: delivered or dropped). `None` when the channel stopped.
    fn finish(&self, msg: &Arc<PushMessage>) -> Option<()> {
        let mut q = self.lock_queue();
        if q.stopped {
            return None;
        }
        if q.remove(msg) {
            self.persist_done(&msg.msg_id);
            drop(q);
            msg.release();
        }
        Some(())
    }

    fn is_stopped(&self) -> bool {
        self.lock_queue().stopped
    }

    /// Expires what is due and decides the next step; [`Next::Empty`] (with the worker marked
    /// as gone) when the channel is empty or stopped.
    fn next_step(&self, pusher: &Pusher) -> Next {
        let now = pusher.clock.now_ms();
        let (expired, next) = {
            let mut q = self.lock_queue();
            if q.stopped {
                q.worker_running = false;
                return Next::Empty;
            }
            let expired = q.expire(now, None);
            let next = q.next(now, pusher.config.retry_holds_back);
            match next {
                Next::Empty => q.worker_running = false,
                // Parked under the backlog lock, so `enqueue` cannot slip a message in unseen.
                Next::WaitUntil(at) => pusher.activity.park(q.worker_id, at),
                Next::Attempt(..) => {}
            }
            (expired, next)
        };
        self.log_expired(pusher, expired, now);
        next
    }

    /// One attempt at `msg`; the other messages keep expiring on time meanwhile. Returns the
    /// result and the attempt's record (outcome still to fill in); `None` once stopped.
    async fn attempt(
        &self,
        pusher: &Pusher,
        stop: &mut watch::Receiver<bool>,
        msg: &Arc<PushMessage>,
        attempt: u32,
    ) -> Option<(Result<u16, PushFailure>, DeliveryRecord)> {
        let clock = &pusher.clock;
        let settings = self.settings();
        let request_id = format!("{:016x}", fastrand::u64(..));
        let started = clock.now_ms();
        let mut send = pin!(pusher.send(self, msg, &settings.format, &request_id));
        let result = loop {
            let next_exp = self.lock_queue().next_expiry(Some(msg));
            let exp_sleep = async {
                match next_exp {
                    Some(t) => clock.sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => return None,
                r = &mut send => break r,
                _ = exp_sleep => {
                    let now = clock.now_ms();
                    let expired = self.lock_queue().expire(now, Some(msg));
                    self.log_expired(pusher, expired, now);
                }
            }
        };
        let ended = clock.now_ms();
        if self.is_stopped() {
            return None;
        }
        let mut rec = self.record(&msg.msg_id, attempt, ended, DeliveryOutcome::Dropped);
        rec.latency_ms = Some(ended.saturating_sub(started));
        rec.request_id = Some(request_id.clone());
        Some((result, rec))
    }

    /// Logs an attempt's outcome and settles `msg`: delivered and dropped messages leave the
    /// backlog, a failed one gets the time of its retry. `None` once stopped.
    fn settle(
        &self,
        pusher: &Pusher,
        msg: &Arc<PushMessage>,
        attempt: u32,
        result: Result<u16, PushFailure>,
        mut rec: DeliveryRecord,
    ) -> Option<()> {
        let ended = rec.time_ms;
        let failure = match result {
            Ok(status) if (200..300).contains(&status) => {
                self.finish(msg)?;
                rec.outcome = DeliveryOutcome::Delivered { status };
                pusher.log.record(rec);
                return Some(());
            }
            Ok(status) => PushFailure::Status(status),
            Err(f) => f,
        };
        let strategy = self.settings().strategy;
        rec.outcome = DeliveryOutcome::Failed(failure);
        let Some(delay) = pusher.next_delay(&strategy, attempt - 1) else {
            pusher.log.record(rec);
            self.finish(msg)?;
            let dropped = self.record(&msg.msg_id, attempt, ended, DeliveryOutcome::Dropped);
            pusher.log.record(dropped);
            return Some(());
        };
        let next_at = ended.saturating_add(ms(delay));
        rec.next_attempt_ms = Some(next_at);
        let stopped = {
            let mut q = self.lock_queue();
            if !q.stopped {
                q.set_due(msg, next_at);
                // Before the record: whoever sees the failure logged finds its retry stored.
                self.persist_retry(&msg.msg_id, attempt, next_at);
            }
            q.stopped
        };
        pusher.log.record(rec);
        if stopped {
            return None;
        }
        Some(())
    }

    /// The worker: attempts whatever is due, waits for the next retry, expiry or arrival; ends
    /// when the backlog is empty or on stop.
    async fn run(self: Arc<Self>, pusher: Arc<Pusher>, id: u64) {
        let _guard = WorkerGuard {
            activity: &pusher.activity,
            id,
        };
        let mut stop = self.stop.subscribe();
        loop {
            match self.next_step(&pusher) {
                Next::Empty => return,
                Next::WaitUntil(at) => {
                    tokio::select! {
                        biased;
                        _ = stop.wait_for(|s| *s) => return,
                        _ = pusher.clock.sleep_until(at) => {}
                        _ = self.arrived.notified() => {}
                    }
                    pusher.activity.unpark(id);
                }
                Next::Attempt(msg, attempt) => {
                    let Some((result, rec)) = self.attempt(&pusher, &mut stop, &msg, attempt).await
                    else {
                        return;
                    };
                    if self.settle(&pusher, &msg, attempt, result, rec).is_none() {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> PushConfig {
        PushConfig::default()
    }

    #[test]
    fn exponential_schedule_is_exact() {
        let mut rng = fastrand::Rng::with_seed(1);
        let c = cfg();
        let waits: Vec<u64> = (0..)
            .map_while(|n| retry_delay(&c, &NotifyStrategy::ExponentialDecayRetry, n, &mut rng))
            .map(|d| d.as_secs())
            .collect();
        assert_eq!(waits.len(), 176);
        assert_eq!(&waits[..11], &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 512]);
        assert!(waits[9..].iter().all(|&w| w == 512));
        assert_eq!(waits.iter().sum::<u64>(), 86_015);
        assert_eq!(
            retry_delay(&c, &NotifyStrategy::ExponentialDecayRetry, 176, &mut rng),
            None
        );
        assert_eq!(
            retry_delay(&c, &NotifyStrategy::ExponentialDecayRetry, 1000, &mut rng),
            None
        );
    }

    #[test]
    fn backoff_schedule_is_three_seeded_waits() {
        let c = cfg();
        let draw = |seed| {
            let mut rng = fastrand::Rng::with_seed(seed);
            (0..)
                .map_while(|n| retry_delay(&c, &NotifyStrategy::BackoffRetry, n, &mut rng))
                .collect::<Vec<_>>()
        };
        let a = draw(7);
        assert_eq!(a.len(), 3);
        assert!(a.iter().all(|d| (10_000..=20_000).contains(&d.as_millis())));
        assert_eq!(a, draw(7));
        let mut rng = fastrand::Rng::with_seed(7);
        let expected: Vec<Duration> = (0..3)
            .map(|_| Duration::from_millis(rng.u64(10_000..=20_000)))
            .collect();
        assert_eq!(a, expected);
        // Many seeds cover the whole range.
        let all: Vec<u128> = (0..200).flat_map(draw).map(|d| d.as_millis()).collect();
        assert!(all.iter().any(|&m| m < 11_000) && all.iter().any(|&m| m > 19_000));
    }

    #[test]
    fn json_body_has_exact_keys_in_order() {
        let body = serde_json::to_string(&JsonPushBody {
            topic_owner: "1250000000",
            topic_name: "t",
            subscription_name: "s",
            msg_id: "123",
            msg_body: "hi \"there\"",
            publish_time: 1_700_000_000,
        })
        .unwrap_or_default();
        assert_eq!(
            body,
            r#"{"TopicOwner":"1250000000","topicName":"t","subscriptionName":"s","msgId":"123","msgBody":"hi \"there\"","publishTime":1700000000}"#
        );
    }

    #[test]
    fn backlog_counts_until_every_channel_is_done() {
        let backlog = Arc::new(AtomicU64::new(0));
        let m = PushMessage::new("1".into(), "b".into(), vec![], 0, 1, 2, backlog.clone());
        assert_eq!(backlog.load(Ordering::Acquire), 1);
        m.release();
        assert_eq!(backlog.load(Ordering::Acquire), 1);
        m.release();
        assert_eq!(backlog.load(Ordering::Acquire), 0);
        let _none = PushMessage::new("2".into(), "b".into(), vec![], 0, 1, 0, backlog.clone());
        assert_eq!(backlog.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn stopped_channel_releases_and_refuses() {
        let clock = Clock::manual(1_000_000);
        let pusher = Arc::new(Pusher::new(cfg(), clock, Arc::new(DeliveryLog::new())));
        let backlog = Arc::new(AtomicU64::new(0));
        let settings = PushSettings {
            strategy: NotifyStrategy::BackoffRetry,
            format: NotifyContentFormat::Json,
        };
        let ch = PushChannel::new(
            "o".into(),
            "t".into(),
            "s".into(),
            "http://127.0.0.1:9/".into(),
            settings.clone(),
        );
        ch.stop();
        ch.stop();
        let m = PushMessage::new("1".into(), "b".into(), vec![], 0, 1, 1, backlog.clone());
        ch.enqueue(m, &pusher);
        assert_eq!(ch.pending(), 0);
        assert_eq!(backlog.load(Ordering::Acquire), 0);
        assert_eq!(ch.settings(), settings);
        assert!(format!("{ch:?}").contains("pending: 0"));
        assert!(format!("{pusher:?}").contains("Pusher"));
    }
}
