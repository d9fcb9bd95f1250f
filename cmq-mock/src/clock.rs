//! The one clock everything in the mock runs on: the system clock, or a manual clock that tests
//! advance by hand.
//!
//! Every timed behaviour (visibility timeouts, delays, retention, long polls, push retries) asks the
//! clock for the time and sleeps with [`Clock::sleep_until`], so a test on a manual clock never
//! sleeps for real: it calls [`Clock::advance`] and every sleeper whose deadline has passed wakes at
//! once. Times are Unix milliseconds (`u64`).

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A cloneable handle to the system clock or to a shared manual clock.
#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

enum Inner {
    System,
    Manual(Mutex<ManualState>),
}

struct ManualState {
    now_ms: u64,
    next_id: u64,
    timers: BTreeMap<(u64, u64), Waker>,
    /// Told every new time (the data store writes it down).
    observer: Option<Arc<dyn Fn(u64) + Send + Sync>>,
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.inner {
            Inner::System => f.write_str("Clock::System"),
            Inner::Manual(_) => write!(f, "Clock::Manual({} ms)", self.now_ms()),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    /// The real wall clock; sleeps use tokio's timer.
    pub fn system() -> Self {
        Self {
            inner: Arc::new(Inner::System),
        }
    }

    /// A manual clock that starts at `start_ms` (Unix milliseconds) and moves only when told.
    pub fn manual(start_ms: u64) -> Self {
        Self {
            inner: Arc::new(Inner::Manual(Mutex::new(ManualState {
                now_ms: start_ms,
                next_id: 0,
                timers: BTreeMap::new(),
                observer: None,
            }))),
        }
    }

    /// A manual clock that starts at the current wall-clock time.
    pub fn manual_now() -> Self {
        Self::manual(system_now_ms())
    }

    /// True for a manual clock.
    pub fn is_manual(&self) -> bool {
        matches!(&*self.inner, Inner::Manual(_))
    }

    /// The current time in Unix milliseconds.
    pub fn now_ms(&self) -> u64 {
        match &*self.inner {
            Inner::System => system_now_ms(),
            Inner::Manual(m) => lock(m).now_ms,
        }
    }

    /// The current time in Unix seconds (rounded down), the unit of every CMQ time field.
    pub fn now_secs(&self) -> u64 {
        self.now_ms() / 1000
    }

    /// Moves a manual clock forward by `by` and wakes every sleeper whose deadline has come.
    /// Returns the new time. On the system clock it does nothing and returns the current time.
    pub fn advance(&self, by: Duration) -> u64 {
        let by_ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        match &*self.inner {
            Inner::System => system_now_ms(),
            Inner::Manual(m) => {
                let target = lock(m).now_ms.saturating_add(by_ms);
                self.set_manual(m, target)
            }
        }
    }

    /// Sets a manual clock to `to_ms` (it never goes backwards: an earlier time is ignored) and
    /// wakes every sleeper whose deadline has come. Returns the new time.
    pub fn set_ms(&self, to_ms: u64) -> u64 {
        match &*self.inner {
            Inner::System => system_now_ms(),
            Inner::Manual(m) => self.set_manual(m, to_ms),
        }
    }

    fn set_manual(&self, m: &Mutex<ManualState>, to_ms: u64) -> u64 {
        let due: Vec<Waker> = {
            let mut st = lock(m);
            if to_ms > st.now_ms {
                st.now_ms = to_ms;
                if let Some(observer) = &st.observer {
                    // Under the lock: observers see the times in the order they were set.
                    observer(to_ms);
                }
            }
            let now = st.now_ms;
            let later = st.timers.split_off(&(now.saturating_add(1), 0));
            let due = std::mem::replace(&mut st.timers, later);
            due.into_values().collect()
        };
        let now = self.now_ms();
        for w in due {
            w.wake();
        }
        now
    }

    /// Puts a manual clock back to `to_ms`, even earlier than it is (a restart resuming the time
    /// it had), and calls `observer` with every later time it is set to. Nothing may sleep on
    /// the clock yet. Does nothing on the system clock.
    pub(crate) fn resume_manual(
        &self,
        to_ms: Option<u64>,
        observer: Arc<dyn Fn(u64) + Send + Sync>,
    ) {
        if let Inner::Manual(m) = &*self.inner {
            let mut st = lock(m);
            if let Some(t) = to_ms {
                st.now_ms = t;
            }
            st.observer = Some(observer);
        }
    }

    /// The earliest deadline a sleeper waits for on a manual clock (`None` on the system clock or
    /// when nobody sleeps). Tests use it to jump straight to the next event.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        match &*self.inner {
            Inner::System => None,
            Inner::Manual(m) => lock(m).timers.keys().next().map(|(d, _)| *d),
        }
    }

    /// A future that completes once the clock reaches `deadline_ms` (at once if it has).
    pub fn sleep_until(&self, deadline_ms: u64) -> Sleep {
        match &*self.inner {
            Inner::System => {
                let wait = deadline_ms.saturating_sub(system_now_ms());
                Sleep {
                    kind: SleepKind::System(Box::pin(tokio::time::sleep(Duration::from_millis(
                        wait,
                    )))),
                }
            }
            Inner::Manual(_) => Sleep {
                kind: SleepKind::Manual {
                    clock: self.clone(),
                    deadline_ms,
                    id: None,
                },
            },
        }
    }

    /// A future that completes after `d` has passed on this clock.
    pub fn sleep(&self, d: Duration) -> Sleep {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.sleep_until(self.now_ms().saturating_add(ms))
    }
}

fn lock(m: &Mutex<ManualState>) -> MutexGuard<'_, ManualState> {
    // A panic while holding this lock cannot leave the state inconsistent (every update is a
    // single assignment or map operation), so a poisoned lock is still safe to use.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn system_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The future returned by [`Clock::sleep_until`] and [`Clock::sleep`].
pub struct Sleep {
    kind: SleepKind,
}

enum SleepKind {
    System(Pin<Box<tokio::time::Sleep>>),
    Manual {
        clock: Clock,
        deadline_ms: u64,
        id: Option<u64>,
    },
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sleep")
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.kind {
            SleepKind::System(s) => s.as_mut().poll(cx),
            SleepKind::Manual {
                clock,
                deadline_ms,
                id,
            } => {
                let Inner::Manual(m) = &*clock.inner else {
                    return Poll::Ready(());
                };
                let mut st = lock(m);
                if st.now_ms >= *deadline_ms {
                    if let Some(old) = id.take() {
                        st.timers.remove(&(*deadline_ms, old));
                    }
                    return Poll::Ready(());
                }
                let key_id = match *id {
                    Some(i) => i,
                    None => {
                        let i = st.next_id;
                        st.next_id += 1;
                        *id = Some(i);
                        i
                    }
                };
                st.timers.insert((*deadline_ms, key_id), cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let SleepKind::Manual {
            clock,
            deadline_ms,
            id: Some(i),
        } = &self.kind
        {
            if let Inner::Manual(m) = &*clock.inner {
                lock(m).timers.remove(&(*deadline_ms, *i));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn manual_sleep_wakes_exactly_at_deadline() {
        let clock = Clock::manual(1_000_000);
        let c2 = clock.clone();
        let task = tokio::spawn(async move {
            c2.sleep_until(1_005_000).await;
            c2.now_ms()
        });
        tokio::task::yield_now().await;
        assert_eq!(clock.next_deadline_ms(), Some(1_005_000));
        clock.advance(Duration::from_millis(4_999));
        tokio::task::yield_now().await;
        assert!(!task.is_finished());
        clock.advance(Duration::from_millis(1));
        assert_eq!(task.await.ok(), Some(1_005_000));
        assert_eq!(clock.next_deadline_ms(), None);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn dropped_sleep_unregisters() {
        let clock = Clock::manual(0);
        {
            let s = clock.sleep(Duration::from_secs(10));
            let mut s = Box::pin(s);
            let mut cx = Context::from_waker(Waker::noop());
            assert!(s.as_mut().poll(&mut cx).is_pending());
            assert_eq!(clock.next_deadline_ms(), Some(10_000));
        }
        assert_eq!(clock.next_deadline_ms(), None);
    }

    #[test]
    fn manual_clock_never_goes_back() {
        let clock = Clock::manual(5_000);
        assert_eq!(clock.set_ms(1_000), 5_000);
        assert_eq!(clock.set_ms(7_000), 7_000);
        assert_eq!(clock.now_secs(), 7);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn past_deadline_is_ready_at_once() {
        let clock = Clock::manual(10_000);
        clock.sleep_until(9_000).await;
        Clock::system().sleep_until(0).await;
    }
}
