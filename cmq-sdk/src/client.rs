//! The async client: configuration, signing, sending, retries, timeouts and decoding of the
//! JSON envelope. Every generated action runs through [`Client::execute`].

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use tracing::Instrument;

use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{BatchItemError, Error, ServiceError, module_code_of};
use crate::operation::Operation;
use crate::params::Params;
use crate::retry::RetryPolicy;
use crate::sign::{self, SignatureMethod};
use crate::timeouts::Timeouts;

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
struct Inner {
    http: reqwest::Client,
    endpoint: Endpoint,
    credentials: Credentials,
    signature: SignatureMethod,
    method: HttpMethod,
    retry: RetryPolicy,
    timeouts: Timeouts,
    validation: ValidationMode,
    request_client: String,
    region: Option<String>,
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
    inner: Arc<Inner>,
}

/// Builds a [`Client`].
#[derive(Debug, Default)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    credentials: Option<Credentials>,
    signature: SignatureMethod,
    method: HttpMethod,
    retry: RetryPolicy,
    timeouts: Timeouts,
    validation: ValidationMode,
    request_client: Option<String>,
    region: Option<String>,
    http: Option<reqwest::Client>,
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

    /// Connect, request and long-poll timeouts.
    pub fn timeouts(mut self, t: Timeouts) -> Self {
        self.timeouts = t;
        self
    }

    /// What to do with requests that break the spec's constraints.
    pub fn validation(mut self, v: ValidationMode) -> Self {
        self.validation = v;
        self
    }

    /// The `RequestClient` value (default [`REQUEST_CLIENT`]).
    pub fn request_client(mut self, v: impl Into<String>) -> Self {
        self.request_client = Some(v.into());
        self
    }

    /// A `Region` parameter to send (the host's region wins on the real service).
    pub fn region(mut self, v: impl Into<String>) -> Self {
        self.region = Some(v.into());
        self
    }

    /// Use this reqwest client (its own pool and TLS settings) instead of building one.
    pub fn http_client(mut self, c: reqwest::Client) -> Self {
        self.http = Some(c);
        self
    }

    /// Builds the client. Fails on a missing or malformed endpoint or missing credentials.
    pub fn build(self) -> Result<Client, Error> {
        let url = self
            .endpoint
            .ok_or_else(|| Error::Config("no endpoint set".into()))?;
        let endpoint = Endpoint::parse(&url).map_err(|e| Error::Config(e.to_string()))?;
        let credentials = self
            .credentials
            .ok_or_else(|| Error::Config("no credentials set".into()))?;
        let http = match self.http {
            Some(h) => h,
            None => reqwest::Client::builder()
                .connect_timeout(self.timeouts.connect())
                .pool_idle_timeout(Duration::from_secs(60))
                .tcp_nodelay(true)
                .build()
                .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?,
        };
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
                request_client: self
                    .request_client
                    .unwrap_or_else(|| REQUEST_CLIENT.to_owned()),
                region: self.region,
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

fn now_secs() -> u64 {
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

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
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

    /// Validates (per the validation mode), signs and sends `input`, retrying per the retry
    /// policy, and decodes the answer.
    pub async fn execute<O: Operation>(&self, input: O) -> Result<O::Output, Error> {
        match self.inner.validation {
            ValidationMode::Enforce => input.validate().map_err(Error::Validation)?,
            ValidationMode::WarnOnly => {
                if let Err(v) = input.validate() {
                    tracing::warn!(action = %O::ACTION, violations = %v, "sending a request that breaks the spec");
                }
            }
            ValidationMode::Off => {}
        }
        let span = tracing::info_span!("cmq", action = %O::ACTION, target = input.target().unwrap_or(""), attempt = tracing::field::Empty, request_id = tracing::field::Empty, code = tracing::field::Empty);
        self.execute_validated(&input).instrument(span).await
    }

    async fn execute_validated<O: Operation>(&self, input: &O) -> Result<O::Output, Error> {
        let i = &self.inner;
        let deadline = match input.long_poll_seconds() {
            None => i.timeouts.for_call(None),
            Some(w) => i
                .timeouts
                .for_receive(w.and_then(|s| u32::try_from(s).ok())),
        };
        let mut rng = fastrand::Rng::new();
        let mut attempt: u32 = 0;
        loop {
            tracing::Span::current().record("attempt", attempt + 1);
            let nonce = rng.u64(1..=u64::from(u32::MAX));
            let (params, _) = self.signed_params(input, now_secs(), nonce);
            let result = self.send_once::<O>(&params, deadline).await;
            match result {
                Ok(out) => {
                    tracing::Span::current().record("code", 0);
                    return Ok(out);
                }
                Err(e) => {
                    if let Some(s) = e.service() {
                        tracing::Span::current().record("code", s.code);
                        if let Some(r) = &s.request_id {
                            tracing::Span::current().record("request_id", r.as_str());
                        }
                    }
                    if !i
                        .retry
                        .should_retry(attempt, O::ACTION.idempotent(), e.retry_class())
                    {
                        return Err(e);
                    }
                    let wait = i.retry.backoff(attempt, &mut rng);
                    tracing::debug!(error = %e, ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn send_once<O: Operation>(
        &self,
        params: &Params,
        deadline: Duration,
    ) -> Result<O::Output, Error> {
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
        let fut = async {
            let resp = req.send().await.map_err(transport)?;
            let status = resp.status().as_u16();
            let body = resp.bytes().await.map_err(transport)?;
            Ok::<_, Error>((status, body))
        };
        let (status, body) = match tokio::time::timeout(deadline, fut).await {
            Ok(r) => r?,
            Err(_) => return Err(Error::Timeout { after: deadline }),
        };
        if status != 200 {
            return Err(Error::HttpStatus {
                status,
                body: Error::shorten(&body),
            });
        }
        decode_answer::<O>(&body)
    }
}

fn transport(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::Timeout {
            after: Duration::ZERO,
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
