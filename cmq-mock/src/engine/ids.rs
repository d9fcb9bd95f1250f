//! Identifiers: name keys, queue ids, message ids and receipt handles. (The name rule itself is
//! the profile's, in [`Limits`](super::Limits).)
//!
//! Message ids and receipt handles are numbers formatted only at the API boundary, so a stored
//! message carries no identifier strings:
//!
//! * msgId = `uid << 40 | seq` as a decimal `u64`, where `uid` is the engine-wide number of the
//!   queue that first stored the message and `seq` its per-queue sequence number (a message moved
//!   to a dead-letter queue keeps its msgId).
//! * receiptHandle = `uid << 96 | seq << 32 | generation` as a decimal `u128` (up to 39 digits;
//!   the old docs show numeric handles). `generation` counts the receives of that message, so each
//!   receive mints a fresh handle and older ones stop matching.

use super::error::{EngineError, ErrorKind};

/// The registry key of a name: ASCII lower case (names are unique case-insensitively).
pub fn name_key(name: &str) -> std::borrow::Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(name.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

const ID_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A fresh queue id: `queue-` and 10 random lowercase letters and digits (the docs show
/// `queue-ajksdfasdowe`).
pub fn new_queue_id() -> String {
    let mut s = String::with_capacity(16);
    s.push_str("queue-");
    for _ in 0..10 {
        s.push(char::from(ID_CHARS[fastrand::usize(..ID_CHARS.len())]));
    }
    s
}

const SEQ_BITS: u32 = 40;
const SEQ_MASK: u64 = (1 << SEQ_BITS) - 1;

/// The numeric msgId of message `seq` first stored in queue `uid`.
pub fn msg_id(uid: u32, seq: u64) -> u64 {
    (u64::from(uid) << SEQ_BITS) | (seq & SEQ_MASK)
}

/// The numeric receipt handle of the `generation`-th receive of message `seq` in queue `uid`.
pub fn receipt_handle(uid: u32, seq: u64, generation: u32) -> u128 {
    (u128::from(uid) << 96) | (u128::from(seq) << 32) | u128::from(generation)
}

/// A decoded receipt handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handle {
    /// The queue's engine-wide number.
    pub uid: u32,
    /// The message's sequence number in that queue.
    pub seq: u64,
    /// Which receive of the message minted it.
    pub generation: u32,
}

/// Parses a receipt handle. Anything that is not 1–39 ASCII digits fitting a `u128` is malformed
/// ([`ErrorKind::ReceiptHandleError`]); a well-formed handle may still be unknown or stale, which
/// the queue decides ([`ErrorKind::InvalidReceiptHandle`]).
pub fn parse_handle(s: &str) -> Result<Handle, EngineError> {
    let malformed = || EngineError::with_detail(ErrorKind::ReceiptHandleError, s.to_owned());
    if s.is_empty() || s.len() > 39 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let n: u128 = s.parse().map_err(|_| malformed())?;
    Ok(Handle {
        uid: (n >> 96) as u32,
        seq: (n >> 32) as u64,
        generation: n as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_keys_ignore_ascii_case() {
        assert_eq!(name_key("AbC"), "abc");
        assert!(matches!(name_key("abc"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn queue_ids_look_like_the_docs() {
        let id = new_queue_id();
        assert_eq!(id.len(), 16);
        assert!(id.starts_with("queue-"));
        assert!(
            id[6..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_ne!(new_queue_id(), new_queue_id());
    }

    #[test]
    fn handles_round_trip() {
        let h = receipt_handle(7, 123_456, u32::MAX);
        let p = parse_handle(&h.to_string()).unwrap();
        assert_eq!(
            p,
            Handle {
                uid: 7,
                seq: 123_456,
                generation: u32::MAX
            }
        );
        assert_eq!(msg_id(1, 5), (1 << 40) | 5);
        for bad in [
            "",
            "abc",
            "12a",
            "-1",
            " 1",
            &"9".repeat(40),
            "999999999999999999999999999999999999999",
        ] {
            assert_eq!(
                parse_handle(bad).unwrap_err().kind,
                ErrorKind::ReceiptHandleError,
                "{bad}"
            );
        }
        // Numeric but from no queue: well-formed (the queue rejects it as invalid).
        assert_eq!(parse_handle("283748239349283").unwrap().uid, 0);
    }
}
