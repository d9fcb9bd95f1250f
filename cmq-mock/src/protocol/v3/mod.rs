//! Tencent Cloud API 3.0 (product `tdmq`, version `2020-02-17`): the control plane of TDMQ for
//! CMQ, served on the same engine (and the same listener) as API 2.0, so a queue created over
//! one API is the same queue over the other.
//!
//! * [`auth`]: the TC3-HMAC-SHA256 signature, the timestamp window, the headers the spec
//!   requires (`X-TC-Action`, `X-TC-Version`, `X-TC-Region`).
//! * [`backend`]: the generated `CmqApi3Service` on the engine ([`queues`], [`topics`]: the
//!   translation of each action); [`extras`]: what API 3.0 stores that the engine does not use
//!   (resource tags, Trace, transaction settings).
//!
//! The JSON decoder, the service trait, the dispatcher, the envelopes and the mapping from the
//! engine's (API 2.0) errors are generated (`crate::generated::v3`).

pub mod auth;
pub mod backend;
pub mod extras;
pub mod queues;
pub mod topics;

use cmq_sdk::generated::actions::Action;
use cmq_sdk::generated::v3::actions::Api3Action;

/// The API 2.0 action an API 3.0 action does the work of, by which fault rules address it
/// (fault rules are keyed by API 2.0 actions: a rule for `CreateQueue` applies to
/// CreateCmqQueue too, and an injected API 2.0 error answers as the spec maps it). ClearCmqQueue
/// has no counterpart: only rules for every action apply to it.
pub fn fault_action(action: Api3Action) -> Option<Action> {
    Some(match action {
        Api3Action::CreateCmqQueue => Action::CreateQueue,
        Api3Action::DeleteCmqQueue => Action::DeleteQueue,
        Api3Action::DescribeCmqQueues => Action::ListQueue,
        Api3Action::DescribeCmqQueueDetail => Action::GetQueueAttributes,
        Api3Action::ModifyCmqQueueAttribute => Action::SetQueueAttributes,
        Api3Action::RewindCmqQueue => Action::RewindQueue,
        Api3Action::UnbindCmqDeadLetter => Action::UnbindDeadLetterQueue,
        Api3Action::SendCmqMsg => Action::SendMessage,
        Api3Action::CreateCmqTopic => Action::CreateTopic,
        Api3Action::DeleteCmqTopic => Action::DeleteTopic,
        Api3Action::DescribeCmqTopics => Action::ListTopic,
        Api3Action::DescribeCmqTopicDetail => Action::GetTopicAttributes,
        Api3Action::ModifyCmqTopicAttribute => Action::SetTopicAttributes,
        Api3Action::PublishCmqMsg => Action::PublishMessage,
        Api3Action::CreateCmqSubscribe => Action::Subscribe,
        Api3Action::DeleteCmqSubscribe => Action::Unsubscribe,
        Api3Action::DescribeCmqSubscriptionDetail => Action::ListSubscriptionByTopic,
        Api3Action::ModifyCmqSubscriptionAttribute => Action::SetSubscriptionAttributes,
        Api3Action::ClearCmqSubscriptionFilterTags => Action::ClearSubscriptionFilterTags,
        Api3Action::ClearCmqQueue => return None,
    })
}
