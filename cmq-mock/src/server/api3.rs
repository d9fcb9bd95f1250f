//! The API 3.0 pipeline of one request, beside the API 2.0 one on the same listener: told apart
//! by the request (a POST to `/` with an `X-TC-Action` header: [`is_api3`], one header lookup
//! that API 2.0 requests to other paths never pay), then the method, the action, the version,
//! authentication ([`crate::protocol::v3::auth`]), faults (by the action's API 2.0
//! counterpart, [`crate::protocol::v3::fault_action`]), the generated dispatcher and the
//! journal. Every answer is HTTP 200 with `Content-Type: application/json` and the JSON
//! envelope, errors included (`{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`): the
//! official SDKs read nothing else.
//!
//! What is not served (spec decision "GET and v1-signed requests"): a GET with `X-TC-Action`
//! answers `UnsupportedProtocol`; a form body signed with API 3.0's older HmacSHA1/HmacSHA256
//! scheme carries no `X-TC-Action` and so reaches the API 2.0 pipeline. Every official SDK sends
//! POST with TC3-HMAC-SHA256.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

use cmq_sdk::generated::v3::actions::Api3Action;
use cmq_sdk::generated::v3::errors::{Api3ErrorId, protocol};
use cmq_sdk::generated::v3::{PATH, VERSION, headers};
use cmq_sdk::sign::tc3::Tc3Request;
use futures_util::FutureExt;
use hyper::http::request::Parts;

use super::cmq::Answer;
use super::{Shared, panic_text};
use crate::faults::InjectedFailure;
use crate::generated::service::CmqService;
use crate::generated::v3::dispatch::dispatch_for;
use crate::generated::v3::envelope::{Api3Context, Api3Error};
use crate::protocol::v2::wire::WireParams;
use crate::protocol::v3::auth::authenticate;
use crate::protocol::v3::backend::Api3Backend;
use crate::protocol::v3::fault_action;

/// An API 3.0 service the server can call: the generated dispatcher over a backend.
pub trait Api3Routes: Send + Sync + 'static {
    /// Decodes, validates and serves `body` as a request of `ctx.action`; the JSON answer or
    /// the error to answer.
    fn call<'a>(
        &'a self,
        ctx: &'a Api3Context,
        body: &'a [u8],
    ) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, Api3Error>> + Send + 'a>>;
}

impl Api3Routes for Api3Backend {
    fn call<'a>(
        &'a self,
        ctx: &'a Api3Context,
        body: &'a [u8],
    ) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, Api3Error>> + Send + 'a>> {
        Box::pin(dispatch_for(self, ctx, self.profile(), ctx.action, body))
    }
}

/// Whether a request is an API 3.0 one: to the API's path with an `X-TC-Action` header (checked
/// only for that path, so API 2.0 requests to `/v2/index.php` never look at headers).
pub(crate) fn is_api3(path: &str, headers: &hyper::HeaderMap) -> bool {
    path == PATH && headers.contains_key(headers::X_TC_ACTION)
}

/// The body of an API 3.0 request, or why there is none.
pub(crate) enum Body3<'a> {
    /// The whole body.
    Bytes(&'a [u8]),
    /// Over the size limit.
    TooLarge,
    /// Did not arrive in time.
    TimedOut,
}

/// A header's value as text (`None` when absent or not visible ASCII).
fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The journal's parameters of a request: Action, Version, Region, then the body's members.
fn journal_params(parts: &Parts, body: &[u8]) -> WireParams {
    let mut p = WireParams::from_pairs(Vec::<(String, String)>::new());
    for (name, header_name) in [
        ("Action", headers::X_TC_ACTION),
        ("Version", headers::X_TC_VERSION),
        ("Region", headers::X_TC_REGION),
    ] {
        if let Some(v) = header(parts, header_name) {
            p.push(name, v);
        }
    }
    if let Some(obj) = cmq_sdk::api3::decode::body(body) {
        for (k, v) in &obj {
            match v {
                serde_json::Value::String(s) => p.push(k, s),
                other => p.push(k, &other.to_string()),
            }
        }
    }
    p
}

impl<S: CmqService> Shared<S> {
    /// Serves one API 3.0 request (see the module docs).
    pub(crate) async fn api3(
        &self,
        routes: &dyn Api3Routes,
        parts: &Parts,
        host: &str,
        body: Body3<'_>,
    ) -> Answer {
        let time_ms = self.clock.now_ms();
        let request_id = self.next_request_id();
        let bytes: &[u8] = match body {
            Body3::Bytes(b) => b,
            Body3::TooLarge | Body3::TimedOut => &[],
        };
        let params = || journal_params(parts, bytes);
        let refuse = |e: Api3Error, account: Option<String>| {
            let body = e.encode(&request_id);
            self.journal.record_api3(
                time_ms,
                account,
                params(),
                Some(e.code()),
                request_id.clone(),
            );
            Answer::Json(body)
        };
        if !matches!(body, Body3::Bytes(_)) {
            return refuse(Api3Error::new(protocol::TOO_LARGE), None);
        }
        if parts.method != hyper::Method::POST {
            return refuse(Api3Error::new(protocol::BAD_METHOD), None);
        }
        let action_text = header(parts, headers::X_TC_ACTION).unwrap_or("");
        let Some(action) = Api3Action::from_wire(action_text) else {
            return refuse(
                Api3Error::about(protocol::UNKNOWN_ACTION, action_text),
                None,
            );
        };
        match header(parts, headers::X_TC_VERSION) {
            None => {
                let e = Api3Error::about(Api3ErrorId::MissingParameter, headers::X_TC_VERSION);
                return refuse(e, None);
            }
            Some(v) if v != VERSION => {
                return refuse(Api3Error::about(protocol::BAD_VERSION, v), None);
            }
            Some(_) => {}
        }
        let header_pairs: Vec<(&str, &str)> = parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
            .collect();
        let req = Tc3Request {
            method: parts.method.as_str(),
            host,
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &header_pairs,
            body: bytes,
        };
        let account = match authenticate(&req, &self.verifier, &*self.accounts) {
            Ok(a) => a,
            Err(e) => return refuse(e, None),
        };
        let mut drop_answer = false;
        if let Some(injection) = self.faults.take_for(fault_action(action)) {
            if let Some(latency) = injection.latency {
                tokio::time::sleep(latency).await;
            }
            match injection.failure {
                Some(InjectedFailure::Error(e)) => {
                    return refuse(Api3Error::from_v2(action, e.error), Some(account));
                }
                Some(InjectedFailure::Raw { .. }) => {
                    return refuse(Api3Error::new(protocol::INTERNAL), Some(account));
                }
                // Carried out and journaled as usual; only the answer is lost.
                Some(InjectedFailure::DropAnswer) => drop_answer = true,
                Some(InjectedFailure::DropConnection) => {
                    self.journal
                        .record_api3(time_ms, Some(account), params(), None, request_id);
                    return Answer::Drop;
                }
                None => {}
            }
        }
        let ctx = Api3Context {
            action,
            account_id: account,
            request_id: request_id.clone(),
            region: header(parts, headers::X_TC_REGION).map(str::to_owned),
            language: header(parts, headers::X_TC_LANGUAGE).map(str::to_owned),
        };
        let outcome = AssertUnwindSafe(routes.call(&ctx, bytes))
            .catch_unwind()
            .await;
        let result = match outcome {
            Ok(r) => r,
            Err(p) => {
                tracing::error!(action = action.as_str(), request_id = %request_id, panic = panic_text(&*p), "cmq-mock: API 3.0 service panicked");
                Err(Api3Error::new(protocol::INTERNAL))
            }
        };
        let result = match self.durable().await {
            Ok(()) => result,
            Err(()) => Err(Api3Error::new(protocol::INTERNAL)),
        };
        let (error, body) = match result {
            Ok(body) => (None, body),
            Err(e) => (Some(e.code()), e.encode(&request_id)),
        };
        self.journal
            .record_api3(time_ms, Some(ctx.account_id), params(), error, request_id);
        if drop_answer {
            return Answer::Drop;
        }
        Answer::Json(body)
    }
}
