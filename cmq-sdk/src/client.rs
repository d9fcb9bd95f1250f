//! The async client: configuration, signing, sending, retries, timeouts and decoding of the
//! JSON envelope. Every generated API 2.0 action runs through [`Client::execute`], every API 3.0
//! action through [`Client::execute_api3`] (module [`crate::api3`]).
//!
//! One client serves both faces of the service: the API 2.0 data-plane endpoint it is built
//! with, and an API 3.0 control-plane endpoint with a region, derived from it by default (see
//! [`crate::region`] and [`ClientBuilder::control_endpoint`]).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use tracing::Instrument;

use crate::constraints::Violations;
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{BatchItemError, Error, ServiceError, module_code_of};
use crate::generated::profiles::Profile;
use crate::operation::Operation;
use crate::params::Params;
use crate::region;
use crate::retry::{self, Plan, RetryPolicy};
use crate::sign::{self, SignatureMethod};
use crate::timeouts::Timeouts;
use crate::transport::{self, DEFAULT_MAX_RESPONSE_BYTES};

/// The value of `RequestClient` this SDK sends.
pub const REQUEST_CLIENT: &str = concat!("SDK_Rust_cmq-sdk_", env!("CARGO_PKG_VERSION"));

/// The HTTP method requests use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HttpMethod {
    /// Parameters in a form body (the default).
    #[default]
    Post,
    /// Parameters in the query string.
    Get,
}

impl HttpMethod {
    /// `POST` or `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Post => "POST",
            HttpMethod::Get => "GET",
        }
    }
}

/// What the client does with a request that breaks the spec's constraints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ValidationMode {
    /// Refuse it with [`Error::Validation`] listing every violation (the default).
    #[default]
    Enforce,
    /// Log every violation as a warning and send it anyway (a server may relax a limit before
    /// the spec does).
    WarnOnly,
    /// Do not validate.
    Off,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) endpoint: Endpoint,
    pub(crate) credentials: Credentials,
    pub(crate) signature: SignatureMethod,
    pub(crate) method: HttpMethod,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
    pub(crate) validation: ValidationMode,
    pub(crate) profile: Profile,
    pub(crate) request_client: String,
    pub(crate) region: Option<String>,
    pub(crate) max_response_bytes: usize,
    pub(crate) control: Option<Endpoint>,
    pub(crate) api3_region: Option<String>,
    pub(crate) language: Option<String>,
}

/// A CMQ client. Cheap to clone (one shared connection pool).
///
/// ```no_run
/// # async fn demo() -> Result<(), cmq_sdk::Error> {
/// use cmq_sdk::{Client, Credentials};
/// let client = Client::builder()
///     .endpoint("http://127.0.0.1:8641")
///     .credentials(Credentials::new("AKIDexample", "secret"))
///     .build()?;
/// let sent = client.send_message().queue_name("orders").msg_body("hello").send().await?;
/// println!("sent {}", sent.msg_id);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

/// Builds a [`Client`].
///
/// Every builder error is an [`Error::Config`], and the errors of [`Credentials::from_env`] and
/// [`Endpoint::parse`] convert into [`Error`] with `?`:
///
/// ```no_run
/// # fn demo() -> Result<(), cmq_sdk::Error> {
/// use cmq_sdk::{Client, Credentials};
/// let client = Client::builder()
///     .endpoint("https://cmq-gz.public.tencenttdmq.com")
///     .credentials(Credentials::from_env()?)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    credentials: Option<Credentials>,
    signature: SignatureMethod,
    method: HttpMethod,
    retry: RetryPolicy,
    timeouts: Timeouts,
    validation: ValidationMode,
    profile: Option<Profile>,
    request_client: Option<String>,
    region: Option<String>,
    http: Option<reqwest::Client>,
    max_response_bytes: Option<usize>,
    control_endpoint: Option<String>,
    language: Option<String>,
}

impl ClientBuilder {
    /// The endpoint: any `http(s)://host[:port][/path]` URL (the path defaults to
    /// `/v2/index.php`). See [`Endpoint`] for the public hosts.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The credentials (see [`Credentials::from_env`]).
    pub fn credentials(mut self, c: Credentials) -> Self {
        self.credentials = Some(c);
        self
    }

    /// HmacSHA1 (default) or HmacSHA256.
    pub fn signature_method(mut self, m: SignatureMethod) -> Self {
        self.signature = m;
        self
    }

    /// POST (default) or GET.
    pub fn http_method(mut self, m: HttpMethod) -> Self {
        self.method = m;
        self
    }

    /// The retry policy (default: 3 attempts, idempotent actions only).
    pub fn retry_policy(mut self, r: RetryPolicy) -> Self {
        self.retry = r;
        self
    }

    /// Connect, request and long-poll timeouts, and the retry budget that bounds a call across
    /// its retries (see [`crate::timeouts`]).
    pub fn timeouts(mut self, t: Timeouts) -> Self {
        self.timeouts = t;
        self
    }

    /// What to do with requests that break the spec's constraints.
    pub fn validation(mut self, v: ValidationMode) -> Self {
        self.validation = v;
        self
    }

    /// The service generation whose rules requests are validated against (see [`Profile`]).
    ///
    /// Without it the endpoint decides ([`Endpoint::profile`]): a TDMQ host
    /// (`*.tencenttdmq.com`, `*.mqadapter.cmq.tencentyun.com`) is [`Profile::Tdmq`], a legacy
    /// CMQ host (`*.api.qcloud.com`, `*.api.tencentyun.com`) [`Profile::Legacy`], and any other
    /// host (a local mock, a gateway) [`Profile::DEFAULT`] (`tdmq`). Set, it wins over the host.
    /// `cmq_mock::CmqMock::client()` sets the mock's own profile.
    pub fn profile(mut self, p: Profile) -> Self {
        self.profile = Some(p);
        self
    }

    /// The `RequestClient` value (default [`REQUEST_CLIENT`]).
    pub fn request_client(mut self, v: impl Into<String>) -> Self {
        self.request_client = Some(v.into());
        self
    }

    /// The region, either as CMQ writes it (`gz`) or as API 3.0 does (`ap-guangzhou`).
    ///
    /// * API 2.0 requests carry it as the `Region` parameter, as given (the host's region wins on
    ///   the real service);
    /// * API 3.0 requests carry its API 3.0 name in `X-TC-Region` (a short code is mapped with
    ///   [`region::SHORT_REGION_CODES`]).
    ///
    /// Without it, API 3.0 requests use the region named by a TDMQ data-plane host
    /// (`cmq-gz.public.tencenttdmq.com` ⇒ `ap-guangzhou`), and API 2.0 requests send none.
    pub fn region(mut self, v: impl Into<String>) -> Self {
        self.region = Some(v.into());
        self
    }

    /// The API 3.0 (control-plane) endpoint, e.g. `https://tdmq.ap-guangzhou.tencentcloudapi.com`;
    /// its path defaults to `/`. Without it: `https://tdmq.tencentcloudapi.com` for a TDMQ
    /// data-plane endpoint, none for a legacy CMQ one (`*.api.qcloud.com`,
    /// `*.api.tencentyun.com`), and the data-plane endpoint's own origin otherwise (cmq-mock
    /// serves both APIs on one port). See [`crate::region`].
    pub fn control_endpoint(mut self, url: impl Into<String>) -> Self {
        self.control_endpoint = Some(url.into());
        self
    }

    /// The `X-TC-Language` of API 3.0 requests (`zh-CN` or `en-US`: the language of error
    /// messages). Default: none sent (the service answers in Chinese).
    pub fn language(mut self, v: impl Into<String>) -> Self {
        self.language = Some(v.into());
        self
    }

    /// The largest answer body the client reads, in bytes (default
    /// [`DEFAULT_MAX_RESPONSE_BYTES`], 32 MiB: room for BatchReceiveMessage's 16 messages of
    /// 1 MiB). A larger answer fails with [`Error::ResponseTooLarge`] without being read
    /// further.
    pub fn max_response_bytes(mut self, n: usize) -> Self {
        self.max_response_bytes = Some(n);
        self
    }

    /// Use this reqwest client (its own pool and TLS settings) instead of building one.
    ///
    /// Build it with `.redirect(reqwest::redirect::Policy::none())`: the client the SDK builds
    /// never follows redirects, because a followed 307 would resend the signed request to
    /// another host. (Its connect timeout is also yours to set; [`Timeouts::connect`] applies
    /// only to the client the SDK builds.)
    pub fn http_client(mut self, c: reqwest::Client) -> Self {
        self.http = Some(c);
        self
    }

    /// Builds the client. Fails with [`Error::Config`] on a missing or malformed endpoint,
    /// missing credentials, or a malformed control-plane endpoint.
    pub fn build(self) -> Result<Client, Error> {
        let url = self
            .endpoint
            .ok_or_else(|| Error::Config("no endpoint set".into()))?;
        let endpoint = Endpoint::parse(&url)?;
        let credentials = self
            .credentials
            .ok_or_else(|| Error::Config("no credentials set".into()))?;
        let control = match &self.control_endpoint {
            Some(u) => Some(Endpoint::parse_api3(u)?),
            None => region::default_control_endpoint(&endpoint),
        };
        let api3_region = match &self.region {
            Some(r) => region::api3_region(r).map(|r| r.into_owned()),
            None => region::region_of(&endpoint),
        };
        let http = match self.http {
            Some(h) => h,
            None => transport::build_http_client(self.timeouts.connect())?,
        };
        let profile = self
            .profile
            .or_else(|| endpoint.profile())
            .unwrap_or(Profile::DEFAULT);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                endpoint,
                credentials,
                signature: self.signature,
                method: self.method,
                retry: self.retry,
                timeouts: self.timeouts,
                validation: self.validation,
                profile,
                request_client: self
                    .request_client
                    .unwrap_or_else(|| REQUEST_CLIENT.to_owned()),
                region: self.region,
                max_response_bytes: self
                    .max_response_bytes
                    .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
                control,
                api3_region,
                language: self.language,
            }),
        })
    }
}

#[derive(Deserialize)]
struct Envelope {
    code: i64,
    #[serde(default)]
    message: String,
    #[serde(rename = "requestId", default, deserialize_with = "string_or_number")]
    request_id: Option<String>,
    #[serde(rename = "errorList", default)]
    error_list: Vec<BatchItemError>,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client for `endpoint` with `credentials` and every other setting at its default.
    pub fn new(endpoint: &str, credentials: Credentials) -> Result<Client, Error> {
        Client::builder()
            .endpoint(endpoint)
            .credentials(credentials)
            .build()
    }

    /// The API 2.0 (data-plane) endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The API 3.0 (control-plane) endpoint, if the client has one (see
    /// [`ClientBuilder::control_endpoint`]).
    pub fn control_endpoint(&self) -> Option<&Endpoint> {
        self.inner.control.as_ref()
    }

    /// The service generation requests are validated against (see [`ClientBuilder::profile`]).
    pub fn profile(&self) -> Profile {
        self.inner.profile
    }

    /// The region API 3.0 requests name in `X-TC-Region` (see [`ClientBuilder::region`]).
    pub fn api3_region(&self) -> Option<&str> {
        self.inner.api3_region.as_deref()
    }

    /// Applies the validation mode to a request's validation result.
    pub(crate) fn check(&self, action: &str, result: Result<(), Violations>) -> Result<(), Error> {
        match (self.inner.validation, result) {
            (_, Ok(())) | (ValidationMode::Off, _) => Ok(()),
            (ValidationMode::Enforce, Err(v)) => Err(Error::Validation(v)),
            (ValidationMode::WarnOnly, Err(v)) => {
                tracing::warn!(action, violations = %v, "sending a request that breaks the spec");
                Ok(())
            }
        }
    }

    /// The signed wire parameters for `input` at `timestamp` with `nonce` (what
    /// [`execute`](Self::execute) sends, `Signature` included), and the string that was signed.
    pub fn signed_params<O: Operation>(
        &self,
        input: &O,
        timestamp: u64,
        nonce: u64,
    ) -> (Params, String) {
        let i = &self.inner;
        let mut p = Params::new();
        input.encode(&mut p);
        p.push_str("Action", O::ACTION.as_str());
        p.push_owned("Nonce".into(), nonce.to_string());
        p.push_owned("Timestamp".into(), timestamp.to_string());
        p.push_owned("SecretId".into(), i.credentials.secret_id().to_owned());
        p.push_str("SignatureMethod", i.signature.as_str());
        p.push_owned("RequestClient".into(), i.request_client.clone());
        if let Some(t) = i.credentials.token() {
            p.push_owned("Token".into(), t.to_owned());
        }
        if let Some(r) = &i.region {
            p.push_owned("Region".into(), r.clone());
        }
        let pairs: Vec<(&str, &str)> = p.pairs().collect();
        let sts = sign::string_to_sign(
            i.method.as_str(),
            i.endpoint.signing_host(),
            i.endpoint.path(),
            &pairs,
        );
        let sig = sign::sign(i.credentials.secret_key(), i.signature, &sts);
        p.push_owned("Signature".into(), sig);
        (p, sts)
    }

    /// Validates (per the validation mode, with the client's [`profile`](Self::profile)), signs
    /// and sends `input`, retrying per the retry policy within the call's deadline, and decodes
    /// the answer.
    pub async fn execute<O: Operation>(&self, input: O) -> Result<O::Output, Error> {
        if self.inner.validation != ValidationMode::Off {
            self.check(O::ACTION.as_str(), input.validate_for(self.inner.profile))?;
        }
        let span = tracing::info_span!("cmq", action = %O::ACTION, target = input.target().unwrap_or(""), attempt = tracing::field::Empty, request_id = tracing::field::Empty, code = tracing::field::Empty);
        self.execute_validated(&input).instrument(span).await
    }

    async fn execute_validated<O: Operation>(&self, input: &O) -> Result<O::Output, Error> {
        let i = &self.inner;
        let attempt_timeout = match input.long_poll_seconds() {
            None => i.timeouts.for_call(None),
            Some(w) => i
                .timeouts
                .for_receive(w.and_then(|s| u32::try_from(s).ok())),
        };
        let plan = Plan {
            policy: &i.retry,
            idempotent: O::ACTION.idempotent(),
            attempt_timeout,
            deadline: i.timeouts.deadline_for(attempt_timeout),
        };
        let this = self;
        let mut rng = fastrand::Rng::new();
        retry::run(
            plan,
            move || {
                let nonce = rng.u64(1..=u64::from(u32::MAX));
                let (params, _) = this.signed_params(input, now_secs(), nonce);
                this.send_once::<O>(params)
            },
            |err, lost, attempts| {
                retry::settle(O::ACTION, err, lost, attempts).and_then(O::settled_output)
            },
        )
        .await
    }

    async fn send_once<O: Operation>(&self, params: Params) -> Result<O::Output, Error> {
        let i = &self.inner;
        let req = match i.method {
            HttpMethod::Post => i
                .http
                .post(i.endpoint.url())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(params.to_form()),
            HttpMethod::Get => {
                let url = format!("{}?{}", i.endpoint.url(), params.to_form());
                i.http.get(url)
            }
        };
        let (status, body) =
            transport::exchange(req, i.max_response_bytes, i.timeouts.connect()).await?;
        if status != 200 {
            return Err(Error::HttpStatus {
                status,
                body: Error::shorten(&body),
            });
        }
        decode_answer::<O>(&body)
    }
}

/// Decodes an answer body of action `O`: the envelope, then (when `code` is 0) the output.
pub fn decode_answer<O: Operation>(body: &[u8]) -> Result<O::Output, Error> {
    // Fast path: an answer whose top-level `code` is 0 is parsed once, straight into the output.
    if top_level_code(body) == Some(0) {
        if let Ok(out) = serde_json::from_slice::<O::Output>(body) {
            return Ok(out);
        }
    }
    let env: Envelope = serde_json::from_slice(body).map_err(|e| Error::Decode {
        message: e.to_string(),
        body: Error::shorten(body),
    })?;
    if env.code != 0 {
        return Err(Error::Service(Box::new(ServiceError {
            action: O::ACTION,
            code: env.code,
            module_code: module_code_of(&env.message),
            message: env.message,
            request_id: env.request_id,
            error_list: env.error_list,
        })));
    }
    serde_json::from_slice(body).map_err(|e| Error::Decode {
        message: e.to_string(),
        body: Error::shorten(body),
    })
}

/// The integer value of the top-level `"code"` key of a JSON object, found by a scan that tracks
/// strings and nesting (so a `code` inside `errorList` items or inside a string is never taken).
/// `None` when there is none or it is not a plain integer.
fn top_level_code(body: &[u8]) -> Option<i64> {
    let mut depth = 0usize;
    let mut i = 0usize;
    while i < body.len() {
        match body[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < body.len() && body[i] != b'"' {
                    if body[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let key = body.get(start..i)?;
                i += 1;
                if depth == 1 && key == b"code" {
                    let mut j = i;
                    while j < body.len() && body[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    if body.get(j) != Some(&b':') {
                        continue;
                    }
                    j += 1;
                    while j < body.len() && body[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    let end = body[j..]
                        .iter()
                        .position(|b| !(b.is_ascii_digit() || *b == b'-'))
                        .map_or(body.len(), |p| j + p);
                    return std::str::from_utf8(&body[j..end]).ok()?.parse().ok();
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::top_level_code;

    #[test]
    fn finds_only_the_top_level_code() {
        assert_eq!(top_level_code(br#"{"code":0,"message":""}"#), Some(0));
        assert_eq!(
            top_level_code(br#"{ "errorList":[{"code":0}], "code" : 6010 }"#),
            Some(6010)
        );
        assert_eq!(
            top_level_code(br#"{"msgBody":"\"code\":0","code":7000}"#),
            Some(7000)
        );
        assert_eq!(top_level_code(br#"{"message":"no code"}"#), None);
        assert_eq!(top_level_code(br#"{"code":"0"}"#), None);
        assert_eq!(top_level_code(b"garbage"), None);
    }
}
