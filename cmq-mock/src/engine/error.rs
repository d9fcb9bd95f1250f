//! Engine errors: one [`ErrorKind`] per CMQ error the queue engine can answer with, named after
//! the error ids of `spec/errors.json`; code, module code and text come from the generated table.

use std::fmt;

use cmq_sdk::generated::errors::ErrorId;

/// What went wrong, named after the spec's error ids. The doc line of each variant gives
/// `code/module: message` as the real service answers it (reference §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 4000/10020: queue name format error
    QueueNameFormat,
    /// 4440/10100: queue is not existed, or deleted
    QueueNotExist,
    /// 4460/10210: queue is already existed
    QueueAlreadyExists,
    /// 4450/10220: number of queues has reached the limit
    QueueQuotaExceeded,
    /// 4000/10120: message body can't be empty
    MessageBodyEmpty,
    /// 4400/10230: exceed maximum message size
    MessageTooLarge,
    /// 4410/10240: reach maximum retention number of message
    QueueFull,
    /// 4470/10300: total message size exceed 1MB
    BatchTotalSizeTooLarge,
    /// 4000/10370: %s parameter batch size is out of range
    BatchSizeOutOfRange,
    /// 4430/10260: receipt handle is invalid
    InvalidReceiptHandle,
    /// 4000/10470: receiptHandle error
    ReceiptHandleError,
    /// 7000/10200: no message
    NoMessage,
    /// 6070/10690: too many unacked(inactive) messages or delayed messages
    TooManyUnackedMessages,
    /// 6040/10660: it will take some time to release resources of previous queue before you create a new one with the same name, please try later
    QueueReleasing,
    /// 6050/10670: your queue cannot be rewinded
    QueueCannotRewind,
    /// 4000/10680: invalid rewind time, you can get the vaild range of that via GetQueueAttributes
    InvalidRewindTime,
    /// 4000/10700: rewindSeconds cannot be greater than msgRetentionSeconds
    RewindSecondsGreaterThanRetention,
    /// 4000/10710: deadLetterPolicy must be a json string
    DeadLetterPolicyNotJson,
    /// 4000/10720: deadLetterPolicy params error,please check it
    DeadLetterPolicyParamsError,
    /// 4000/10730: deadLetter queue not exist
    DeadLetterQueueNotExist,
    /// 4000/10740: deadLetter queue is not allowed to nest
    DeadLetterQueueNesting,
    /// 4000/10750: it is not allowed to be deleted when the queue is dead letter queue
    DeleteDeadLetterQueueNotAllowed,
    /// 4000/10760: the deadLetterPolicy must has deadLetterQueue member, only be a string
    DeadLetterQueueMemberMissing,
    /// 4000/10770: the deadLetterPolicy must has policy member , only set 0 or 1
    DeadLetterPolicyMemberInvalid,
    /// 4000/10780: the deadLetter Queue bind too many times
    DeadLetterQueueBindTooMany,
}

impl ErrorKind {
    /// Every kind, for tables and tests.
    pub const ALL: [ErrorKind; 25] = [
        Self::QueueNameFormat,
        Self::QueueNotExist,
        Self::QueueAlreadyExists,
        Self::QueueQuotaExceeded,
        Self::MessageBodyEmpty,
        Self::MessageTooLarge,
        Self::QueueFull,
        Self::BatchTotalSizeTooLarge,
        Self::BatchSizeOutOfRange,
        Self::InvalidReceiptHandle,
        Self::ReceiptHandleError,
        Self::NoMessage,
        Self::TooManyUnackedMessages,
        Self::QueueReleasing,
        Self::QueueCannotRewind,
        Self::InvalidRewindTime,
        Self::RewindSecondsGreaterThanRetention,
        Self::DeadLetterPolicyNotJson,
        Self::DeadLetterPolicyParamsError,
        Self::DeadLetterQueueNotExist,
        Self::DeadLetterQueueNesting,
        Self::DeleteDeadLetterQueueNotAllowed,
        Self::DeadLetterQueueMemberMissing,
        Self::DeadLetterPolicyMemberInvalid,
        Self::DeadLetterQueueBindTooMany,
    ];

    /// The spec's error (the generated table holds its code, module code and message; this
    /// engine keeps no copy of them).
    pub const fn error_id(self) -> ErrorId {
        match self {
            ErrorKind::QueueNameFormat => ErrorId::QueueNameFormat,
            ErrorKind::QueueNotExist => ErrorId::QueueNotExist,
            ErrorKind::QueueAlreadyExists => ErrorId::QueueAlreadyExists,
            ErrorKind::QueueQuotaExceeded => ErrorId::QueueQuotaExceeded,
            ErrorKind::MessageBodyEmpty => ErrorId::MessageBodyEmpty,
            ErrorKind::MessageTooLarge => ErrorId::MessageTooLarge,
            ErrorKind::QueueFull => ErrorId::QueueFull,
            ErrorKind::BatchTotalSizeTooLarge => ErrorId::BatchTotalSizeTooLarge,
            ErrorKind::BatchSizeOutOfRange => ErrorId::BatchSizeOutOfRange,
            ErrorKind::InvalidReceiptHandle => ErrorId::InvalidReceiptHandle,
            ErrorKind::ReceiptHandleError => ErrorId::ReceiptHandleError,
            ErrorKind::NoMessage => ErrorId::NoMessage,
            ErrorKind::TooManyUnackedMessages => ErrorId::TooManyUnackedMessages,
            ErrorKind::QueueReleasing => ErrorId::QueueReleasing,
            ErrorKind::QueueCannotRewind => ErrorId::QueueCannotRewind,
            ErrorKind::InvalidRewindTime => ErrorId::InvalidRewindTime,
            ErrorKind::RewindSecondsGreaterThanRetention => {
                ErrorId::RewindSecondsGreaterThanRetention
            }
            ErrorKind::DeadLetterPolicyNotJson => ErrorId::DeadLetterPolicyNotJson,
            ErrorKind::DeadLetterPolicyParamsError => ErrorId::DeadLetterPolicyParamsError,
            ErrorKind::DeadLetterQueueNotExist => ErrorId::DeadLetterQueueNotExist,
            ErrorKind::DeadLetterQueueNesting => ErrorId::DeadLetterQueueNesting,
            ErrorKind::DeleteDeadLetterQueueNotAllowed => ErrorId::DeleteDeadLetterQueueNotAllowed,
            ErrorKind::DeadLetterQueueMemberMissing => ErrorId::DeadLetterQueueMemberMissing,
            ErrorKind::DeadLetterPolicyMemberInvalid => ErrorId::DeadLetterPolicyMemberInvalid,
            ErrorKind::DeadLetterQueueBindTooMany => ErrorId::DeadLetterQueueBindTooMany,
        }
    }

    /// The spec error id (the variant's name).
    pub fn id(self) -> &'static str {
        self.error_id().id()
    }

    /// The top-level `code` of the response envelope.
    pub fn code(self) -> u32 {
        u32::try_from(self.error_id().code()).unwrap_or(u32::MAX)
    }

    /// The module error code shown in parentheses at the start of `message`.
    pub fn module_code(self) -> u32 {
        u32::try_from(self.error_id().module()).unwrap_or(u32::MAX)
    }

    /// The documented English text (without the module-code prefix).
    pub fn text(self) -> &'static str {
        self.error_id().message()
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// An engine failure: the [`ErrorKind`] plus an optional detail for logs and tests (never needed
/// to build the wire answer, which comes from the kind alone).
///
/// `Display` gives the wire `message`: `(module)text`, with a `%s` in the text replaced by the
/// detail (the parameter name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("({}){}", kind.module_code(), self.message_text())]
pub struct EngineError {
    /// Which error this is.
    pub kind: ErrorKind,
    /// Free-form context (which parameter, which limit); not part of the wire message.
    pub detail: Option<String>,
}

impl EngineError {
    /// An error of `kind` without detail.
    pub fn new(kind: ErrorKind) -> Self {
        Self { kind, detail: None }
    }

    /// An error of `kind` with a detail string.
    pub fn with_detail(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: Some(detail.into()),
        }
    }

    /// The documented text, with `%s` replaced by the detail.
    pub fn message_text(&self) -> String {
        let text = self.kind.text();
        if text.contains("%s") {
            text.replace("%s", self.detail.as_deref().unwrap_or(""))
                .trim_start()
                .to_owned()
        } else {
            text.to_owned()
        }
    }

    /// Shorthand for `self.kind.code()`.
    pub fn code(&self) -> u32 {
        self.kind.code()
    }

    /// Shorthand for `self.kind.module_code()`.
    pub fn module_code(&self) -> u32 {
        self.kind.module_code()
    }
}

impl From<ErrorKind> for EngineError {
    fn from(kind: ErrorKind) -> Self {
        Self::new(kind)
    }
}

/// The engine's result type.
pub type EngineResult<T> = Result<T, EngineError>;
