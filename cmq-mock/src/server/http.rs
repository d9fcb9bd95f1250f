//! One HTTP request: to the admin API (behind its checks) or through the CMQ pipeline.

use std::panic::AssertUnwindSafe;

use bytes::Bytes;
use cmq_sdk::generated::MAX_REQUEST_BYTES;
use cmq_sdk::generated::v3::MAX_REQUEST_BYTES as API3_MAX_REQUEST_BYTES;
use futures_util::FutureExt;
use http_body_util::Full;
use hyper::header::{
    CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue, WWW_AUTHENTICATE,
};
use hyper::{Request, Response, StatusCode};
use serde_json::json;

use super::api3::{Api3Routes, Body3, is_api3};
use super::body::{BodyError, read_body};
use super::cmq::{Answer, Raw};
use super::conn::ConnState;
use super::{ADMIN_MAX_BODY_BYTES, ADMIN_PREFIX, Shared, guard, panic_text};
use crate::admin::ui;
use crate::generated::service::CmqService;

/// The connection is to be closed without an answer (an injected fault, a broken body).
#[derive(Debug)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped")
    }
}

impl std::error::Error for DropConnection {}

pub(crate) type HttpResult = Result<Response<Full<Bytes>>, DropConnection>;

pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn error_response(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    json_response(status, json!({ "error": message }).to_string().into_bytes())
}

fn declared_length(req: &hyper::http::request::Parts) -> Option<u64> {
    req.headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Marks the answer as the last one on its connection; `linger`: the client may still be
/// sending a body nobody read, so the connection reads and discards for a while before closing.
fn closing(mut r: Response<Full<Bytes>>, conn: Option<&ConnState>, linger: bool) -> HttpResult {
    r.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    if linger {
        if let Some(c) = conn {
            c.request_linger();
        }
    }
    Ok(r)
}

impl<S: CmqService> Shared<S> {
    /// Answers one request; `conn` is the connection it came on (none in process).
    pub(crate) async fn http<B>(&self, req: Request<B>, conn: Option<&ConnState>) -> HttpResult
    where
        B: hyper::body::Body<Data = Bytes> + Unpin,
        B::Error: std::fmt::Display,
    {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path();
        if path.starts_with(ADMIN_PREFIX) || path == "/_mock" {
            return self.admin(&parts, body, conn).await;
        }
        let host = parts
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .unwrap_or("");
        if let Some(routes) = &self.api3 {
            if is_api3(path, &parts.headers) {
                return self.http_api3(&**routes, &parts, host, body, conn).await;
            }
        }
        let method = parts.method.as_str();
        let declared = declared_length(&parts);
        let limit = if method == "POST" {
            MAX_REQUEST_BYTES
        } else {
            0
        };
        let read = read_body(body, limit, declared, self.limits.body_timeout).await;
        let mut last = None;
        let body_bytes;
        let raw = match (method, read) {
            (_, Err(BodyError::Broken)) => return Err(DropConnection),
            (_, Err(BodyError::TimedOut)) => {
                last = Some(false);
                Raw::TimedOut(self.limits.body_timeout)
            }
            ("POST", Err(BodyError::TooLarge { drained })) => {
                last = (!drained).then_some(true);
                Raw::TooLarge
            }
            ("POST", Ok(b)) => {
                body_bytes = b;
                Raw::Form(&body_bytes)
            }
            // A GET (or other) body carries nothing: it was read off the connection and ignored.
            (_, Err(BodyError::TooLarge { drained })) => {
                last = (!drained).then_some(true);
                self.raw_of_method(method, &parts)
            }
            (_, Ok(_)) => self.raw_of_method(method, &parts),
        };
        match self.cmq(method, host, path, raw).await {
            Answer::Json(b) => {
                let r = json_response(StatusCode::OK, b);
                match last {
                    Some(linger) => closing(r, conn, linger),
                    None => Ok(r),
                }
            }
            Answer::Drop => Err(DropConnection),
        }
    }

    /// An API 3.0 request: its body within API 3.0's size limit (POST; any other method's body
    /// is read off and ignored), then [`Shared::api3`].
    async fn http_api3<B>(
        &self,
        routes: &dyn Api3Routes,
        parts: &hyper::http::request::Parts,
        host: &str,
        body: B,
        conn: Option<&ConnState>,
    ) -> HttpResult
    where
        B: hyper::body::Body<Data = Bytes> + Unpin,
        B::Error: std::fmt::Display,
    {
        let post = parts.method == hyper::Method::POST;
        let limit = if post { API3_MAX_REQUEST_BYTES } else { 0 };
        let read = read_body(
            body,
            limit,
            declared_length(parts),
            self.limits.body_timeout,
        )
        .await;
        let mut last = None;
        let bytes;
        let body3 = match read {
            Err(BodyError::Broken) => return Err(DropConnection),
            Err(BodyError::TimedOut) => {
                last = Some(false);
                Body3::TimedOut
            }
            Err(BodyError::TooLarge { drained }) if post => {
                last = (!drained).then_some(true);
                Body3::TooLarge
            }
            Err(BodyError::TooLarge { drained }) => {
                last = (!drained).then_some(true);
                Body3::Bytes(&[])
            }
            Ok(b) => {
                bytes = b;
                Body3::Bytes(if post { &bytes } else { &[] })
            }
        };
        match self.api3(routes, parts, host, body3).await {
            Answer::Json(b) => {
                let r = json_response(StatusCode::OK, b);
                match last {
                    Some(linger) => closing(r, conn, linger),
                    None => Ok(r),
                }
            }
            Answer::Drop => Err(DropConnection),
        }
    }

    fn raw_of_method<'a>(&self, method: &str, parts: &'a hyper::http::request::Parts) -> Raw<'a> {
        if method == "GET" {
            Raw::Form(parts.uri.query().unwrap_or("").as_bytes())
        } else {
            Raw::BadMethod
        }
    }

    async fn admin<B>(
        &self,
        parts: &hyper::http::request::Parts,
        body: B,
        conn: Option<&ConnState>,
    ) -> HttpResult
    where
        B: hyper::body::Body<Data = Bytes> + Unpin,
        B::Error: std::fmt::Display,
    {
        let admin = match &self.admin {
            Some(a) if self.access.enabled => a,
            _ => {
                return Ok(error_response(
                    StatusCode::NOT_FOUND,
                    "this server has no admin API",
                ));
            }
        };
        let addr = self.addr.get().copied();
        let unread = !body.is_end_stream();
        if ui::is_ui_path(parts.uri.path()) {
            let r = match guard::check_page(&self.access, addr, &parts.headers) {
                Ok(()) => ui::respond(&parts.method, parts.uri.path(), &parts.headers),
                Err(refusal) => error_response(refusal.status, &refusal.message),
            };
            // The dashboard's files are GETs: a body sent with one is never read.
            return if unread {
                closing(r, conn, true)
            } else {
                Ok(r)
            };
        }
        if let Err(refusal) = guard::check(&self.access, addr, &parts.method, &parts.headers) {
            let mut r = error_response(refusal.status, &refusal.message);
            if refusal.status == StatusCode::UNAUTHORIZED {
                r.headers_mut()
                    .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // A body that was sent is never read: then this is the connection's last answer.
            return if unread {
                closing(r, conn, true)
            } else {
                Ok(r)
            };
        }
        let timeout = self.limits.body_timeout;
        let bytes =
            match read_body(body, ADMIN_MAX_BODY_BYTES, declared_length(parts), timeout).await {
                Ok(b) => b,
                Err(BodyError::TooLarge { drained }) => {
                    let r = error_response(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
                    return if drained {
                        Ok(r)
                    } else {
                        closing(r, conn, true)
                    };
                }
                Err(BodyError::TimedOut) => {
                    let r = error_response(StatusCode::REQUEST_TIMEOUT, "request body too slow");
                    return closing(r, conn, false);
                }
                Err(BodyError::Broken) => return Err(DropConnection),
            };
        let fut = admin.handle(
            parts.method.as_str(),
            parts.uri.path(),
            parts.uri.query().unwrap_or(""),
            &bytes,
        );
        let (status, body) = match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(answer) => answer,
            Err(p) => {
                tracing::error!(panic = panic_text(&*p), "cmq-mock: admin handler panicked");
                let text = format!("admin handler panicked: {}", panic_text(&*p));
                (500, json!({ "error": text }).to_string().into_bytes())
            }
        };
        let (status, body) = match self.durable().await {
            Ok(()) => (status, body),
            Err(()) => (500, br#"{"error":"the data store failed"}"#.to_vec()),
        };
        Ok(json_response(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body,
        ))
    }
}
