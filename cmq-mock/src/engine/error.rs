//! Engine errors: one [`ErrorKind`] per CMQ error the engine can answer with (queues and topics
//! alike), named after the service's error ids. Code, module code and text come from the
//! generated error table; the engine keeps no copy of them. A protocol adapter turns a kind into
//! its own answer (API 2.0: the kind's [`ErrorId`]).

use std::fmt;

use cmq_sdk::generated::errors::ErrorId;

macro_rules! error_kinds {
    ($( $(#[$doc:meta])* $name:ident; )*) => {
        /// What went wrong, named after the service's error ids. The doc line of each variant
        /// gives `code/module` and the cause as the real service answers it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorKind {
            $( $(#[$doc])* $name, )*
        }

        impl ErrorKind {
            /// Every kind, for tables and tests.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$name),*];

            /// The service's error (the generated table holds its code, module code and message).
            pub const fn error_id(self) -> ErrorId {
                match self { $(ErrorKind::$name => ErrorId::$name,)* }
            }
        }
    };
}

error_kinds! {
    // ---- queues
    /// 4000/10020: a queue name breaks the name rule.
    QueueNameFormat;
    /// 4440/10100: the queue does not exist (or was deleted).
    QueueNotExist;
    /// 4460/10210: a queue of that name (case-insensitively) exists.
    QueueAlreadyExists;
    /// 4450/10220: the account has as many queues as its quota allows.
    QueueQuotaExceeded;
    /// 4410/10240: the queue holds maxMsgHeapNum messages.
    QueueFull;
    /// 4430/10260: a well-formed receipt handle that is unknown, stale or expired.
    InvalidReceiptHandle;
    /// 4000/10470: a receipt handle that is not a handle at all.
    ReceiptHandleError;
    /// 7000/10200: no message arrived within the receive's window.
    NoMessage;
    /// 6070/10690: too many delayed messages in the queue to receive.
    TooManyUnackedMessages;
    /// 6040/10660: the name was deleted within the profile's re-create block.
    QueueReleasing;
    /// 6050/10670: the queue has rewind turned off.
    QueueCannotRewind;
    /// 4000/10680: a rewind time outside the valid window.
    InvalidRewindTime;
    /// 4000/10700: rewindSeconds greater than msgRetentionSeconds.
    RewindSecondsGreaterThanRetention;
    /// 4000/10720: a dead-letter policy number out of range.
    DeadLetterPolicyParamsError;
    /// 4000/10730: the dead-letter queue does not exist (or the queue has none to unbind).
    DeadLetterQueueNotExist;
    /// 4000/10740: dead-letter queues cannot nest.
    DeadLetterQueueNesting;
    /// 4000/10750: a queue serving as a dead-letter queue cannot be deleted.
    DeleteDeadLetterQueueNotAllowed;
    /// 4000/10770: a dead-letter policy that is neither 0 nor 1.
    DeadLetterPolicyMemberInvalid;
    /// 4000/10780: the dead-letter queue serves as many source queues as allowed.
    DeadLetterQueueBindTooMany;
    // ---- messages (queues and topics)
    /// 4000/10120: an empty message body.
    MessageBodyEmpty;
    /// 4400/10230: a message body larger than the queue's or topic's maxMsgSize.
    MessageTooLarge;
    /// 4470/10300: a batch whose bodies total more than the batch limit.
    BatchTotalSizeTooLarge;
    /// 4000/10370: a batch of no item or more items than the batch limit.
    BatchSizeOutOfRange;
    /// 4000/10692: a delay the queue refuses (tdmq: longer than its msgRetentionSeconds).
    DelaySecondsOutOfRange;
    // ---- topics and subscriptions
    /// 4440/10600: the topic does not exist (or was deleted).
    TopicNotExist;
    /// 4460/10550: a topic of that name (case-insensitively) exists.
    TopicAlreadyExists;
    /// 4450/10610: the account has as many topics as its quota allows.
    TopicQuotaExceeded;
    /// 6040/10660: the topic name was deleted within the profile's re-create block.
    TopicReleasing;
    /// 4000/10590: a topic name breaks the name rule.
    TopicNameFormat;
    /// 4000/10580: a subscription name breaks the name rule.
    SubscriptionNameFormat;
    /// 4490/10470: the topic already has a subscription of that name.
    SubscriptionAlreadyExists;
    /// 4000/10560: no such subscription on the topic.
    SubscriptionNotExist;
    /// 4500/10480: the topic has as many subscriptions as its quota allows.
    SubscriptionQuotaExceeded;
    /// 4000/10540: deleting a topic that still has subscriptions.
    TopicHasSubscriptions;
    /// 6030/10650: publishing to a topic without subscriptions.
    TopicHasNoSubscription;
    /// 6030/10730: publishing a message no subscription matches.
    NoSubscriptionMatched;
    /// 4000/10700: publishing to a routing-key topic without a routing key.
    RoutingKeyMissing;
    /// 4000/10710: subscribing to a routing-key topic without binding keys.
    BindingKeyMissing;
    /// 4000/10500: an endpoint that does not fit the protocol (not http(s)://, bad URL, over
    /// 500 characters, not a queue name).
    EndpointFormatError;
    /// 4000/10630: a `queue` endpoint naming no existing queue.
    IllegalEndpoint;
    /// 4510/10570: an endpoint URL containing whitespace.
    UrlContainsBlank;
    /// 4000/10510: a protocol that is neither `http` nor `queue`.
    UndefinedProtocol;
    /// 4000/10520: an unknown notify strategy.
    UndefinedNotifyStrategy;
    /// 4000/10530: an unknown notify content format.
    UndefinedNotifyContentFormat;
    /// 4000/10640: protocol `queue` with content format JSON.
    QueueProtocolRequiresSimplified;
    /// 4000/10490: more than 5 filter tags.
    FilterTagNumberExceeded;
    /// 4000/10680: more than 5 binding keys.
    TooManyBindingKeys;
    /// 4000/10720: more than 5 message tags.
    TooManyMsgTags;
    /// 4000/10691: a routing key or binding key with more than 15 dots.
    TooManyDelimiters;
    /// 4000/10350: a value or length out of range (maxMsgSize, filterType, tag or key length).
    ValueOutOfRange;
    /// 6000/10050: an internal error.
    InternalError;
}

impl ErrorKind {
    /// The service's error id (the variant's name), e.g. `"QueueNotExist"`.
    pub fn id(self) -> &'static str {
        self.error_id().id()
    }

    /// The top-level `code` of the service's answer.
    pub fn code(self) -> u32 {
        u32::try_from(self.error_id().code()).unwrap_or(u32::MAX)
    }

    /// The module error code (the number in parentheses at the start of the message).
    pub fn module_code(self) -> u32 {
        u32::try_from(self.error_id().module()).unwrap_or(u32::MAX)
    }

    /// The documented English text (without the module-code prefix; `%s` stands for a
    /// parameter name).
    pub fn text(self) -> &'static str {
        self.error_id().message()
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// An engine failure: the [`ErrorKind`] plus an optional detail for logs and tests (a protocol
/// adapter builds its answer from the kind alone).
///
/// `Display` gives the service's message: `(module)text`, with a `%s` in the text replaced by
/// the detail (the parameter name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("({}){}", kind.module_code(), self.message_text())]
pub struct EngineError {
    /// Which error this is.
    pub kind: ErrorKind,
    /// Free-form context (which parameter, which limit); not part of the answer.
    pub detail: Option<String>,
}

impl EngineError {
    /// An error of `kind` without detail.
    pub fn new(kind: ErrorKind) -> Self {
        Self { kind, detail: None }
    }

    /// An error of `kind` with a detail string (for the `%s` texts: the parameter's name).
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
