//! A proptest of random operation sequences against a naive, eager model of one queue (with
//! delays, visibility, retention, rewind and a dead-letter queue under policy 0 or policy 1).

use proptest::prelude::*;

use super::*;

const VT_MS: u64 = 10_000;
const MAX_RECEIVES: u32 = 3;
const TTL_MS: u64 = 300_000;

/// The dead-letter rule under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Policy 0 with maxReceiveCount 3, retention 120 s.
    Receives,
    /// Policy 1 with maxTimeToLive 300 s, retention 600 s.
    Ttl,
}

impl Rule {
    /// The rewind window: longer than the TTL for policy 1, so rewinds restore messages whose
    /// TTL has passed.
    fn rewind_secs(self) -> u32 {
        match self {
            Rule::Receives => 100,
            Rule::Ttl => 400,
        }
    }

    fn retention_ms(self) -> u64 {
        match self {
            Rule::Receives => 120_000,
            Rule::Ttl => 600_000,
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Send { n: usize, delay: u32 },
    Receive { n: usize },
    Delete { pick: usize, stale: bool },
    Advance { ms: u64 },
    Rewind { back_secs: u64 },
    SetRewind { on: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1usize..=3, prop_oneof![Just(0u32), Just(5), Just(30)]).prop_map(|(n, delay)| Op::Send { n, delay }),
        3 => (1usize..=4).prop_map(|n| Op::Receive { n }),
        3 => (any::<usize>(), any::<bool>()).prop_map(|(pick, stale)| Op::Delete { pick, stale }),
        3 => prop_oneof![0u64..2_000, 2_000u64..15_000, Just(VT_MS), Just(60_000)].prop_map(|ms| Op::Advance { ms }),
        1 => prop_oneof![0u64..150, 150u64..500].prop_map(|back_secs| Op::Rewind { back_secs }),
        1 => any::<bool>().prop_map(|on| Op::SetRewind { on }),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum S {
    Active,
    Inflight,
    Delayed,
    Deleted,
    Gone,
    Dead,
}

#[derive(Debug)]
struct M {
    id: String,
    enqueue: u64,
    state: S,
    vis: u64,
    count: u32,
    generation: u32,
    ttl_exempt: bool,
}

struct Model {
    rule: Rule,
    now: u64,
    rewind_secs: u64,
    msgs: Vec<M>,
}

impl Model {
    fn settle(&mut self) {
        let now = self.now;
        let by_count = self.rule == Rule::Receives;
        for m in &mut self.msgs {
            let expiry = m.enqueue + self.rule.retention_ms();
            if matches!(m.state, S::Gone | S::Dead) {
                continue;
            }
            let live = matches!(m.state, S::Active | S::Inflight | S::Delayed);
            if self.rule == Rule::Ttl && live && !m.ttl_exempt && now >= m.enqueue + TTL_MS {
                m.state = S::Dead;
                continue;
            }
            if now >= expiry {
                let dead_first = by_count
                    && m.state == S::Inflight
                    && m.vis <= expiry
                    && m.count >= MAX_RECEIVES;
                m.state = if dead_first { S::Dead } else { S::Gone };
                continue;
            }
            if m.state == S::Delayed && now >= m.vis {
                m.state = S::Active;
            }
            if m.state == S::Inflight && now >= m.vis {
                m.state = if by_count && m.count >= MAX_RECEIVES {
                    S::Dead
                } else {
                    S::Active
                };
            }
        }
    }

    fn count(&self, s: S) -> u64 {
        self.msgs.iter().filter(|m| m.state == s).count() as u64
    }

    fn min_msg_time(&self) -> u64 {
        self.msgs
            .iter()
            .filter(|m| matches!(m.state, S::Active | S::Inflight | S::Delayed))
            .map(|m| m.enqueue)
            .min()
            .unwrap_or(0)
    }
}

/// The engine and the model side by side.
struct Run {
    e: Engine,
    a: Arc<Account>,
    model: Model,
    /// (handle, index into model.msgs, generation)
    handles: Vec<(String, usize, u32)>,
}

impl Run {
    fn new(rule: Rule) -> Self {
        let (e, a) = setup();
        create(&a, "dlq", |_| {});
        create(&a, "q", |u| {
            u.visibility_timeout = Some((VT_MS / 1000) as u32);
            u.msg_retention_seconds = Some((rule.retention_ms() / 1000) as u32);
            u.rewind_seconds = Some(rule.rewind_secs());
            u.dead_letter_policy = Some(match rule {
                Rule::Receives => DeadLetterPolicy::receive_count("dlq", MAX_RECEIVES),
                Rule::Ttl => DeadLetterPolicy::time_to_live("dlq", (TTL_MS / 1000) as u32),
            });
        });
        let model = Model {
            rule,
            now: T0,
            rewind_secs: u64::from(rule.rewind_secs()),
            msgs: Vec::new(),
        };
        Self {
            e,
            a,
            model,
            handles: Vec::new(),
        }
    }

    fn send(&mut self, n: usize, delay: u32) {
        let bodies: Vec<String> = (0..n)
            .map(|i| format!("{}-{i}", self.model.msgs.len()))
            .collect();
        let ids = self.a.batch_send_message("q", bodies, delay).unwrap();
        for id in ids {
            let delayed = delay > 0;
            self.model.msgs.push(M {
                id,
                enqueue: self.model.now,
                state: if delayed { S::Delayed } else { S::Active },
                vis: self.model.now + u64::from(delay) * 1000,
                count: 0,
                generation: 0,
                ttl_exempt: false,
            });
        }
    }

    fn receive(&mut self, n: usize) -> Result<(), TestCaseError> {
        self.model.settle();
        let got = recv_now(&self.a, "q", n);
        let now = self.model.now;
        let want: Vec<usize> = (0..self.model.msgs.len())
            .filter(|i| self.model.msgs[*i].state == S::Active)
            .take(n)
            .collect();
        if want.is_empty() {
            prop_assert_eq!(kind(got), ErrorKind::NoMessage);
        } else {
            let got = got.unwrap();
            prop_assert_eq!(got.len(), want.len());
            for (r, i) in got.iter().zip(want) {
                let m = &mut self.model.msgs[i];
                m.count += 1;
                m.generation += 1;
                m.vis = now + VT_MS;
                m.state = S::Inflight;
                prop_assert_eq!(&r.msg_id, &m.id);
                prop_assert_eq!(r.dequeue_count, m.count);
                prop_assert_eq!(r.next_visible_time_ms, m.vis);
                self.handles
                    .push((r.receipt_handle.clone(), i, m.generation));
            }
        }
        Ok(())
    }

    /// Deletes by a handle; false when there is none to use (then nothing is checked).
    fn delete(&mut self, pick: usize, stale: bool) -> Result<bool, TestCaseError> {
        if self.handles.is_empty() {
            return Ok(false);
        }
        self.model.settle();
        // Prefer the latest handle of a message unless asked for a stale one.
        let (h, i, generation) = if stale {
            self.handles[pick % self.handles.len()].clone()
        } else {
            self.handles[self.handles.len() - 1 - pick % self.handles.len().min(3)].clone()
        };
        let m = &mut self.model.msgs[i];
        let valid = m.state == S::Inflight && m.generation == generation && self.model.now < m.vis;
        let res = self.a.delete_message("q", &h);
        if valid {
            prop_assert!(res.is_ok(), "{res:?}");
            m.state = if self.model.rewind_secs > 0 {
                S::Deleted
            } else {
                S::Gone
            };
        } else {
            prop_assert_eq!(kind(res), ErrorKind::InvalidReceiptHandle);
        }
        Ok(true)
    }

    /// Rewinds `back_secs` before now; false when the engine refused (as the model expects).
    fn rewind(&mut self, back_secs: u64) -> Result<bool, TestCaseError> {
        let rule = self.model.rule;
        self.model.settle();
        let now_s = self.model.now / 1000;
        let t = now_s.saturating_sub(back_secs);
        let res = self.a.rewind_queue("q", t);
        if self.model.rewind_secs == 0 {
            prop_assert_eq!(kind(res), ErrorKind::QueueCannotRewind);
            return Ok(false);
        }
        let upper = match self.model.min_msg_time() {
            0 => now_s,
            m => m / 1000,
        };
        if t < now_s - self.model.rewind_secs.min(now_s) || t > upper {
            prop_assert_eq!(kind(res), ErrorKind::InvalidRewindTime);
            return Ok(false);
        }
        prop_assert!(res.is_ok(), "{res:?}");
        for m in &mut self.model.msgs {
            let restored = m.state == S::Deleted && m.enqueue >= t * 1000;
            if restored {
                m.ttl_exempt = rule == Rule::Ttl && m.enqueue + TTL_MS <= self.model.now;
            }
            if restored || m.state == S::Inflight {
                m.state = S::Active;
            }
        }
        Ok(true)
    }

    fn set_rewind(&mut self, on: bool) {
        let rule = self.model.rule;
        let secs = if on { rule.rewind_secs() } else { 0 };
        let u = QueueConfigUpdate {
            rewind_seconds: Some(secs),
            ..Default::default()
        };
        self.a.set_queue_attributes("q", &u).unwrap();
        self.model.rewind_secs = u64::from(secs);
        if !on {
            for m in &mut self.model.msgs {
                if m.state == S::Deleted {
                    m.state = S::Gone;
                }
            }
        }
    }

    /// The counters of both queues against the model.
    fn check(&mut self) -> Result<(), TestCaseError> {
        self.model.settle();
        let c = counters(&self.a, "q");
        let want = QueueCounters {
            active_msg_num: self.model.count(S::Active),
            inactive_msg_num: self.model.count(S::Inflight),
            delay_msg_num: self.model.count(S::Delayed),
            rewind_msg_num: self.model.count(S::Deleted),
            min_msg_time_ms: self.model.min_msg_time(),
        };
        prop_assert_eq!(c, want);
        prop_assert_eq!(
            counters(&self.a, "dlq").active_msg_num,
            self.model.count(S::Dead)
        );
        Ok(())
    }
}

fn run(rule: Rule, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut r = Run::new(rule);
    for op in ops {
        let check = match op {
            Op::Send { n, delay } => {
                r.send(n, delay);
                true
            }
            Op::Receive { n } => {
                r.receive(n)?;
                true
            }
            Op::Delete { pick, stale } => r.delete(pick, stale)?,
            Op::Advance { ms } => {
                adv(&r.e, ms);
                r.model.now += ms;
                true
            }
            Op::Rewind { back_secs } => r.rewind(back_secs)?,
            Op::SetRewind { on } => {
                r.set_rewind(on);
                true
            }
        };
        if check {
            r.check()?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn counters_follow_the_model_with_receive_count_dead_letters(
        ops in proptest::collection::vec(op(), 1..80)
    ) {
        run(Rule::Receives, ops)?;
    }

    #[test]
    fn counters_follow_the_model_with_ttl_dead_letters(ops in proptest::collection::vec(op(), 1..80)) {
        run(Rule::Ttl, ops)?;
    }
}
