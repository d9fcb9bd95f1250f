//! The CMQ pipeline of one request: parameters (within the parameter budget, no duplicates),
//! action, authentication, faults, the service through the generated dispatcher, the journal.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::time::Duration;

use cmq_sdk::generated::actions::Action;
use cmq_sdk::generated::errors::{ErrorId, protocol};
use futures_util::FutureExt;

use super::{Shared, panic_text, stopped};
use crate::faults::InjectedFailure;
use crate::generated::dispatch::dispatch;
use crate::generated::service::CmqService;
use crate::protocol::v2::service::{RequestContext, ServiceError};
use crate::protocol::v2::wire::{TooManyParams, WireParams};

/// The parameters of a CMQ request, or why there are none.
pub(crate) enum Raw<'a> {
    /// A form: the POST body or the GET query string.
    Form(&'a [u8]),
    /// The body was over the size limit.
    TooLarge,
    /// Neither GET nor POST.
    BadMethod,
    /// The body did not arrive within this long.
    TimedOut(Duration),
}

/// What the connection does with a request.
pub(crate) enum Answer {
    /// Send this JSON body.
    Json(Vec<u8>),
    /// Close without an answer (fault injection).
    Drop,
}

/// A request that passed the transport, action and authentication checks.
struct Admitted {
    params: WireParams,
    action: Action,
    account: String,
    request_id: String,
    client_request_id: Option<String>,
}

/// Whether `action` may wait (long poll), and so is answered "no message" at shutdown.
fn is_long_poll(action: Action) -> bool {
    matches!(action, Action::ReceiveMessage | Action::BatchReceiveMessage)
}

#[derive(serde::Serialize)]
struct RawEnvelope<'a> {
    code: i64,
    message: &'a str,
    #[serde(rename = "requestId")]
    request_id: &'a str,
    #[serde(rename = "clientRequestId", skip_serializing_if = "Option::is_none")]
    client_request_id: Option<&'a str>,
}

impl<S: CmqService> Shared<S> {
    pub(crate) fn next_request_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{}-{n}", self.id_prefix)
    }

    /// Everything after the transport: parameters, action, authentication, faults, service.
    pub(crate) async fn cmq(&self, method: &str, host: &str, path: &str, raw: Raw<'_>) -> Answer {
        let time_ms = self.clock.now_ms();
        let request_id = self.next_request_id();
        let Admitted {
            params,
            action,
            account,
            request_id,
            client_request_id,
        } = match self.admit(method, host, path, raw, time_ms, request_id) {
            Ok(a) => a,
            Err(answer) => return answer,
        };
        if let Some(injection) = self.faults.take(action) {
            if let Some(latency) = injection.latency {
                tokio::time::sleep(latency).await;
            }
            match injection.failure {
                // Carried out and journaled as usual; only the answer is lost.
                Some(InjectedFailure::DropAnswer) => {
                    let ctx = RequestContext {
                        action,
                        account_id: account,
                        request_id,
                        client_request_id,
                    };
                    let _answer = self.serve(time_ms, ctx, params).await;
                    return Answer::Drop;
                }
                Some(failure) => {
                    let crid = client_request_id.as_deref();
                    return self.inject(failure, time_ms, account, params, request_id, crid);
                }
                None => {}
            }
        }
        let ctx = RequestContext {
            action,
            account_id: account,
            request_id,
            client_request_id,
        };
        self.serve(time_ms, ctx, params).await
    }

    /// The answer refusing a request before it was authenticated (journaled without its
    /// parameters).
    fn refuse(
        &self,
        time_ms: u64,
        action: Option<&str>,
        e: &ServiceError,
        crid: Option<&str>,
        request_id: String,
    ) -> Answer {
        let body = e.encode(&request_id, crid);
        self.journal
            .record_refusal(time_ms, action, e.error.code(), request_id);
        Answer::Json(body)
    }

    /// The parameters, the action and the account of a request, or the answer refusing it
    /// (too large, bad method, too many or duplicate parameters, unknown action,
    /// authentication).
    fn admit(
        &self,
        method: &str,
        host: &str,
        path: &str,
        raw: Raw<'_>,
        time_ms: u64,
        request_id: String,
    ) -> Result<Admitted, Answer> {
        let early = |e: ServiceError| Err(self.refuse(time_ms, None, &e, None, request_id.clone()));
        let params = match raw {
            Raw::Form(bytes) => match WireParams::parse_limited(bytes, self.limits.max_params) {
                Ok(p) => p,
                Err(TooManyParams { limit }) => {
                    return early(
                        ServiceError::new(ErrorId::InvalidRequestParameters)
                            .with_detail(format!("more than {limit} parameters in one request")),
                    );
                }
            },
            Raw::TooLarge => return early(ServiceError::about(protocol::TOO_LARGE, "request")),
            Raw::BadMethod => return early(ServiceError::about(protocol::BAD_METHOD, method)),
            Raw::TimedOut(d) => {
                let what = format!("request (its body did not arrive within {d:?})");
                return early(ServiceError::about(protocol::TOO_LARGE, what));
            }
        };
        let action_text = params.get("Action");
        let crid = params.get("clientRequestId");
        if let Some(dup) = params.first_duplicate() {
            let e = ServiceError::about(ErrorId::NotRepeatable, dup);
            return Err(self.refuse(time_ms, action_text, &e, crid, request_id));
        }
        let Some(action) = action_text
            .and_then(|a| Action::from_wire(a).or_else(|| Action::from_wire_ignore_case(a)))
        else {
            let e = ServiceError::about(protocol::UNKNOWN_ACTION, action_text.unwrap_or(""));
            return Err(self.refuse(time_ms, action_text, &e, crid, request_id));
        };
        let account = match self
            .verifier
            .verify(method, host, path, &params, &*self.accounts)
        {
            Ok(a) => a,
            Err(e) => return Err(self.refuse(time_ms, action_text, &e, crid, request_id)),
        };
        let client_request_id = crid.map(str::to_owned);
        Ok(Admitted {
            params,
            action,
            account,
            request_id,
            client_request_id,
        })
    }

    /// The answer of an injected failure instead of the service.
    fn inject(
        &self,
        failure: InjectedFailure,
        time_ms: u64,
        account: String,
        params: WireParams,
        request_id: String,
        crid: Option<&str>,
    ) -> Answer {
        let (code, body) = match failure {
            InjectedFailure::Error(e) => (Some(e.error.code()), Some(e.encode(&request_id, crid))),
            InjectedFailure::Raw { code, message } => {
                let env = RawEnvelope {
                    code,
                    message: &message,
                    request_id: &request_id,
                    client_request_id: crid,
                };
                (
                    Some(code),
                    Some(serde_json::to_vec(&env).unwrap_or_default()),
                )
            }
            InjectedFailure::DropConnection | InjectedFailure::DropAnswer => (None, None),
        };
        self.journal
            .record_request(time_ms, Some(account), params, code, request_id);
        body.map_or(Answer::Drop, Answer::Json)
    }

    /// Calls the service through the generated dispatcher (a panic answers 6000; a long poll
    /// pending when shutdown starts answers 7000 at once) and journals the request.
    async fn serve(&self, time_ms: u64, ctx: RequestContext, params: WireParams) -> Answer {
        let action = ctx.action;
        let call = AssertUnwindSafe(dispatch(&*self.service, &ctx, action, &params)).catch_unwind();
        let outcome = if is_long_poll(action) {
            let mut stopping = self.stopping.clone();
            tokio::select! {
                biased;
                r = call => Some(r),
                () = stopped(&mut stopping) => None,
            }
        } else {
            Some(call.await)
        };
        let crid = ctx.client_request_id.as_deref();
        let (code, body) = match outcome {
            Some(Ok(Ok(body))) => (0, body),
            Some(Ok(Err(e))) => (e.error.code(), e.encode(&ctx.request_id, crid)),
            Some(Err(p)) => {
                tracing::error!(action = action.as_str(), request_id = %ctx.request_id, panic = panic_text(&*p), "cmq-mock: service panicked");
                let e = ServiceError::new(protocol::INTERNAL);
                (e.error.code(), e.encode(&ctx.request_id, crid))
            }
            None => {
                let e = ServiceError::new(ErrorId::NoMessage);
                (e.error.code(), e.encode(&ctx.request_id, crid))
            }
        };
        let (code, body) = match self.durable().await {
            Ok(()) => (code, body),
            Err(()) => {
                let e = ServiceError::new(protocol::INTERNAL);
                (e.error.code(), e.encode(&ctx.request_id, crid))
            }
        };
        let RequestContext {
            account_id,
            request_id,
            ..
        } = ctx;
        self.journal
            .record_request(time_ms, Some(account_id), params, Some(code), request_id);
        Answer::Json(body)
    }

    /// Waits until every change made so far is on disk (at once without a data store).
    pub(crate) async fn durable(&self) -> Result<(), ()> {
        let Some(log) = &self.log else {
            return Ok(());
        };
        log.durable().await.map_err(|why| {
            tracing::error!("cmq-mock: not acknowledged, the data store failed: {why}");
        })
    }
}
