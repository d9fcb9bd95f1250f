//! Client-side timeouts, with finite defaults and long-poll awareness.
//!
//! Every attempt has a finite timeout and every call a finite deadline across
//! all its attempts; nothing waits forever. A long-polling receive gets an
//! attempt timeout that cannot expire before the server's polling window has
//! ended:
//!
//! ```text
//! attempt timeout, ordinary call:           request                                  (default 30 s)
//! attempt timeout, long poll of w seconds:  max(request, min(w, 30 s) + long_poll_margin)
//!                                           (defaults: w = 30 ⇒ 35 s; w = 5 ⇒ 30 s)
//! deadline of the call, all attempts and
//! the waits between them included:          attempt timeout + retry_budget           (default budget 10 s)
//!                                           (defaults: ordinary call 40 s; long poll of 30 s: 45 s)
//! ```
//!
//! So with the default three attempts, a call that keeps timing out ends after
//! one full attempt plus at most the retry budget, instead of three full
//! attempts plus the backoff waits (a 30 s long poll: 45 s instead of ≈ 115 s).
//! Retries that are quick (a reset connection, a throttled or 6000-class
//! answer) fit in the budget as before. An attempt that would run past the
//! deadline is cut short there, and the call fails with
//! [`Error::Timeout`](crate::Error::Timeout) `{ deadline: true, .. }`.
//!
//! The server holds a receive for up to `w` seconds and then answers, so the
//! answer arrives at `w` plus the network round trip; `long_poll_margin`
//! (default 5 s, never less than [`MIN_LONG_POLL_MARGIN`]) covers that round
//! trip. Taking the maximum with `request` means a long poll never gets a
//! *shorter* budget than an ordinary call. Adding `request` on top of the
//! window instead would double the time a dead connection is waited on,
//! for no benefit.

use std::time::Duration;

/// The longest polling window CMQ accepts: the largest `pollingWaitSeconds` of the spec, that of
/// (Batch)ReceiveMessage or of a queue's attribute (30 s).
pub const MAX_LONG_POLL_SECONDS: u32 = {
    use crate::generated::constraints::{
        batch_receive_message as batch, create_queue as queue, receive_message as one,
        set_queue_attributes as set,
    };
    let windows = [
        one::polling_wait_seconds::MAX,
        batch::polling_wait_seconds::MAX,
        queue::polling_wait_seconds::MAX,
        set::polling_wait_seconds::MAX,
    ];
    let mut max = 0i64;
    let mut i = 0;
    while i < windows.len() {
        if windows[i] > max {
            max = windows[i];
        }
        i += 1;
    }
    if max > u32::MAX as i64 {
        u32::MAX
    } else {
        max as u32
    }
};

/// The smallest margin allowed beyond a long-poll window; a smaller
/// configured margin is raised to this, so that a receive cannot time out just
/// as the server answers at the end of its window.
pub const MIN_LONG_POLL_MARGIN: Duration = Duration::from_secs(1);

/// Connect, request and long-poll timeouts, and the retry budget.
///
/// Defaults: connect 5 s, request 30 s, long-poll margin 5 s, retry budget 10 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeouts {
    connect: Duration,
    request: Duration,
    long_poll_margin: Duration,
    retry_budget: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(30),
            long_poll_margin: Duration::from_secs(5),
            retry_budget: Duration::from_secs(10),
        }
    }
}

impl Timeouts {
    /// The defaults (same as [`Default::default`]).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the TCP (and TLS) connection timeout.
    #[must_use]
    pub fn with_connect(mut self, connect: Duration) -> Self {
        self.connect = connect;
        self
    }

    /// Sets the whole-request timeout of ordinary (non-long-poll) calls, from
    /// sending the request to reading the full response.
    #[must_use]
    pub fn with_request(mut self, request: Duration) -> Self {
        self.request = request;
        self
    }

    /// Sets the time allowed beyond a long-poll window for the answer to
    /// arrive. Values below [`MIN_LONG_POLL_MARGIN`] are raised to it.
    #[must_use]
    pub fn with_long_poll_margin(mut self, margin: Duration) -> Self {
        self.long_poll_margin = margin.max(MIN_LONG_POLL_MARGIN);
        self
    }

    /// Sets the time a call may spend beyond one full attempt, on retries and
    /// the waits between them: the call's deadline is its attempt timeout plus
    /// this ([`deadline_for`](Self::deadline_for)). `Duration::ZERO` leaves
    /// room only for retries that follow quick failures before the first
    /// attempt's timeout would have passed.
    #[must_use]
    pub fn with_retry_budget(mut self, budget: Duration) -> Self {
        self.retry_budget = budget;
        self
    }

    /// The retry budget.
    #[must_use]
    pub fn retry_budget(&self) -> Duration {
        self.retry_budget
    }

    /// The deadline of a whole call (every attempt and every wait between
    /// attempts) whose attempt timeout is `attempt_timeout`:
    /// `attempt_timeout + retry_budget`, saturating.
    #[must_use]
    pub fn deadline_for(&self, attempt_timeout: Duration) -> Duration {
        attempt_timeout.saturating_add(self.retry_budget)
    }

    /// The connection timeout.
    #[must_use]
    pub fn connect(&self) -> Duration {
        self.connect
    }

    /// The whole-request timeout of ordinary calls.
    #[must_use]
    pub fn request(&self) -> Duration {
        self.request
    }

    /// The margin beyond a long-poll window.
    #[must_use]
    pub fn long_poll_margin(&self) -> Duration {
        self.long_poll_margin
    }

    /// The whole-request timeout for one call.
    ///
    /// * `None` (not a long poll) ⇒ [`request`](Self::request);
    /// * `Some(w)` ⇒ `max(request, min(w, 30) s + long_poll_margin)`.
    ///
    /// Windows above [`MAX_LONG_POLL_SECONDS`] are capped (the server rejects
    /// them anyway), so the result is always finite. Additions saturate.
    #[must_use]
    pub fn for_call(&self, long_poll_seconds: Option<u32>) -> Duration {
        match long_poll_seconds {
            None => self.request,
            Some(w) => {
                let window = Duration::from_secs(u64::from(w.min(MAX_LONG_POLL_SECONDS)));
                self.request
                    .max(window.saturating_add(self.long_poll_margin))
            }
        }
    }

    /// The whole-request timeout for a `ReceiveMessage`/`BatchReceiveMessage`
    /// call sending `pollingWaitSeconds = polling_wait_seconds`.
    ///
    /// When the parameter is omitted (`None`) the server applies the queue's
    /// own `pollingWaitSeconds` attribute, which may be up to 30 s, so the
    /// longest window is assumed.
    #[must_use]
    pub fn for_receive(&self, polling_wait_seconds: Option<u32>) -> Duration {
        self.for_call(Some(polling_wait_seconds.unwrap_or(MAX_LONG_POLL_SECONDS)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn defaults() {
        let t = Timeouts::default();
        assert_eq!(t.connect(), s(5));
        assert_eq!(t.request(), s(30));
        assert_eq!(t.long_poll_margin(), s(5));
        assert_eq!(t.retry_budget(), s(10));
        assert_eq!(Timeouts::new(), t);
    }

    #[test]
    fn deadlines() {
        let t = Timeouts::default();
        assert_eq!(t.deadline_for(t.for_call(None)), s(40));
        assert_eq!(t.deadline_for(t.for_receive(Some(30))), s(45));
        assert_eq!(t.deadline_for(t.for_receive(None)), s(45));
        let t = t.with_retry_budget(Duration::ZERO);
        assert_eq!(t.retry_budget(), Duration::ZERO);
        assert_eq!(t.deadline_for(s(7)), s(7));
        let t = t.with_retry_budget(Duration::MAX);
        assert_eq!(t.deadline_for(s(7)), Duration::MAX);
    }

    #[test]
    fn setters() {
        let t = Timeouts::new()
            .with_connect(s(1))
            .with_request(s(2))
            .with_long_poll_margin(s(3));
        assert_eq!(
            (t.connect(), t.request(), t.long_poll_margin()),
            (s(1), s(2), s(3))
        );
        assert_eq!(
            Timeouts::new()
                .with_long_poll_margin(Duration::ZERO)
                .long_poll_margin(),
            MIN_LONG_POLL_MARGIN
        );
    }

    #[test]
    fn ordinary_call_uses_request_timeout() {
        assert_eq!(Timeouts::default().for_call(None), s(30));
        assert_eq!(Timeouts::default().with_request(s(7)).for_call(None), s(7));
    }

    #[test]
    fn long_poll_with_defaults() {
        let t = Timeouts::default();
        assert_eq!(t.for_call(Some(30)), s(35));
        assert_eq!(t.for_call(Some(26)), s(31));
        assert_eq!(t.for_call(Some(25)), s(30));
        assert_eq!(t.for_call(Some(5)), s(30));
        assert_eq!(t.for_call(Some(0)), s(30));
    }

    #[test]
    fn long_poll_window_is_capped() {
        let t = Timeouts::default();
        assert_eq!(t.for_call(Some(31)), s(35));
        assert_eq!(t.for_call(Some(u32::MAX)), s(35));
    }

    #[test]
    fn long_poll_outlasts_a_short_request_timeout() {
        let t = Timeouts::default().with_request(s(1));
        assert_eq!(t.for_call(Some(20)), s(25));
        assert_eq!(t.for_call(Some(0)), s(5));
    }

    #[test]
    fn receive_without_wait_assumes_the_longest_window() {
        let t = Timeouts::default();
        assert_eq!(t.for_receive(None), s(35));
        assert_eq!(t.for_receive(Some(10)), s(30));
        assert_eq!(t.with_request(s(1)).for_receive(Some(10)), s(15));
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        let t = Timeouts::default().with_long_poll_margin(Duration::MAX);
        assert_eq!(t.for_call(Some(30)), Duration::MAX);
    }

    proptest! {
        #[test]
        fn receive_never_times_out_before_the_window(
            request_ms in 0u64..120_000,
            margin_ms in 0u64..60_000,
            window in any::<Option<u32>>(),
        ) {
            let t = Timeouts::default()
                .with_request(Duration::from_millis(request_ms))
                .with_long_poll_margin(Duration::from_millis(margin_ms));
            let d = t.for_call(window);
            prop_assert!(d >= t.request());
            if let Some(w) = window {
                let w = Duration::from_secs(u64::from(w.min(MAX_LONG_POLL_SECONDS)));
                prop_assert!(d >= w + MIN_LONG_POLL_MARGIN);
                prop_assert!(d <= t.request().max(w + t.long_poll_margin()));
            }
            prop_assert!(d <= s(180));
        }
    }
}
