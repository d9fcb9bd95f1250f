//! Retry policy: which failures are retried, how often, and how long to wait.
//!
//! A call is attempted at most [`RetryPolicy::max_attempts`] times in total.
//! Between attempts the client sleeps for [`RetryPolicy::backoff`], an
//! exponential backoff with *full jitter*: a uniformly random delay in
//! `[0, min(max_delay, base_delay · 2^attempt)]`.
//!
//! Attempts are numbered from **0** (the first try). After attempt `n` fails
//! with a failure of class `c`, the client asks
//! [`should_retry(n, idempotent, c)`](RetryPolicy::should_retry) and, if it
//! says yes, sleeps [`backoff(n, rng)`](RetryPolicy::backoff) before attempt
//! `n + 1`:
//!
//! ```text
//! for attempt in 0.. {
//!     match send().await {
//!         Ok(r) => return Ok(r),
//!         Err(e) if policy.should_retry(attempt, idempotent, e.retry_class()) => {
//!             sleep(policy.backoff(attempt, &mut rng)).await
//!         }
//!         Err(e) => return Err(e),
//!     }
//! }
//! ```
//!
//! Non-idempotent calls (e.g. `SendMessage`, whose retry after a lost
//! response would send the message twice) are retried only when the failure
//! proves the server did not act on the request ([`RetryClass::Throttled`]),
//! unless [`RetryPolicy::with_retry_non_idempotent`] opts in.
//!
//! # After a lost answer
//!
//! When an attempt fails in a way that may have reached the server (a [`RetryClass::Transport`],
//! [`RetryClass::Timeout`] or [`RetryClass::ServerError`] failure: "a lost answer") and the call
//! is retried, the retry can meet the state the lost attempt left. The spec says per action what
//! happens ([`Action::idempotent`](crate::generated::actions::Action::idempotent) and
//! [`Action::settled_by_retry`](crate::generated::actions::Action::settled_by_retry)):
//!
//! * sends, publishes, receives, `CreateQueue`, `CreateTopic` and `Subscribe` are not resent
//!   (the caller gets the lost attempt's error and decides: e.g. `GetQueueAttributes` tells
//!   whether a queue was created);
//! * reads, `Set…Attributes`, `RewindQueue` and `ClearSubscriptionFilterTags` are resent: doing
//!   them twice is doing them once;
//! * the deletions are resent, and when the retry answers what a done deletion answers
//!   (`DeleteQueue` 4440, `DeleteTopic` 4440, `Unsubscribe` 4000/10560,
//!   `UnbindDeadLetterQueue` 4000/10730, `DeleteMessage` 4430, `BatchDeleteMessage` 6020 whose
//!   every item is 4430), the call **succeeds**, and the output's `settled_by_retry` field holds a
//!   [`SettledByRetry`] note with that answer. The state asked for holds; whether the lost attempt
//!   or something else brought it about cannot be told (a receipt handle may instead have
//!   expired, in which case its message is delivered again). The same answer to a first attempt,
//!   or after a failure that proves the server did not act ([`RetryClass::Throttled`]), stays an
//!   error.
//!
//! With [`RetryPolicy::with_retry_non_idempotent`] the other actions are resent too, and their
//! retry's answer (e.g. 4460 for a queue the lost attempt created) is returned as it is.
//!
//! Every call also has a deadline across all its attempts and waits
//! ([`Timeouts::deadline_for`](crate::timeouts::Timeouts::deadline_for)): an
//! attempt never runs past it (it is cut short and the call fails with
//! [`Error::Timeout`] with `deadline: true`), and no retry starts when its
//! backoff would end past it (the call fails with the last attempt's error).
//! The same rules apply to API 2.0 and API 3.0 calls.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, ServiceError};
use crate::generated::errors::ErrorId;

/// How a failure bears on retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryClass {
    /// A connection or I/O error (refused, reset, TLS, DNS, non-200 HTTP
    /// status from a gateway, …). The request may or may not have reached the
    /// server.
    Transport,
    /// A transient server-side error: a CMQ `6000`-class code (`6000..=6999`
    /// except the non-transient `6010`, `6020`, `6030` and `6050`), or an HTTP
    /// 5xx from a gateway. The server may have acted on the request.
    ServerError,
    /// The server refused the request because of rate limiting (CMQ `4420`
    /// QPS throttling, `4480` control-API frequency limit, HTTP 429). The
    /// request was not processed, so retrying is safe even when it is not
    /// idempotent.
    Throttled,
    /// The request timed out on the client side; the server may have acted
    /// on it.
    Timeout,
    /// Permanent: retrying would give the same answer (bad parameters,
    /// authentication, missing queue, "no message", …).
    Never,
}

/// Classifies a CMQ API 2.0 response `code` (the top-level one, e.g. `6000`).
///
/// * `4420` (QPS throttling) and `4480` (control-API frequency limit) ⇒
///   [`RetryClass::Throttled`];
/// * `6000..=6999` ⇒ [`RetryClass::ServerError`], except `6010` (batch delete
///   partly failed), `6020` (batch delete failed), `6030` (publish matched no
///   subscription) and `6050` (queue cannot be rewound / too many tags), which
///   are answers rather than transient faults ⇒ [`RetryClass::Never`];
/// * everything else, including `0` (success) and `7000` (no message) ⇒
///   [`RetryClass::Never`].
#[must_use]
pub fn classify_code(code: i64) -> RetryClass {
    use crate::ServiceCode as C;
    const QPS: i64 = C::QpsThrottled.code();
    const API_RATE: i64 = C::ApiRateExceeded.code();
    const PARTIALLY_DELETED: i64 = C::BatchDeletePartiallyFailed.code();
    const NOT_DELETED: i64 = C::BatchDeleteFailed.code();
    const NOT_DELIVERED: i64 = C::PublishNotDelivered.code();
    const NOT_ALLOWED: i64 = C::OperationNotAllowed.code();
    match code {
        QPS | API_RATE => RetryClass::Throttled,
        PARTIALLY_DELETED | NOT_DELETED | NOT_DELIVERED | NOT_ALLOWED => RetryClass::Never,
        6000..=6999 => RetryClass::ServerError,
        _ => RetryClass::Never,
    }
}

/// Classifies a Tencent Cloud API 3.0 error code (`Response.Error.Code`):
///
/// * `RequestLimitExceeded` and its sub-codes (`RequestLimitExceeded.UinLimitExceeded`, …) ⇒
///   [`RetryClass::Throttled`] (the request was refused before it was processed);
/// * `InternalError` and its sub-codes ⇒ [`RetryClass::ServerError`];
/// * everything else (parameters, authentication, missing or busy resources, quotas, …) ⇒
///   [`RetryClass::Never`].
#[must_use]
pub fn classify_api3_code(code: &str) -> RetryClass {
    match code.split('.').next().unwrap_or(code) {
        "RequestLimitExceeded" => RetryClass::Throttled,
        "InternalError" => RetryClass::ServerError,
        _ => RetryClass::Never,
    }
}

/// Classifies a non-200 HTTP status (every CMQ answer, errors included,
/// normally comes back as HTTP 200, so another status is a gateway or
/// transport problem).
///
/// `429` ⇒ [`RetryClass::Throttled`]; `408` ⇒ [`RetryClass::Timeout`];
/// `500`, `502`, `503`, `504` ⇒ [`RetryClass::ServerError`]; anything else ⇒
/// [`RetryClass::Never`].
#[must_use]
pub fn classify_http_status(status: u16) -> RetryClass {
    match status {
        429 => RetryClass::Throttled,
        408 => RetryClass::Timeout,
        500 | 502 | 503 | 504 => RetryClass::ServerError,
        _ => RetryClass::Never,
    }
}

/// When and how often failed calls are retried.
///
/// Defaults: 3 attempts in total, 100 ms base delay, 5 s maximum delay,
/// non-idempotent calls not retried (except when throttled).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            retry_non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// The default policy (same as [`Default::default`]).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A policy that never retries (one attempt).
    #[must_use]
    pub fn none() -> Self {
        Self::default().with_max_attempts(1)
    }

    /// Sets the total number of attempts, the first one included. `0` is
    /// treated as `1` (a call is always attempted once).
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Sets the base delay: the jitter ceiling before the first retry, which
    /// doubles with each further retry.
    #[must_use]
    pub fn with_base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// Sets the cap on any single delay.
    #[must_use]
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// Whether calls that are not idempotent are retried after failures that
    /// may have reached the server (transport errors, timeouts, server
    /// errors). Off by default, because e.g. a retried `SendMessage` can
    /// deliver the message twice.
    #[must_use]
    pub fn with_retry_non_idempotent(mut self, retry: bool) -> Self {
        self.retry_non_idempotent = retry;
        self
    }

    /// The total number of attempts (at least 1).
    #[must_use]
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The base delay.
    #[must_use]
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The cap on any single delay.
    #[must_use]
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// Whether non-idempotent calls are retried after ambiguous failures.
    #[must_use]
    pub fn retry_non_idempotent(&self) -> bool {
        self.retry_non_idempotent
    }

    /// The ceiling of the delay after the failed attempt number `attempt`
    /// (0-based): `min(max_delay, base_delay · 2^attempt)`, saturating.
    #[must_use]
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.checked_pow(attempt).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The delay to sleep after the failed attempt number `attempt` (0-based)
    /// before the next one: uniformly random in `[0, ceiling]` ("full
    /// jitter"), with nanosecond resolution, where `ceiling` is
    /// [`backoff_ceiling(attempt)`](Self::backoff_ceiling).
    #[must_use]
    pub fn backoff(&self, attempt: u32, rng: &mut fastrand::Rng) -> Duration {
        let ceiling = self.backoff_ceiling(attempt).as_nanos();
        let nanos = rng.u128(0..=ceiling);
        let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
        // The remainder is below 10^9, so it always fits in a u32.
        let sub = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
        Duration::new(secs, sub)
    }

    /// Whether to retry after attempt number `attempt` (0-based) failed with
    /// a failure of class `class`.
    ///
    /// * never once `max_attempts` attempts have been made, nor for
    ///   [`RetryClass::Never`];
    /// * always (within the attempt budget) for [`RetryClass::Throttled`],
    ///   since the server did not process the request;
    /// * for [`RetryClass::Transport`], [`RetryClass::Timeout`] and
    ///   [`RetryClass::ServerError`], only if the call is `idempotent` or the
    ///   policy retries non-idempotent calls.
    #[must_use]
    pub fn should_retry(&self, attempt: u32, idempotent: bool, class: RetryClass) -> bool {
        if attempt.saturating_add(1) >= self.max_attempts {
            return false;
        }
        match class {
            RetryClass::Never => false,
            RetryClass::Throttled => true,
            RetryClass::Transport | RetryClass::Timeout | RetryClass::ServerError => {
                idempotent || self.retry_non_idempotent
            }
        }
    }
}

/// An answer that, to a retry after a lost answer, shows the lost attempt did the work (one entry
/// of [`Action::settled_by_retry`](crate::generated::actions::Action::settled_by_retry)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Settles {
    /// The error the retry answers.
    pub error: ErrorId,
    /// When set, only an answer whose `errorList` is non-empty and holds only this error counts.
    pub every_item: Option<ErrorId>,
}

impl Settles {
    /// Whether `answer` is this error: the same code, and the same module code (when the message
    /// carries none, the spec's message text instead); with `every_item`, every item of a
    /// non-empty `errorList` has that item error's code.
    #[must_use]
    pub fn matches(&self, answer: &ServiceError) -> bool {
        let same_error = answer.code == self.error.code()
            && match answer.module_code {
                Some(m) => m == self.error.module(),
                None => answer.message.trim() == self.error.message(),
            };
        same_error
            && self.every_item.is_none_or(|item| {
                !answer.error_list.is_empty()
                    && answer.error_list.iter().all(|e| e.code == item.code())
            })
    }
}

/// Why a call succeeded although its last attempt answered an error: an earlier attempt lost its
/// answer, and the retry's answer is one the action's spec lists as "already done"
/// ([`Settles`]). Carried by the output's `settled_by_retry` field (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettledByRetry {
    /// The retry's answer (e.g. 4440 `queue is not existed, or deleted`), as received.
    pub answer: ServiceError,
    /// How the first lost attempt failed: [`RetryClass::Transport`], [`RetryClass::Timeout`] or
    /// [`RetryClass::ServerError`].
    pub lost: RetryClass,
    /// How many attempts were made, the settling one included.
    pub attempts: u32,
}

/// The note settling a call of `action` whose earlier attempt lost its answer (`lost`), when
/// `err`, the answer of attempt number `attempts` (1-based), is one of the action's
/// [`Settles`]; `None` otherwise.
pub(crate) fn settle(
    action: crate::generated::actions::Action,
    err: &Error,
    lost: RetryClass,
    attempts: u32,
) -> Option<SettledByRetry> {
    let Error::Service(answer) = err else {
        return None;
    };
    action
        .settled_by_retry()
        .iter()
        .any(|s| s.matches(answer))
        .then(|| SettledByRetry {
            answer: (**answer).clone(),
            lost,
            attempts,
        })
}

/// How one call is attempted: the policy, whether the action is idempotent, each attempt's
/// timeout and the deadline across all attempts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan<'a> {
    pub policy: &'a RetryPolicy,
    pub idempotent: bool,
    pub attempt_timeout: Duration,
    pub deadline: Duration,
}

/// Runs `attempt` until it succeeds, fails for good, or the deadline passes (see the module
/// docs). Records `attempt`, `code` and `request_id` on the current tracing span.
///
/// Once an attempt has lost its answer, each later failure is first offered to `settle` (with the
/// first lost attempt's class and the number of attempts made): a `Some` ends the call with that
/// success.
pub(crate) async fn run<T, F, Fut, S>(plan: Plan<'_>, mut attempt: F, settle: S) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
    S: Fn(&Error, RetryClass, u32) -> Option<T>,
{
    let deadline_at = Instant::now().checked_add(plan.deadline);
    let mut rng = fastrand::Rng::new();
    let mut made: u32 = 0;
    let mut lost: Option<RetryClass> = None;
    loop {
        made = made.saturating_add(1);
        let span = tracing::Span::current();
        span.record("attempt", made);
        let remaining = deadline_at.map(|d| d.saturating_duration_since(Instant::now()));
        let (limit, cut) = match remaining {
            Some(r) if r < plan.attempt_timeout => (r, true),
            _ => (plan.attempt_timeout, false),
        };
        let err = match tokio::time::timeout(limit, attempt()).await {
            Ok(Ok(out)) => {
                span.record("code", 0);
                return Ok(out);
            }
            Ok(Err(e)) => e.with_attempts(made),
            Err(_) => Error::Timeout {
                after: if cut {
                    plan.deadline
                } else {
                    plan.attempt_timeout
                },
                deadline: cut,
                attempts: made,
            },
        };
        record_error(&span, &err);
        if let Some(class) = lost {
            if let Some(out) = settle(&err, class, made) {
                tracing::debug!(error = %err, "a retry after a lost answer found the call done");
                span.record("code", 0);
                return Ok(out);
            }
        }
        let class = err.retry_class();
        if lost.is_none()
            && matches!(
                class,
                RetryClass::Transport | RetryClass::Timeout | RetryClass::ServerError
            )
        {
            lost = Some(class);
        }
        if (cut && matches!(err, Error::Timeout { .. }))
            || !plan.policy.should_retry(made - 1, plan.idempotent, class)
        {
            return Err(err);
        }
        let wait = plan.policy.backoff(made - 1, &mut rng);
        let past_deadline = deadline_at.is_some_and(|d| {
            Instant::now()
                .checked_add(wait)
                .is_none_or(|resume| resume >= d)
        });
        if past_deadline {
            return Err(err);
        }
        tracing::debug!(error = %err, ?wait, "retrying");
        tokio::time::sleep(wait).await;
    }
}

fn record_error(span: &tracing::Span, e: &Error) {
    if let Some(code) = e.error_code() {
        match code {
            crate::error::ErrorCode::Cmq(c) => span.record("code", c),
            crate::error::ErrorCode::Api3(c) => span.record("code", c),
        };
    }
    if let Some(r) = e.request_id() {
        span.record("request_id", r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALL: [RetryClass; 5] = [
        RetryClass::Transport,
        RetryClass::ServerError,
        RetryClass::Throttled,
        RetryClass::Timeout,
        RetryClass::Never,
    ];

    #[test]
    fn defaults() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_attempts(), 3);
        assert_eq!(p.base_delay(), Duration::from_millis(100));
        assert_eq!(p.max_delay(), Duration::from_secs(5));
        assert!(!p.retry_non_idempotent());
        assert_eq!(RetryPolicy::new(), p);
    }

    #[test]
    fn setters() {
        let p = RetryPolicy::new()
            .with_max_attempts(7)
            .with_base_delay(Duration::from_millis(10))
            .with_max_delay(Duration::from_secs(1))
            .with_retry_non_idempotent(true);
        assert_eq!(p.max_attempts(), 7);
        assert_eq!(p.base_delay(), Duration::from_millis(10));
        assert_eq!(p.max_delay(), Duration::from_secs(1));
        assert!(p.retry_non_idempotent());
        assert_eq!(RetryPolicy::new().with_max_attempts(0).max_attempts(), 1);
    }

    #[test]
    fn none_never_retries() {
        let p = RetryPolicy::none();
        assert_eq!(p.max_attempts(), 1);
        for class in ALL {
            assert!(!p.should_retry(0, true, class));
        }
    }

    #[test]
    fn attempt_budget() {
        let p = RetryPolicy::default(); // 3 attempts: 0, 1, 2
        assert!(p.should_retry(0, true, RetryClass::Transport));
        assert!(p.should_retry(1, true, RetryClass::Transport));
        assert!(!p.should_retry(2, true, RetryClass::Transport));
        assert!(!p.should_retry(u32::MAX, true, RetryClass::Throttled));
    }

    #[test]
    fn idempotency_rules() {
        let p = RetryPolicy::default();
        for class in [
            RetryClass::Transport,
            RetryClass::Timeout,
            RetryClass::ServerError,
        ] {
            assert!(p.should_retry(0, true, class), "{class:?}");
            assert!(!p.should_retry(0, false, class), "{class:?}");
            assert!(
                p.clone()
                    .with_retry_non_idempotent(true)
                    .should_retry(0, false, class)
            );
        }
        assert!(p.should_retry(0, false, RetryClass::Throttled));
        assert!(!p.should_retry(0, true, RetryClass::Never));
        assert!(!p.clone().with_retry_non_idempotent(true).should_retry(
            0,
            false,
            RetryClass::Never
        ));
    }

    fn answer(code: i64, message: &str, items: &[i64]) -> ServiceError {
        ServiceError {
            action: crate::generated::actions::Action::DeleteQueue,
            code,
            module_code: crate::error::module_code_of(message),
            message: message.to_owned(),
            request_id: None,
            error_list: items
                .iter()
                .map(|c| crate::error::BatchItemError {
                    code: *c,
                    message: String::new(),
                    receipt_handle: "h".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn settles_matches_code_and_module_or_text() {
        let s = Settles {
            error: ErrorId::SubscriptionNotExist,
            every_item: None,
        };
        assert!(s.matches(&answer(4000, "(10560)subscription is not existed", &[])));
        // Without a module code, the spec's text decides.
        assert!(s.matches(&answer(4000, "subscription is not existed", &[])));
        // Another 4000 (a parameter error) is not "already done".
        assert!(!s.matches(&answer(4000, "(10110)request parameters error", &[])));
        assert!(!s.matches(&answer(4000, "request parameters error", &[])));
        assert!(!s.matches(&answer(4440, "(10560)subscription is not existed", &[])));
    }

    #[test]
    fn settles_with_items_needs_every_item() {
        let s = Settles {
            error: ErrorId::BatchDeleteMessageFailed,
            every_item: Some(ErrorId::InvalidReceiptHandleItem),
        };
        let msg = "(10290)batch delete message failed";
        assert!(s.matches(&answer(6020, msg, &[4430, 4430])));
        assert!(!s.matches(&answer(6020, msg, &[])));
        assert!(!s.matches(&answer(6020, msg, &[4430, 6000])));
        assert!(!s.matches(&answer(6010, "(10150)x", &[4430])));
    }

    #[test]
    fn settle_only_service_errors_of_the_actions_list() {
        use crate::generated::actions::Action;
        let gone = Error::Service(Box::new(answer(
            4440,
            "(10100)queue is not existed, or deleted",
            &[],
        )));
        let note = settle(Action::DeleteQueue, &gone, RetryClass::Timeout, 2).expect("settled");
        assert_eq!(
            (note.lost, note.attempts, note.answer.code),
            (RetryClass::Timeout, 2, 4440)
        );
        assert!(settle(Action::GetQueueAttributes, &gone, RetryClass::Timeout, 2).is_none());
        let transport = Error::Transport {
            message: "reset".into(),
            source: None,
        };
        assert!(settle(Action::DeleteQueue, &transport, RetryClass::Transport, 2).is_none());
    }

    #[test]
    fn classify_codes() {
        assert_eq!(classify_code(4420), RetryClass::Throttled);
        assert_eq!(classify_code(4480), RetryClass::Throttled);
        for c in [6000, 6040, 6070, 6999] {
            assert_eq!(classify_code(c), RetryClass::ServerError, "{c}");
        }
        for c in [6010, 6020, 6030, 6050] {
            assert_eq!(classify_code(c), RetryClass::Never, "{c}");
        }
        for c in [
            0,
            4000,
            4100,
            4400,
            4430,
            4440,
            5999,
            7000,
            7001,
            10250,
            -1,
            i64::MIN,
            i64::MAX,
        ] {
            assert_eq!(classify_code(c), RetryClass::Never, "{c}");
        }
    }

    #[test]
    fn classify_api3_codes() {
        for c in [
            "RequestLimitExceeded",
            "RequestLimitExceeded.UinLimitExceeded",
            "RequestLimitExceeded.IPLimitExceeded",
        ] {
            assert_eq!(classify_api3_code(c), RetryClass::Throttled, "{c}");
        }
        for c in ["InternalError", "InternalError.SystemError"] {
            assert_eq!(classify_api3_code(c), RetryClass::ServerError, "{c}");
        }
        for c in [
            "",
            "RequestSizeLimitExceeded",
            "AuthFailure.SignatureFailure",
            "AuthFailure.SignatureExpire",
            "ResourceNotFound.QueueNotExist",
            "ResourceInUse",
            "LimitExceeded",
            "FailedOperation",
            "InvalidParameterValue",
            "InternalErrorX",
        ] {
            assert_eq!(classify_api3_code(c), RetryClass::Never, "{c}");
        }
    }

    #[test]
    fn classify_statuses() {
        assert_eq!(classify_http_status(429), RetryClass::Throttled);
        assert_eq!(classify_http_status(408), RetryClass::Timeout);
        for s in [500, 502, 503, 504] {
            assert_eq!(classify_http_status(s), RetryClass::ServerError);
        }
        for s in [200, 400, 401, 403, 404, 501, 505] {
            assert_eq!(classify_http_status(s), RetryClass::Never);
        }
    }

    #[test]
    fn ceiling_doubles_then_caps() {
        let p = RetryPolicy::default();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(p.backoff_ceiling(0), ms(100));
        assert_eq!(p.backoff_ceiling(1), ms(200));
        assert_eq!(p.backoff_ceiling(2), ms(400));
        assert_eq!(p.backoff_ceiling(5), ms(3200));
        assert_eq!(p.backoff_ceiling(6), ms(5000));
        assert_eq!(p.backoff_ceiling(31), ms(5000));
        assert_eq!(p.backoff_ceiling(32), ms(5000));
        assert_eq!(p.backoff_ceiling(u32::MAX), ms(5000));
        let huge = p
            .clone()
            .with_base_delay(Duration::MAX)
            .with_max_delay(Duration::MAX);
        assert_eq!(huge.backoff_ceiling(40), Duration::MAX);
    }

    #[test]
    fn zero_base_delay_gives_zero() {
        let p = RetryPolicy::default().with_base_delay(Duration::ZERO);
        let mut rng = fastrand::Rng::with_seed(1);
        for a in 0..10 {
            assert_eq!(p.backoff(a, &mut rng), Duration::ZERO);
        }
    }

    #[test]
    fn huge_durations_do_not_panic() {
        let p = RetryPolicy::default()
            .with_base_delay(Duration::MAX)
            .with_max_delay(Duration::MAX);
        let mut rng = fastrand::Rng::with_seed(7);
        for a in [0, 1, 63, 64, u32::MAX] {
            let _ = p.backoff(a, &mut rng);
        }
    }

    #[test]
    fn seeded_rng_is_reproducible() {
        let p = RetryPolicy::default();
        let run = || {
            let mut rng = fastrand::Rng::with_seed(42);
            (0..8).map(|a| p.backoff(a, &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }

    proptest! {
        #[test]
        fn backoff_never_exceeds_the_cap(
            seed in any::<u64>(),
            attempt in 0u32..200,
            base_ms in 0u64..10_000,
            max_ms in 0u64..60_000,
        ) {
            let p = RetryPolicy::default()
                .with_base_delay(Duration::from_millis(base_ms))
                .with_max_delay(Duration::from_millis(max_ms));
            let mut rng = fastrand::Rng::with_seed(seed);
            for _ in 0..20 {
                let d = p.backoff(attempt, &mut rng);
                prop_assert!(d <= p.backoff_ceiling(attempt));
                prop_assert!(d <= p.max_delay());
            }
        }

        #[test]
        fn jitter_is_random(seed in any::<u64>(), attempt in 0u32..10) {
            let p = RetryPolicy::default();
            let mut rng = fastrand::Rng::with_seed(seed);
            let samples: Vec<Duration> = (0..32).map(|_| p.backoff(attempt, &mut rng)).collect();
            let first = samples[0];
            // 32 draws from ≥ 10^8 values: all equal only if the jitter is constant.
            prop_assert!(samples.iter().any(|d| *d != first), "constant jitter: {first:?}");
            // Full jitter: the draws spread over the range, not just near the cap.
            let ceiling = p.backoff_ceiling(attempt);
            prop_assert!(samples.iter().any(|d| *d < ceiling / 2));
        }
    }
}
