//! One HTTP exchange, hardened against hostile or broken servers and shared by both protocols:
//!
//! * redirects are never followed (the client is built with `redirect::Policy::none()`), so a
//!   3xx answer is an [`Error::HttpStatus`] and a signed request is never resent elsewhere;
//! * the body is read chunk by chunk and reading stops with [`Error::ResponseTooLarge`] as soon as
//!   it would pass the limit (a declared `Content-Length` above the limit is refused before
//!   reading anything);
//! * transport errors are stripped of the request URL, which in GET mode carries the signature
//!   and the token.
//!
//! A client given with [`ClientBuilder::http_client`](crate::ClientBuilder::http_client) keeps its
//! own redirect policy and logging: build it with `redirect::Policy::none()`, and leave
//! reqwest's `connection_verbose` off (it logs the raw request, signature included, at trace
//! level). Prefer POST (the default) to GET: a GET URL with its signature can also end up in
//! proxy and server logs.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::error::Error;

/// The default limit on an answer's body: 32 MiB. BatchReceiveMessage returns up to 16 messages
/// of up to 1 MiB each; JSON escaping can make a body longer on the wire (`"` becomes `\"`, a
/// control character `\u00XX`), so the limit leaves twice that room.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// The first allocation for a body of unknown length; it grows as chunks arrive.
const INITIAL_CAPACITY: usize = 16 * 1024;

/// The largest first allocation, whatever length the server declares (a declared length is not
/// trusted with memory before the bytes arrive).
const MAX_INITIAL_CAPACITY: usize = 1024 * 1024;

/// The HTTP client the SDK builds when none is given: connect timeout, pooled keep-alive
/// connections, no redirects.
pub(crate) fn build_http_client(connect: Duration) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(connect)
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {}", e.without_url())))
}

/// Sends `req` and reads the answer's status and body (at most `limit` bytes).
pub(crate) async fn exchange(
    req: reqwest::RequestBuilder,
    limit: usize,
    connect: Duration,
) -> Result<(u16, Bytes), Error> {
    let resp = req.send().await.map_err(|e| transport(e, connect))?;
    let status = resp.status().as_u16();
    let body = read_body(resp, limit, connect).await?;
    Ok((status, body))
}

/// Reads a body chunk by chunk, refusing to go past `limit` bytes.
async fn read_body(
    mut resp: reqwest::Response,
    limit: usize,
    connect: Duration,
) -> Result<Bytes, Error> {
    let status = resp.status().as_u16();
    let too_large = || Error::ResponseTooLarge { limit, status };
    let declared = resp.content_length();
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let Some(first) = next_chunk(&mut resp, connect).await? else {
        return Ok(Bytes::new());
    };
    if first.len() > limit {
        return Err(too_large());
    }
    let Some(second) = next_chunk(&mut resp, connect).await? else {
        // The common case: one chunk, kept without a copy.
        return Ok(first);
    };
    let both = first.len().saturating_add(second.len());
    if both > limit {
        return Err(too_large());
    }
    let hint = declared.map_or(INITIAL_CAPACITY, |n| {
        usize::try_from(n).unwrap_or(MAX_INITIAL_CAPACITY)
    });
    let mut buf = BytesMut::with_capacity(hint.min(MAX_INITIAL_CAPACITY).max(both));
    buf.extend_from_slice(&first);
    buf.extend_from_slice(&second);
    while let Some(c) = next_chunk(&mut resp, connect).await? {
        if c.len() > limit - buf.len() {
            return Err(too_large());
        }
        buf.extend_from_slice(&c);
    }
    Ok(buf.freeze())
}

async fn next_chunk(r: &mut reqwest::Response, connect: Duration) -> Result<Option<Bytes>, Error> {
    r.chunk().await.map_err(|e| transport(e, connect))
}

/// A transport error without the request URL (in GET mode the URL carries the signature and the
/// token), with its chain of causes in the message.
pub(crate) fn transport(e: reqwest::Error, connect: Duration) -> Error {
    let e = e.without_url();
    if e.is_timeout() {
        // reqwest's only timeout here is the connect timeout; whole attempts are timed outside.
        return Error::Timeout {
            after: connect,
            deadline: false,
            attempts: 1,
        };
    }
    let mut message = e.to_string();
    let mut cur = std::error::Error::source(&e);
    while let Some(c) = cur {
        message.push_str(": ");
        message.push_str(&c.to_string());
        cur = c.source();
    }
    Error::Transport {
        message,
        source: Some(Box::new(e)),
    }
}
