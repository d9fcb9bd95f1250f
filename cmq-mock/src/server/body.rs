//! Reading request bodies within bounds: at most `limit` bytes are kept, an oversized body is
//! read on and thrown away (up to [`DRAIN_LIMIT_BYTES`]) so that the client, still sending, gets
//! its answer instead of a reset connection, and the whole body must arrive before a deadline.

use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::BodyExt;
use hyper::body::Body;

/// How much of an oversized body is read (and thrown away) before answering, so that a client
/// that sends its whole body before reading the answer (most do) gets the answer: 64 MiB. A
/// body declared larger is not read at all: the answer goes out at once, and the connection
/// lingers (reads and discards for a bounded time) before it closes, see
/// [`super::conn::LINGER_BYTES`].
pub(crate) const DRAIN_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// Why no body was returned.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Over the limit. `drained`: the rest of the body was read (the connection stays usable);
    /// otherwise the connection must close after the answer (and linger).
    TooLarge { drained: bool },
    /// The body did not arrive before the deadline.
    TimedOut,
    /// The connection broke (or sent a malformed chunk).
    Broken,
}

/// Reads `body`, keeping at most `limit` bytes. `declared` is its `Content-Length`, when sent;
/// the whole body must arrive within `timeout` (counted from the first wait: a body that came
/// with its headers never reads the clock).
pub(crate) async fn read_body<B>(
    mut body: B,
    limit: usize,
    declared: Option<u64>,
    timeout: std::time::Duration,
) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    if declared.is_some_and(|n| n > DRAIN_LIMIT_BYTES) {
        return Err(BodyError::TooLarge { drained: false });
    }
    let mut too_large = declared.is_some_and(|n| n > limit as u64);
    let hint = declared.map_or(0, |n| usize::try_from(n).unwrap_or(limit).min(limit));
    let mut first: Option<Bytes> = None;
    let mut buf: Vec<u8> = Vec::new();
    let mut total: u64 = 0;
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let next = match body.frame().now_or_never() {
            Some(ready) => ready,
            None => {
                let at = *deadline.get_or_insert_with(|| tokio::time::Instant::now() + timeout);
                match tokio::time::timeout_at(at, body.frame()).await {
                    Err(_) => return Err(BodyError::TimedOut),
                    Ok(next) => next,
                }
            }
        };
        let frame = match next {
            None => break,
            Some(Err(e)) => {
                tracing::trace!(error = %e, "cmq-mock: request body broke");
                return Err(BodyError::Broken);
            }
            Some(Ok(frame)) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len() as u64);
        if total > DRAIN_LIMIT_BYTES {
            return Err(BodyError::TooLarge { drained: false });
        }
        if too_large || total > limit as u64 {
            too_large = true;
            first = None;
            buf = Vec::new();
            continue;
        }
        if first.is_none() && buf.is_empty() {
            first = Some(data);
        } else {
            if let Some(f) = first.take() {
                buf.reserve(hint.max(f.len() + data.len()));
                buf.extend_from_slice(&f);
            }
            buf.extend_from_slice(&data);
        }
    }
    if too_large {
        return Err(BodyError::TooLarge { drained: true });
    }
    Ok(first.unwrap_or_else(|| Bytes::from(buf)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{Full, StreamBody};
    use hyper::body::Frame;
    use std::time::Duration;

    fn later() -> Duration {
        Duration::from_secs(3600)
    }

    type Chunks = StreamBody<
        futures_util::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, std::io::Error>>>,
    >;

    fn chunks(parts: &[&[u8]]) -> Chunks {
        let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = parts
            .iter()
            .map(|p| Ok(Frame::data(Bytes::copy_from_slice(p))))
            .collect();
        StreamBody::new(futures_util::stream::iter(frames))
    }

    #[tokio::test]
    async fn whole_and_chunked_bodies() {
        let one = read_body(Full::new(Bytes::from_static(b"a=1")), 10, Some(3), later()).await;
        assert_eq!(one, Ok(Bytes::from_static(b"a=1")));
        let many = read_body(chunks(&[b"a=", b"1&", b"b=2"]), 10, None, later()).await;
        assert_eq!(many, Ok(Bytes::from_static(b"a=1&b=2")));
        let empty = read_body(Full::new(Bytes::new()), 10, Some(0), later()).await;
        assert_eq!(empty, Ok(Bytes::new()));
    }

    #[tokio::test]
    async fn oversized_bodies_are_drained_then_refused() {
        // Over the limit, streamed: read to the end (drained) and refused.
        let r = read_body(chunks(&[b"12345", b"67890", b"x"]), 8, None, later()).await;
        assert_eq!(r, Err(BodyError::TooLarge { drained: true }));
        // Declared over the limit: the same.
        let r = read_body(chunks(&[b"123456789"]), 8, Some(9), later()).await;
        assert_eq!(r, Err(BodyError::TooLarge { drained: true }));
        // Declared over what is ever drained: refused without reading.
        let r = read_body(chunks(&[b"1"]), 8, Some(DRAIN_LIMIT_BYTES + 1), later()).await;
        assert_eq!(r, Err(BodyError::TooLarge { drained: false }));
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stalls_times_out() {
        // One chunk, then nothing: the deadline (virtual time) ends the wait.
        use futures_util::StreamExt;
        let first: Result<Frame<Bytes>, std::io::Error> =
            Ok(Frame::data(Bytes::from_static(b"a=1")));
        let stalled = futures_util::stream::iter([first]).chain(futures_util::stream::pending());
        let body = StreamBody::new(stalled);
        let r = read_body(body, 1024, Some(100), Duration::from_secs(60)).await;
        assert_eq!(r, Err(BodyError::TimedOut));
    }
}
