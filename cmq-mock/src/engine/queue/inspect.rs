//! Inspection without side effects: the whole queue ([`Queue::snapshot`], for tests in process)
//! or one page of one state's messages with bodies cut to a preview ([`Queue::page`], for the
//! admin API), copying under the queue's lock only what the page shows.

use super::Queue;
use super::state::{Msg, MsgState};
use crate::engine::error::EngineResult;
use crate::engine::types::{MessageState, MessageView, QueueAttributes, QueueSnapshot};

/// One page of the messages of a queue in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePage {
    /// The queue's attributes (counters included).
    pub attributes: QueueAttributes,
    /// Which messages.
    pub state: MessageState,
    /// How many messages are in that state (not only on this page).
    pub total: usize,
    /// The page, in the order of the state's index: production order for active and deleted
    /// messages, next-visible time for inactive ones, delay end for delayed ones.
    pub messages: Vec<MessageView>,
}

/// The view of a stored message; its body cut to at most `body_bytes` (on a character
/// boundary) when given.
fn view(seq: u64, m: &Msg, state: MessageState, body_bytes: Option<usize>) -> MessageView {
    let body: &str = &m.body;
    let kept = match body_bytes {
        Some(max) if body.len() > max => {
            let mut n = max;
            while !body.is_char_boundary(n) {
                n -= 1;
            }
            &body[..n]
        }
        _ => body,
    };
    MessageView {
        seq,
        msg_id: m.msg_id.to_string(),
        body: kept.to_owned(),
        body_len: body.len(),
        state,
        enqueue_time_ms: m.enqueue_ms,
        first_dequeue_time_ms: m.first_dequeue_ms,
        next_visible_time_ms: m.visible_ms,
        dequeue_count: m.dequeue_count,
    }
}

impl Queue {
    /// Every stored message grouped by state, with the attributes. Receives, deletes and counts
    /// nothing; it only settles transitions that are already due (as every operation does).
    /// It copies the whole queue under its lock: for a large queue, use [`Queue::page`].
    pub fn snapshot(&self) -> EngineResult<QueueSnapshot> {
        let (_, st) = self.begin()?;
        let mut snap = QueueSnapshot {
            attributes: self.attributes_locked(&st),
            active: Vec::with_capacity(st.active.len()),
            inactive: Vec::with_capacity(st.inflight.len()),
            delayed: Vec::with_capacity(st.delayed.len()),
            deleted: st
                .retained
                .iter()
                .map(|(&s, m)| view(s, m, MessageState::Deleted, None))
                .collect(),
        };
        for (&seq, m) in &st.live {
            match m.state {
                MsgState::Active => snap.active.push(view(seq, m, MessageState::Active, None)),
                MsgState::Inflight => {
                    snap.inactive
                        .push(view(seq, m, MessageState::Inactive, None));
                }
                MsgState::Delayed => snap.delayed.push(view(seq, m, MessageState::Delayed, None)),
                MsgState::Deleted => snap.deleted.push(view(seq, m, MessageState::Deleted, None)),
            }
        }
        Ok(snap)
    }

    /// Up to `limit` messages in `state` from the `offset`-th on, bodies cut to `body_bytes`
    /// when given; the page also ends once its bodies total `page_bytes` (it holds at least one
    /// message). Side-effect free like [`Queue::snapshot`]; under the lock it walks the state's
    /// own index (`offset + limit` entries, whatever the queue's size) and copies only the page.
    pub fn page(
        &self,
        state: MessageState,
        offset: usize,
        limit: usize,
        body_bytes: Option<usize>,
        page_bytes: usize,
    ) -> EngineResult<MessagePage> {
        let (_, st) = self.begin()?;
        let mut copied = 0usize;
        let mut fits = |m: &Msg| {
            let first = copied == 0;
            copied += body_bytes.map_or(m.body.len(), |b| b.min(m.body.len()));
            first || copied <= page_bytes
        };
        let mut live = |seq: u64| {
            let m = st.live.get(&seq)?;
            fits(m).then(|| view(seq, m, state, body_bytes))
        };
        let (total, messages): (usize, Vec<MessageView>) = match state {
            MessageState::Active => (
                st.active.len(),
                st.active
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map_while(|&s| live(s))
                    .collect(),
            ),
            MessageState::Inactive => (
                st.inflight.len(),
                st.inflight
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map_while(|&(_, s)| live(s))
                    .collect(),
            ),
            MessageState::Delayed => (
                st.delayed.len(),
                st.delayed
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map_while(|&(_, s)| live(s))
                    .collect(),
            ),
            MessageState::Deleted => (
                st.retained.len(),
                st.retained
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map_while(|(&s, m)| fits(m).then(|| view(s, m, state, body_bytes)))
                    .collect(),
            ),
        };
        Ok(MessagePage {
            attributes: self.attributes_locked(&st),
            state,
            total,
            messages,
        })
    }
}
