//! What a service method receives (the request context) and returns on failure (a CMQ error
//! with its exact code, module code and message), and the JSON envelope both become.

use cmq_sdk::constraints::Violation;
use cmq_sdk::error::BatchItemError;
use cmq_sdk::generated::actions::Action;
use cmq_sdk::generated::errors::ErrorId;
use cmq_sdk::operation::WireOutput;
use serde::ser::{SerializeMap, Serializer};

/// Who asked for what: filled in by the server for every request.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// The action.
    pub action: Action,
    /// The account (its SecretId).
    pub account_id: String,
    /// The id this answer carries as `requestId`.
    pub request_id: String,
    /// The client's `clientRequestId`, echoed back.
    pub client_request_id: Option<String>,
}

impl RequestContext {
    /// The JSON envelope of a successful answer: `code` 0, empty `message`, `requestId`, then the
    /// action's fields at the top level.
    pub fn encode_ok<T: WireOutput>(&self, out: &T) -> Vec<u8> {
        encode(
            0,
            "",
            &self.request_id,
            self.client_request_id.as_deref(),
            &[],
            |m| out.write_fields(m),
        )
    }
}

/// A CMQ error answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    /// Which error (code, module code, message).
    pub error: ErrorId,
    /// Substituted for `%s` in the message (a parameter or action name).
    pub subject: Option<String>,
    /// Per-item failures (BatchDeleteMessage's `errorList`).
    pub error_list: Vec<BatchItemError>,
    /// Said after the documented text, after `: ` (for the mock's own limits, where the
    /// documented text alone would not tell the client what to change).
    pub detail: Option<String>,
}

impl ServiceError {
    /// The error `error`.
    pub fn new(error: ErrorId) -> Self {
        Self {
            error,
            subject: None,
            error_list: Vec::new(),
            detail: None,
        }
    }

    /// The error `error` about `subject` (fills `%s`).
    pub fn about(error: ErrorId, subject: impl Into<String>) -> Self {
        Self {
            error,
            subject: Some(subject.into()),
            error_list: Vec::new(),
            detail: None,
        }
    }

    /// This error with `detail` said after its documented text (`(module)text: detail`).
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The answer to a broken constraint (used by the generated dispatcher).
    #[doc(hidden)]
    pub fn from_violation(v: Violation) -> Self {
        let base = v.param.split('.').next().unwrap_or(&v.param).to_owned();
        Self::about(v.error, base)
    }

    /// The message as sent: `(module)text`, with `%s` filled in, then `: detail` when there is
    /// one.
    pub fn message(&self) -> String {
        let text = self.error.message();
        let text = match &self.subject {
            Some(s) => text.replace("%s", s),
            None => text.to_owned(),
        };
        match &self.detail {
            Some(d) => format!("({}){text}: {d}", self.error.module()),
            None => format!("({}){text}", self.error.module()),
        }
    }

    /// The JSON envelope of this error.
    pub fn encode(&self, request_id: &str, client_request_id: Option<&str>) -> Vec<u8> {
        encode(
            self.error.code(),
            &self.message(),
            request_id,
            client_request_id,
            &self.error_list,
            |_| Ok(()),
        )
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.error.code(), self.message())
    }
}

impl std::error::Error for ServiceError {}

fn encode<F>(
    code: i64,
    message: &str,
    request_id: &str,
    client_request_id: Option<&str>,
    error_list: &[BatchItemError],
    fields: F,
) -> Vec<u8>
where
    F: FnOnce(
        &mut serde_json::ser::Compound<'_, &mut Vec<u8>, serde_json::ser::CompactFormatter>,
    ) -> Result<(), serde_json::Error>,
{
    let mut buf = Vec::with_capacity(128);
    let result = (|| {
        let mut ser = serde_json::Serializer::new(&mut buf);
        let mut m = (&mut ser).serialize_map(None)?;
        m.serialize_entry("code", &code)?;
        m.serialize_entry("message", message)?;
        m.serialize_entry("requestId", request_id)?;
        if let Some(c) = client_request_id {
            m.serialize_entry("clientRequestId", c)?;
        }
        if !error_list.is_empty() {
            m.serialize_entry("errorList", error_list)?;
        }
        fields(&mut m)?;
        SerializeMap::end(m)
    })();
    match result {
        Ok(()) => buf,
        // Writing into a Vec cannot fail, and every generated field serializes; keep the
        // answer well-formed regardless.
        Err(_) => format!(
            r#"{{"code":6000,"message":"(10050)server internal error","requestId":"{request_id}"}}"#
        )
        .into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_envelope_has_module_code_and_subject() {
        let e = ServiceError::about(ErrorId::LackOfRequiredParameter, "queueName");
        let body = String::from_utf8(e.encode("r-1", None)).unwrap_or_default();
        assert_eq!(
            body,
            r#"{"code":4000,"message":"(10390)lacked of required parameter queueName","requestId":"r-1"}"#
        );
        let e = ServiceError::new(ErrorId::InvalidRequestParameters)
            .with_detail("more than 256 parameters in one request");
        assert_eq!(
            e.message(),
            "(10000)invalid request parameters: more than 256 parameters in one request"
        );
    }
}
