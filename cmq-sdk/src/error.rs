//! The SDK's one error type.

use std::time::Duration;

use crate::constraints::Violations;
use crate::credentials::CredentialsError;
use crate::endpoint::EndpointError;
use crate::generated::actions::Action;
use crate::generated::errors::ServiceCode;
use crate::generated::v3::errors::Api3ErrorId;
use crate::retry::{RetryClass, classify_api3_code, classify_code};

/// An error a CMQ API 2.0 server answered with (`code ≠ 0` in the JSON envelope).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    /// The action that failed.
    pub action: Action,
    /// The top-level code (e.g. 4440).
    pub code: i64,
    /// The module code parsed from the message's `(10100)` prefix, if present.
    pub module_code: Option<i64>,
    /// The message as sent (e.g. `(10100)queue is not existed, or deleted`).
    pub message: String,
    /// The request id, if the server sent one.
    pub request_id: Option<String>,
    /// Per-item failures (BatchDeleteMessage's `errorList`).
    pub error_list: Vec<BatchItemError>,
}

impl ServiceError {
    /// The code as an enum (unknown codes are kept in `Other`).
    pub fn service_code(&self) -> ServiceCode {
        ServiceCode::from_code(self.code)
    }
}

/// One failed item of a batch (`errorList`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct BatchItemError {
    /// Its code (e.g. 4430).
    pub code: i64,
    /// Its message.
    #[serde(default)]
    pub message: String,
    /// The receipt handle that failed.
    #[serde(rename = "receiptHandle", default)]
    pub receipt_handle: String,
}

/// An error an API 3.0 server answered with: `{"Response": {"Error": {"Code", "Message"},
/// "RequestId"}}` (HTTP 200). Codes are dotted strings such as `ResourceNotFound.Topic`;
/// the common ones (`InternalError`, `RequestLimitExceeded`, `AuthFailure.SignatureFailure`, …)
/// are shared by every Tencent Cloud API 3.0 product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Api3ServiceError {
    /// The action that failed (e.g. `CreateCmqQueue`).
    pub action: &'static str,
    /// The code (e.g. `ResourceInUse.Queue`).
    pub code: String,
    /// The message as sent.
    pub message: String,
    /// The request id, if the server sent one.
    pub request_id: Option<String>,
}

/// A service error code of either protocol, from [`Error::error_code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode<'a> {
    /// A CMQ API 2.0 code (e.g. 4440).
    Cmq(i64),
    /// A Tencent Cloud API 3.0 code (e.g. `ResourceNotFound`).
    Api3(&'a str),
}

impl std::fmt::Display for ErrorCode<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErrorCode::Cmq(c) => write!(f, "{c}"),
            ErrorCode::Api3(c) => f.write_str(c),
        }
    }
}

/// Everything that can go wrong with a call. [`Display`](std::fmt::Display) always shows the code (or
/// the kind) and the message. Neither `Display` nor `Debug` ever shows a request URL, a signature,
/// a token or a key.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request broke the spec's constraints; it was not sent. Lists every violation.
    #[error("validation: {0}")]
    Validation(Violations),
    /// An API 3.0 request broke the spec's constraints; it was not sent. Lists every violation,
    /// each with the API 3.0 error a server answers with. ([`Error::is_validation`] covers both
    /// kinds.)
    #[error("validation: {0}")]
    Api3Validation(Violations<Api3ErrorId>),
    /// The CMQ API 2.0 server answered with an error code.
    #[error("{} {}: code {} (module {}): {} [requestId {}]", .0.action, "failed", .0.code, .0.module_code.map_or("-".to_owned(), |m| m.to_string()), .0.message, .0.request_id.as_deref().unwrap_or("-"))]
    Service(Box<ServiceError>),
    /// The API 3.0 server answered with an error.
    #[error("{} failed: {}: {} [requestId {}]", .0.action, .0.code, .0.message, .0.request_id.as_deref().unwrap_or("-"))]
    Api3Service(Box<Api3ServiceError>),
    /// The connection failed (refused, reset, TLS, …).
    #[error("transport: {message}")]
    Transport {
        /// What failed (never with the request's URL).
        message: String,
        /// The cause (a `reqwest::Error` stripped of its URL).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// No answer in time: one attempt's timeout passed (`deadline: false`), or the whole call's
    /// deadline across retries did (`deadline: true`; see [`crate::timeouts`]).
    #[error("{}", timeout_text(*.after, *.deadline, *.attempts))]
    Timeout {
        /// The timeout that passed: the attempt's, or the call's deadline.
        after: Duration,
        /// True when the call's deadline across retries passed.
        deadline: bool,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The server answered with an HTTP status other than 200 (a redirect included: redirects are
    /// never followed).
    #[error("unexpected HTTP status {status}: {body}")]
    HttpStatus {
        /// The status.
        status: u16,
        /// The body (shortened).
        body: String,
    },
    /// The answer's body is larger than the client's limit
    /// ([`crate::ClientBuilder::max_response_bytes`]); reading stopped there.
    #[error("response too large: the answer (HTTP {status}) exceeds the limit of {limit} bytes")]
    ResponseTooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The answer's HTTP status.
        status: u16,
    },
    /// The answer was not the JSON the spec describes.
    #[error("decoding: {message} in {body}")]
    Decode {
        /// What was wrong.
        message: String,
        /// The body (shortened).
        body: String,
    },
    /// The client was configured wrongly (endpoint, credentials, region).
    #[error("configuration: {0}")]
    Config(String),
}

fn timeout_text(after: Duration, deadline: bool, attempts: u32) -> String {
    if deadline {
        let s = if attempts == 1 { "" } else { "s" };
        format!("timeout: the call's deadline of {after:?} passed ({attempts} attempt{s})")
    } else {
        format!("timeout: no answer after {after:?}")
    }
}

impl From<CredentialsError> for Error {
    fn from(e: CredentialsError) -> Self {
        Error::Config(format!("credentials: {e}"))
    }
}

impl From<EndpointError> for Error {
    fn from(e: EndpointError) -> Self {
        Error::Config(e.to_string())
    }
}

impl Error {
    /// The CMQ API 2.0 code, for 2.0 service errors ([`Error::error_code`] covers both
    /// protocols).
    pub fn code(&self) -> Option<i64> {
        match self {
            Error::Service(s) => Some(s.code),
            _ => None,
        }
    }

    /// The service's code, of either protocol.
    pub fn error_code(&self) -> Option<ErrorCode<'_>> {
        match self {
            Error::Service(s) => Some(ErrorCode::Cmq(s.code)),
            Error::Api3Service(s) => Some(ErrorCode::Api3(&s.code)),
            _ => None,
        }
    }

    /// The 2.0 service error, if this is one.
    pub fn service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(s) => Some(s),
            _ => None,
        }
    }

    /// The API 3.0 service error, if this is one.
    pub fn api3(&self) -> Option<&Api3ServiceError> {
        match self {
            Error::Api3Service(s) => Some(s),
            _ => None,
        }
    }

    /// The request id the server sent with an error, of either protocol.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service(s) => s.request_id.as_deref(),
            Error::Api3Service(s) => s.request_id.as_deref(),
            _ => None,
        }
    }

    /// The violations, if an API 2.0 request failed validation.
    pub fn violations(&self) -> Option<&Violations> {
        match self {
            Error::Validation(v) => Some(v),
            _ => None,
        }
    }

    /// The violations, if an API 3.0 request failed validation.
    pub fn api3_violations(&self) -> Option<&Violations<Api3ErrorId>> {
        match self {
            Error::Api3Validation(v) => Some(v),
            _ => None,
        }
    }

    /// True when the request broke the spec's constraints and was not sent (either API).
    pub fn is_validation(&self) -> bool {
        matches!(self, Error::Validation(_) | Error::Api3Validation(_))
    }

    /// Each broken constraint in words (`QueueName: must be …`), whichever API the request was
    /// for; empty for other errors.
    pub fn violation_messages(&self) -> Vec<String> {
        match self {
            Error::Validation(v) => v.iter().map(ToString::to_string).collect(),
            Error::Api3Validation(v) => v.iter().map(ToString::to_string).collect(),
            _ => Vec::new(),
        }
    }

    /// How the retry policy sees this error.
    pub fn retry_class(&self) -> RetryClass {
        match self {
            Error::Service(s) => classify_code(s.code),
            Error::Api3Service(s) => classify_api3_code(&s.code),
            Error::Transport { .. } => RetryClass::Transport,
            Error::Timeout { .. } => RetryClass::Timeout,
            Error::HttpStatus { status, .. } => crate::retry::classify_http_status(*status),
            Error::Validation(_)
            | Error::Api3Validation(_)
            | Error::ResponseTooLarge { .. }
            | Error::Decode { .. }
            | Error::Config(_) => RetryClass::Never,
        }
    }

    /// True when trying again later may succeed (transport, timeout, a 6000-class code or
    /// `InternalError`, throttling).
    pub fn is_retryable(&self) -> bool {
        !matches!(self.retry_class(), RetryClass::Never)
    }

    /// True when the server throttled the call (CMQ 4420/4480, API 3.0
    /// `RequestLimitExceeded…`, HTTP 429).
    pub fn is_throttled(&self) -> bool {
        matches!(self.retry_class(), RetryClass::Throttled)
    }

    /// Records how many attempts a call made (timeouts say it).
    pub(crate) fn with_attempts(mut self, n: u32) -> Self {
        if let Error::Timeout { attempts, .. } = &mut self {
            *attempts = n;
        }
        self
    }

    pub(crate) fn shorten(body: &[u8]) -> String {
        let s = String::from_utf8_lossy(body);
        if s.chars().count() > 512 {
            let mut out: String = s.chars().take(509).collect();
            out.push_str("...");
            out
        } else {
            s.into_owned()
        }
    }
}

/// Parses the module code out of a message like `(10100)queue is not existed` or
/// `(4460) (10210)queue is already existed(cmq-queue[#4000])`: the last parenthesised number of
/// five digits before the text, else the first parenthesised number.
pub fn module_code_of(message: &str) -> Option<i64> {
    let mut found = Vec::new();
    let mut rest = message.trim_start();
    while let Some(r) = rest.strip_prefix('(') {
        let Some(end) = r.find(')') else { break };
        match r[..end].trim().parse::<i64>() {
            Ok(n) => found.push(n),
            Err(_) => break,
        }
        rest = r[end + 1..].trim_start();
    }
    found
        .iter()
        .copied()
        .find(|n| *n >= 10000)
        .or_else(|| found.first().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_code_forms() {
        assert_eq!(module_code_of("(10200)no message"), Some(10200));
        assert_eq!(
            module_code_of("(4460) (10210)queue is already existed(cmq-queue[#4000])"),
            Some(10210)
        );
        assert_eq!(module_code_of("no parentheses"), None);
        assert_eq!(module_code_of("(abc)x"), None);
    }

    #[test]
    fn display_shows_code_and_message() {
        let e = Error::Service(Box::new(ServiceError {
            action: Action::SendMessage,
            code: 4440,
            module_code: Some(10100),
            message: "(10100)queue is not existed, or deleted".into(),
            request_id: Some("r-1".into()),
            error_list: vec![],
        }));
        let s = e.to_string();
        assert!(
            s.contains("4440")
                && s.contains("10100")
                && s.contains("queue is not existed")
                && s.contains("r-1"),
            "{s}"
        );
        assert_eq!(e.code(), Some(4440));
        assert!(!e.is_retryable());
    }

    #[test]
    fn throttling_and_server_errors_are_retryable() {
        let mk = |code| {
            Error::Service(Box::new(ServiceError {
                action: Action::SendMessage,
                code,
                module_code: None,
                message: String::new(),
                request_id: None,
                error_list: vec![],
            }))
        };
        assert!(mk(4420).is_throttled());
        assert!(mk(4420).is_retryable());
        assert!(mk(6000).is_retryable());
        assert!(!mk(6010).is_retryable());
        assert!(
            Error::Timeout {
                after: Duration::from_secs(1),
                deadline: false,
                attempts: 1,
            }
            .is_retryable()
        );
        assert!(
            !Error::ResponseTooLarge {
                limit: 10,
                status: 200
            }
            .is_retryable()
        );
    }

    #[test]
    fn timeout_texts() {
        let attempt = Error::Timeout {
            after: Duration::from_millis(250),
            deadline: false,
            attempts: 1,
        };
        assert_eq!(attempt.to_string(), "timeout: no answer after 250ms");
        let call = Error::Timeout {
            after: Duration::from_secs(45),
            deadline: true,
            attempts: 2,
        };
        assert_eq!(
            call.to_string(),
            "timeout: the call's deadline of 45s passed (2 attempts)"
        );
        assert_eq!(
            call.with_attempts(3).to_string(),
            "timeout: the call's deadline of 45s passed (3 attempts)"
        );
    }

    #[test]
    fn first_contact_errors_convert_with_question_mark() {
        fn from_env_like() -> Result<(), Error> {
            Err(CredentialsError::Missing(crate::credentials::ENV_SECRET_ID))?;
            Ok(())
        }
        fn endpoint_like() -> Result<crate::Endpoint, Error> {
            Ok(crate::Endpoint::parse("localhost:8641")?)
        }
        let e = from_env_like().unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "configuration: credentials: environment variable TENCENTCLOUD_SECRET_ID is not set"
        );
        let e = endpoint_like().unwrap_err();
        assert!(
            matches!(&e, Error::Config(m) if m.contains("localhost:8641") && m.contains("http://")),
            "{e:?}"
        );
    }
}
