//! The SDK's one error type.

use std::time::Duration;

use crate::constraints::Violations;
use crate::generated::actions::Action;
use crate::generated::errors::ServiceCode;
use crate::retry::{RetryClass, classify_code};

/// An error the server answered with (`code ≠ 0` in the JSON envelope).
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

/// Everything that can go wrong with a call. [`Display`](std::fmt::Display) always shows the code (or
/// the kind) and the message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request broke the spec's constraints; it was not sent. Lists every violation.
    #[error("validation: {0}")]
    Validation(Violations),
    /// The server answered with an error code.
    #[error("{} {}: code {} (module {}): {} [requestId {}]", .0.action, "failed", .0.code, .0.module_code.map_or("-".to_owned(), |m| m.to_string()), .0.message, .0.request_id.as_deref().unwrap_or("-"))]
    Service(Box<ServiceError>),
    /// The connection failed (refused, reset, TLS, …).
    #[error("transport: {message}")]
    Transport {
        /// What failed.
        message: String,
        /// The cause.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// No answer within the call's deadline.
    #[error("timeout: no answer after {after:?}")]
    Timeout {
        /// The deadline that passed.
        after: Duration,
    },
    /// The server answered with an HTTP status other than 200.
    #[error("unexpected HTTP status {status}: {body}")]
    HttpStatus {
        /// The status.
        status: u16,
        /// The body (shortened).
        body: String,
    },
    /// The answer was not the JSON the spec describes.
    #[error("decoding: {message} in {body}")]
    Decode {
        /// What was wrong.
        message: String,
        /// The body (shortened).
        body: String,
    },
    /// The client was configured wrongly (endpoint, credentials).
    #[error("configuration: {0}")]
    Config(String),
}

impl Error {
    /// The server's code, for service errors.
    pub fn code(&self) -> Option<i64> {
        match self {
            Error::Service(s) => Some(s.code),
            _ => None,
        }
    }

    /// The service error, if this is one.
    pub fn service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(s) => Some(s),
            _ => None,
        }
    }

    /// The violations, if validation failed.
    pub fn violations(&self) -> Option<&Violations> {
        match self {
            Error::Validation(v) => Some(v),
            _ => None,
        }
    }

    /// How the retry policy sees this error.
    pub fn retry_class(&self) -> RetryClass {
        match self {
            Error::Service(s) => classify_code(s.code),
            Error::Transport { .. } => RetryClass::Transport,
            Error::Timeout { .. } => RetryClass::Timeout,
            Error::HttpStatus { status, .. } => crate::retry::classify_http_status(*status),
            Error::Validation(_) | Error::Decode { .. } | Error::Config(_) => RetryClass::Never,
        }
    }

    /// True when trying again later may succeed (transport, timeout, 6000-class, throttling).
    pub fn is_retryable(&self) -> bool {
        !matches!(self.retry_class(), RetryClass::Never)
    }

    /// True when the server throttled the call (4420).
    pub fn is_throttled(&self) -> bool {
        matches!(self.retry_class(), RetryClass::Throttled)
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
                after: Duration::from_secs(1)
            }
            .is_retryable()
        );
    }
}
