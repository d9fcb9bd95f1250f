//! Backoff and the slot gate, on paused time with a fake listener.

use super::*;

#[test]
fn backoff_doubles_to_a_second_and_resets() {
    let mut b = Backoff::default();
    let waits: Vec<(u128, bool)> = (0..12)
        .map(|_| {
            let (d, first) = b.on_error();
            (d.as_millis(), first)
        })
        .collect();
    let ms: Vec<u128> = waits.iter().map(|w| w.0).collect();
    assert_eq!(
        ms,
        vec![5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000]
    );
    assert!(waits[0].1 && waits[1..].iter().all(|w| !w.1));
    b.reset();
    assert_eq!(b.on_error(), (Duration::from_millis(5), true));
}

/// A listener that always fails as a process out of descriptors does, counting attempts.
struct Exhausted {
    attempts: usize,
}

impl Acceptor for Exhausted {
    fn poll_accept(&mut self, _: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
        self.attempts += 1;
        Poll::Ready(Err(io::Error::from_raw_os_error(24))) // EMFILE
    }
}

#[tokio::test(start_paused = true)]
async fn accept_errors_back_off_instead_of_spinning() {
    let (tx, rx) = watch::channel(false);
    let mut gate = Gate::new(4, rx);
    let mut fake = Exhausted { attempts: 0 };
    // Ten seconds of (virtual) time of nothing but EMFILE.
    let r = tokio::time::timeout(Duration::from_secs(10), gate.next(&mut fake)).await;
    assert!(r.is_err(), "no connection can come out of it");
    // 5 ms doubling to 1 s: 9 attempts in the first 1.3 s, then one a second.
    assert!(
        (15..=20).contains(&fake.attempts),
        "{} attempts in 10 s",
        fake.attempts
    );
    // Shutdown ends the wait at once.
    tx.send_replace(true);
    let r = tokio::time::timeout(Duration::from_millis(1), gate.next(&mut fake)).await;
    assert!(matches!(r, Ok(None)));
}

#[tokio::test(start_paused = true)]
async fn eviction_picks_the_longest_idle_connection() {
    let epoch = Instant::now();
    let reg = Registry::default();
    let a = Arc::new(ConnState::new(epoch));
    tokio::time::advance(Duration::from_millis(10)).await;
    let b = Arc::new(ConnState::new(epoch));
    let busy = Arc::new(ConnState::new(epoch));
    busy.enter(BUSY);
    reg.insert(busy.clone());
    reg.insert(b.clone());
    reg.insert(a.clone());
    assert!(reg.evict_one());
    // `a` has been idle the longest: its notification is stored.
    let fired = |c: &ConnState| {
        let n = c.evict.notified();
        let mut n = pin!(n);
        let waker = futures_util::task::noop_waker();
        n.as_mut().poll(&mut Context::from_waker(&waker)).is_ready()
    };
    assert!(fired(&a));
    assert!(!fired(&b) && !fired(&busy));
    a.enter(HEAD);
    b.flushing.store(true, Ordering::Relaxed);
    assert!(!reg.evict_one(), "nothing idle with its answer out");
    b.flushing.store(false, Ordering::Relaxed);
    assert!(reg.evict_one());
    assert!(fired(&b));
}

#[tokio::test(start_paused = true)]
async fn deadlines_follow_the_phase() {
    let limits = ServerLimits {
        header_timeout: Duration::from_secs(3),
        idle_timeout: Duration::from_secs(100),
        ..ServerLimits::default()
    };
    let epoch = Instant::now();
    let c = ConnState::new(epoch);
    assert_eq!(c.deadline(&limits), Some(epoch + Duration::from_secs(100)));
    tokio::time::advance(Duration::from_secs(7)).await;
    c.enter(HEAD);
    assert_eq!(c.deadline(&limits), Some(epoch + Duration::from_secs(10)));
    c.enter(BUSY);
    assert_eq!(c.deadline(&limits), None);
}

#[test]
fn the_tick_is_a_third_of_the_shortest_timeout() {
    assert_eq!(tick(&ServerLimits::default()), Duration::from_secs(10));
    let fast = ServerLimits {
        idle_timeout: Duration::from_millis(300),
        ..ServerLimits::default()
    };
    assert_eq!(tick(&fast), Duration::from_millis(100));
    let zero = ServerLimits {
        header_timeout: Duration::ZERO,
        ..ServerLimits::default()
    };
    assert_eq!(tick(&zero), Duration::from_millis(1));
}
