//! Tencent Cloud API 3.0, the control plane of TDMQ for CMQ (create, describe, modify and delete
//! queues, topics and subscriptions; product `tdmq`, version `2020-02-17`): the runtime every
//! API 3.0 operation runs through, [`Client::execute_api3`].
//!
//! The 20 actions are generated from `spec/v3/` into [`crate::generated::v3`]: one request type
//! per action (`CreateCmqQueueRequest`, with setters that document range, default and
//! requirement, `validate()` listing every violation, and this module's [`Api3Operation`]), one
//! response type (`CreateCmqQueueResponse`), and a fluent form on the client
//! (`client.create_cmq_queue().queue_name("orders").send().await`). List actions also stream
//! page by page ([`Client::paginate_api3`]).
//!
//! ```no_run
//! # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
//! let out = client
//!     .create_cmq_queue()
//!     .queue_name("orders")
//!     .visibility_timeout(60)
//!     .send()
//!     .await?;
//! println!("created {}", out.queue_id);
//! # Ok(()) }
//! ```
//!
//! A request is a `POST` of a JSON body to the client's control-plane endpoint (path `/`), with
//! the headers `Content-Type: application/json`, `X-TC-Action`, `X-TC-Version`,
//! `X-TC-Timestamp`, `X-TC-Region`, `X-TC-Token` (with an STS token), `X-TC-Language` (when
//! configured), `X-TC-RequestClient` (the client's [`request_client`](crate::ClientBuilder::request_client))
//! and an `Authorization` signed with `TC3-HMAC-SHA256`
//! ([`crate::sign::tc3`]). The answer is `{"Response": {…fields…, "RequestId": "…"}}` or, for an
//! error (HTTP 200 too), `{"Response": {"Error": {"Code": "…", "Message": "…"}, "RequestId":
//! "…"}}`, which becomes [`Error::Api3Service`].
//!
//! The transport rules are those of API 2.0 calls: the response size limit, no redirects, no URL
//! or secret in errors and logs, retries by idempotency with the client's
//! [`RetryPolicy`](crate::retry::RetryPolicy) (API 3.0 codes classified by
//! [`classify_api3_code`](crate::retry::classify_api3_code)) within the call's deadline
//! (`request` timeout + retry budget, see [`crate::timeouts`]).
//!
//! # Contract for generated operations (design note for the generator)
//!
//! Each API 3.0 action gets one request type implementing [`Api3Operation`] and one output type:
//!
//! * **Request** (`CreateCmqQueueRequest`, …): `#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]`
//!   with the action's fields under their wire names (`#[serde(rename = "QueueName")]`), every
//!   optional field an `Option<…>` marked `#[serde(skip_serializing_if = "Option::is_none")]`
//!   (the runtime sends exactly what `serde_json::to_vec` writes: `null` is never sent for an
//!   unset field), lists as `Option<Vec<…>>`, nested models (`Tag`, `Filter`, …) as their own
//!   `Serialize` structs under the same rules. Then:
//!   - `const ACTION`: the wire action name (`"CreateCmqQueue"`), sent as `X-TC-Action`;
//!   - `const SERVICE` and `const VERSION`: from the spec's API 3.0 protocol (`"tdmq"`,
//!     `"2020-02-17"`), so that no runtime code retypes them;
//!   - `const IDEMPOTENT`: from the spec; decides retries after a transport error, a timeout or
//!     `InternalError` (a non-idempotent action is retried only after throttling);
//!   - `fn validate(&self) -> Result<(), Violations<Api3ErrorId>>` (and `validate_for(profile)`):
//!     every constraint of the spec, every violation listed (as the 2.0 `…Input::validate` does),
//!     each with the API 3.0 error a server answers with;
//!   - `fn target(&self) -> Option<&str>`: the queue or topic name, for tracing.
//! * **Output** (`CreateCmqQueueResponse`, …): `#[derive(Clone, Debug, serde::Deserialize)]` of
//!   the *inside* of `Response` (the runtime unwraps the envelope and handles `Error`), fields
//!   under their wire names, `#[serde(default)]` on whatever the service may omit or send as
//!   `null` (`Option<…>` for nullable fields), unknown keys ignored, and a
//!   `#[serde(rename = "RequestId")] pub request_id: String` field.
//!
//! ```
//! use cmq_sdk::api3::Api3Operation;
//! use cmq_sdk::constraints::Violations;
//! use cmq_sdk::generated::v3::errors::Api3ErrorId;
//!
//! #[derive(Clone, Debug, Default, serde::Serialize)]
//! struct DeleteCmqQueueRequest {
//!     #[serde(rename = "QueueName", skip_serializing_if = "Option::is_none")]
//!     queue_name: Option<String>,
//! }
//!
//! #[derive(Clone, Debug, serde::Deserialize)]
//! struct DeleteCmqQueueResponse {
//!     #[serde(rename = "RequestId")]
//!     request_id: String,
//! }
//!
//! impl Api3Operation for DeleteCmqQueueRequest {
//!     type Output = DeleteCmqQueueResponse;
//!     const ACTION: &'static str = "DeleteCmqQueue";
//!     const SERVICE: &'static str = "tdmq";
//!     const VERSION: &'static str = "2020-02-17";
//!     const IDEMPOTENT: bool = true;
//!     fn validate(&self) -> Result<(), Violations<Api3ErrorId>> {
//!         Ok(()) // generated: every constraint of the spec
//!     }
//!     fn target(&self) -> Option<&str> {
//!         self.queue_name.as_deref()
//!     }
//! }
//!
//! # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
//! let request = DeleteCmqQueueRequest { queue_name: Some("orders".into()) };
//! let out = client.execute_api3(request).await?;
//! println!("deleted, request {}", out.request_id);
//! # Ok(()) }
//! ```
//!
//! Errors: [`Error::Api3Validation`] (not sent), [`Error::Api3Service`] (`code()` is `None`,
//! [`Error::error_code`] is [`ErrorCode::Api3`](crate::error::ErrorCode::Api3)),
//! [`Error::Transport`], [`Error::Timeout`], [`Error::HttpStatus`], [`Error::ResponseTooLarge`],
//! [`Error::Decode`], and [`Error::Config`] when the client has no control-plane endpoint or no
//! region (or, which a derived `Serialize` never does, the request fails to serialise).

pub mod de;
pub mod decode;
mod pages;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::client::{Client, ValidationMode, now_secs};
use crate::constraints::{SpecError, Violations};
use crate::endpoint::Endpoint;
use crate::error::{Api3ServiceError, Error};
use crate::generated::profiles::Profile;
use crate::generated::v3::errors::Api3ErrorId;
use crate::retry::{self, Plan};
use crate::sign::tc3;
use crate::transport;

pub use pages::Paginated3;

impl SpecError for Api3ErrorId {
    const ENUM_CASE: crate::constraints::EnumCase = crate::generated::v3::constraints::ENUM_CASE;
}

/// A request of one API 3.0 action (see the module docs for the full contract).
pub trait Api3Operation: serde::Serialize + Send + Sync + 'static {
    /// The inside of the answer's `Response` object.
    type Output: DeserializeOwned + Send + 'static;
    /// The wire action name, sent as `X-TC-Action` (e.g. `CreateCmqQueue`).
    const ACTION: &'static str;
    /// The product, the service of the credential scope (`tdmq`).
    const SERVICE: &'static str;
    /// The API version, sent as `X-TC-Version` (`2020-02-17`).
    const VERSION: &'static str;
    /// Whether repeating the request is harmless (decides retries after ambiguous failures).
    const IDEMPOTENT: bool;
    /// Checks every constraint of the spec for the default profile; returns every violation.
    fn validate(&self) -> Result<(), Violations<Api3ErrorId>>;
    /// Checks every constraint of the spec for `profile`; returns every violation.
    fn validate_for(&self, profile: Profile) -> Result<(), Violations<Api3ErrorId>> {
        let _ = profile;
        self.validate()
    }
    /// The queue or topic the request targets, for tracing.
    fn target(&self) -> Option<&str>;
}

/// One signed API 3.0 request, as [`Client::signed_api3_request`] builds it.
#[derive(Clone)]
pub struct Api3Request {
    /// Where it goes.
    pub endpoint: Endpoint,
    /// Every header but `Host` (which the HTTP client derives from the endpoint: its
    /// [`Endpoint::signing_host`]), in sending order.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: Bytes,
}

impl std::fmt::Debug for Api3Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Headers<'a>(&'a [(&'static str, String)]);
        impl std::fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(n, v)| {
                        let secret = matches!(*n, "Authorization" | "X-TC-Token");
                        (n, if secret { "<redacted>" } else { v.as_str() })
                    }))
                    .finish()
            }
        }
        f.debug_struct("Api3Request")
            .field("endpoint", &self.endpoint)
            .field("headers", &Headers(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Client {
    /// Validates (per the validation mode), serialises, signs (`TC3-HMAC-SHA256`) and posts an
    /// API 3.0 request to the control-plane endpoint, retrying per the retry policy within the
    /// call's deadline, and decodes the answer's `Response`.
    pub async fn execute_api3<O: Api3Operation>(&self, input: O) -> Result<O::Output, Error> {
        if self.inner.validation != ValidationMode::Off {
            self.check_api3(O::ACTION, input.validate())?;
        }
        let body = serialise(&input)?;
        let (endpoint, region) = self.api3_route()?;
        let span = tracing::info_span!(
            "cmq",
            action = O::ACTION,
            target = input.target().unwrap_or(""),
            attempt = tracing::field::Empty,
            request_id = tracing::field::Empty,
            code = tracing::field::Empty
        );
        self.execute_api3_body::<O>(endpoint, region, body)
            .instrument(span)
            .await
    }

    async fn execute_api3_body<O: Api3Operation>(
        &self,
        endpoint: &Endpoint,
        region: &str,
        body: Bytes,
    ) -> Result<O::Output, Error> {
        let i = &self.inner;
        let attempt_timeout = i.timeouts.for_call(None);
        let plan = Plan {
            policy: &i.retry,
            idempotent: O::IDEMPOTENT,
            attempt_timeout,
            deadline: i.timeouts.deadline_for(attempt_timeout),
        };
        let this = self;
        retry::run(
            plan,
            move || {
                let signed = this.sign_api3::<O>(endpoint, region, body.clone(), now_secs());
                this.send_api3::<O>(signed)
            },
            |_, _, _| None,
        )
        .await
    }

    /// Applies the validation mode to an API 3.0 request's validation result.
    fn check_api3(
        &self,
        action: &str,
        result: Result<(), Violations<Api3ErrorId>>,
    ) -> Result<(), Error> {
        match (self.inner.validation, result) {
            (_, Ok(())) | (ValidationMode::Off, _) => Ok(()),
            (ValidationMode::Enforce, Err(v)) => Err(Error::Api3Validation(v)),
            (ValidationMode::WarnOnly, Err(v)) => {
                tracing::warn!(action, violations = %v, "sending a request that breaks the spec");
                Ok(())
            }
        }
    }

    /// The control-plane endpoint and the region, or the configuration error that prevents
    /// API 3.0 calls.
    fn api3_route(&self) -> Result<(&Endpoint, &str), Error> {
        let i = &self.inner;
        let endpoint = i.control.as_ref().ok_or_else(|| {
            Error::Config(format!(
                "API 3.0 calls need a control-plane endpoint, and {} is a legacy CMQ host without one: set ClientBuilder::control_endpoint",
                i.endpoint.host()
            ))
        })?;
        let region = i.api3_region.as_deref().ok_or_else(|| {
            Error::Config(
                "API 3.0 calls need a region (X-TC-Region): set ClientBuilder::region, e.g. \"ap-guangzhou\"".into(),
            )
        })?;
        Ok((endpoint, region))
    }

    /// The signed request for `input` at `timestamp` (what [`execute_api3`](Self::execute_api3)
    /// sends), without validating it.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the client has no control-plane endpoint or no region, or the
    /// input does not serialise.
    pub fn signed_api3_request<O: Api3Operation>(
        &self,
        input: &O,
        timestamp: u64,
    ) -> Result<Api3Request, Error> {
        let body = serialise(input)?;
        let (endpoint, region) = self.api3_route()?;
        Ok(self.sign_api3::<O>(endpoint, region, body, timestamp))
    }

    fn sign_api3<O: Api3Operation>(
        &self,
        endpoint: &Endpoint,
        region: &str,
        body: Bytes,
        timestamp: u64,
    ) -> Api3Request {
        let i = &self.inner;
        let signed = tc3::sign(&tc3::SignInput {
            secret_id: i.credentials.secret_id(),
            secret_key: i.credentials.secret_key(),
            service: O::SERVICE,
            host: endpoint.signing_host(),
            path: endpoint.path(),
            timestamp,
            body: &body,
        });
        let mut headers = vec![
            ("Content-Type", tc3::JSON_CONTENT_TYPE.to_owned()),
            ("X-TC-Action", O::ACTION.to_owned()),
            ("X-TC-Version", O::VERSION.to_owned()),
            ("X-TC-Timestamp", timestamp.to_string()),
            ("X-TC-Region", region.to_owned()),
        ];
        if let Some(t) = i.credentials.token() {
            headers.push(("X-TC-Token", t.to_owned()));
        }
        if let Some(l) = &i.language {
            headers.push(("X-TC-Language", l.clone()));
        }
        headers.push(("X-TC-RequestClient", i.request_client.clone()));
        headers.push(("Authorization", signed.authorization));
        Api3Request {
            endpoint: endpoint.clone(),
            headers,
            body,
        }
    }

    async fn send_api3<O: Api3Operation>(&self, req: Api3Request) -> Result<O::Output, Error> {
        let i = &self.inner;
        let mut builder = i.http.post(req.endpoint.url()).body(req.body);
        for (name, value) in req.headers {
            builder = builder.header(name, value);
        }
        let (status, body) =
            transport::exchange(builder, i.max_response_bytes, i.timeouts.connect()).await?;
        if status != 200 {
            return Err(Error::HttpStatus {
                status,
                body: Error::shorten(&body),
            });
        }
        decode_api3_answer::<O>(&body)
    }
}

fn serialise<O: Api3Operation>(input: &O) -> Result<Bytes, Error> {
    serde_json::to_vec(input)
        .map(Bytes::from)
        .map_err(|e| Error::Config(format!("cannot serialise the {} request: {e}", O::ACTION)))
}

#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(rename = "Response")]
    response: T,
}

#[derive(Deserialize)]
struct Head {
    #[serde(rename = "Error")]
    error: Option<ErrorBody>,
    #[serde(rename = "RequestId")]
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "Code")]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
}

/// Decodes an API 3.0 answer of action `O`: an `Error` inside `Response` becomes
/// [`Error::Api3Service`], anything else is decoded as `O::Output`.
///
/// # Errors
///
/// [`Error::Api3Service`] for an error answer, [`Error::Decode`] for a body that is not the
/// envelope or whose `Response` is not `O::Output`.
pub fn decode_api3_answer<O: Api3Operation>(body: &[u8]) -> Result<O::Output, Error> {
    let decode_error = |e: serde_json::Error| Error::Decode {
        message: e.to_string(),
        body: Error::shorten(body),
    };
    let head: Envelope<Head> = serde_json::from_slice(body).map_err(decode_error)?;
    if let Some(err) = head.response.error {
        return Err(Error::Api3Service(Box::new(Api3ServiceError {
            action: O::ACTION,
            code: err.code,
            message: err.message,
            request_id: head.response.request_id,
        })));
    }
    let out: Envelope<O::Output> = serde_json::from_slice(body).map_err(decode_error)?;
    Ok(out.response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Probe;

    #[derive(Debug, Deserialize, PartialEq)]
    struct ProbeOut {
        #[serde(rename = "TotalCount")]
        total: i64,
        #[serde(rename = "RequestId")]
        request_id: String,
    }

    impl Api3Operation for Probe {
        type Output = ProbeOut;
        const ACTION: &'static str = "DescribeCmqQueues";
        const SERVICE: &'static str = "tdmq";
        const VERSION: &'static str = "2020-02-17";
        const IDEMPOTENT: bool = true;
        fn validate(&self) -> Result<(), Violations<Api3ErrorId>> {
            Ok(())
        }
        fn target(&self) -> Option<&str> {
            None
        }
    }

    #[test]
    fn decodes_success_error_and_garbage() {
        let ok = decode_api3_answer::<Probe>(
            br#"{"Response":{"TotalCount":2,"QueueList":[],"RequestId":"r-1"}}"#,
        );
        assert_eq!(
            ok.unwrap(),
            ProbeOut {
                total: 2,
                request_id: "r-1".into()
            }
        );
        let err = decode_api3_answer::<Probe>(
            br#"{"Response":{"Error":{"Code":"ResourceNotFound.QueueNotExist","Message":"no such queue"},"RequestId":"r-2"}}"#,
        )
        .unwrap_err();
        let s = err.api3().expect("an API 3.0 error");
        assert_eq!(
            (s.action, s.code.as_str(), s.message.as_str()),
            (
                "DescribeCmqQueues",
                "ResourceNotFound.QueueNotExist",
                "no such queue"
            )
        );
        assert_eq!(err.request_id(), Some("r-2"));
        assert_eq!(err.code(), None);
        assert_eq!(
            err.error_code(),
            Some(crate::error::ErrorCode::Api3(
                "ResourceNotFound.QueueNotExist"
            ))
        );
        assert!(!err.is_retryable());
        let text = err.to_string();
        for part in [
            "DescribeCmqQueues",
            "ResourceNotFound.QueueNotExist",
            "no such queue",
            "r-2",
        ] {
            assert!(text.contains(part), "{part} not in {text}");
        }
        for garbage in [
            &b"{nope"[..],
            br#"{"code":0}"#,
            br#"{"Response":{"RequestId":"r"}}"#,
        ] {
            let e = decode_api3_answer::<Probe>(garbage).unwrap_err();
            assert!(matches!(e, Error::Decode { .. }), "{e:?}");
        }
    }

    #[test]
    fn throttling_and_internal_errors_are_retryable() {
        let mk = |code: &str| {
            Error::Api3Service(Box::new(Api3ServiceError {
                action: "CreateCmqQueue",
                code: code.into(),
                message: String::new(),
                request_id: None,
            }))
        };
        assert!(mk("RequestLimitExceeded").is_throttled());
        assert!(mk("RequestLimitExceeded.UinLimitExceeded").is_retryable());
        assert!(mk("InternalError").is_retryable());
        assert!(!mk("InternalError").is_throttled());
        assert!(!mk("ResourceInUse.Queue").is_retryable());
    }
}
