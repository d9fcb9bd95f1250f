//! A faithful, stateful emulator of Tencent Cloud TDMQ for CMQ (HTTP API 2.0), in process for
//! Rust tests or standalone (`cargo run -p cmq-mock`) for any CMQ client.
//!
//! ```no_run
//! use cmq_mock::CmqMock;
//! use std::time::Duration;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let mock = CmqMock::builder().manual_clock().queue("orders").start().await?;
//! let orders = mock.client()?.queue("orders"); // an SDK client for the mock's account
//! orders.send_delayed("later", 60).await?;
//! assert!(orders.receive(None).await?.is_none());
//! mock.clock().advance(Duration::from_secs(60)); // no sleeping: time is virtual
//! assert!(orders.receive(None).await?.is_some());
//! # Ok(()) }
//! ```
//!
//! * [`CmqMock`] / [`CmqMockBuilder`]: start a mock on a random loopback port, with accounts,
//!   limits, a [`Clock`] and resources to create; reach it with the SDK or any CMQ client.
//! * The service generation it emulates: TDMQ for CMQ by default (the service that exists
//!   today; its API 2.0 control plane was retired at the end of 2022, the data plane remains),
//!   legacy CMQ with [`CmqMockBuilder::profile`]`(`[`Profile::Legacy`]`)` or `--profile legacy`:
//!   names, delay rules, quotas and the re-create block follow it, and requests are validated
//!   with its constraint table.
//! * Inspection without side effects: [`CmqMock::queue_snapshot`] ([`QueueSnapshot`]).
//! * Topics: every push and queue fan-out lands in the [`DeliveryLog`]; a scripted
//!   [`PushReceiver`] plays the HTTP endpoint.
//! * [`Faults`] make calls fail, wait or lose their connection; the [`Journal`] records every
//!   request.
//! * [`Budgets`] bound what a long-running mock holds (parameters, connections, timeouts,
//!   journal bytes, push backlogs, stored messages); [`AdminAccess`] says who may call the
//!   admin API.

#![warn(missing_docs)]

mod admin;
mod budgets;
mod clock;
mod engine;
mod faults;
#[rustfmt::skip]
mod generated;
mod journal;
mod mock;
mod protocol;
mod receiver;
mod server;
mod store;

// The generated API 2.0 layer names these two modules at the crate root.
use protocol::v2::{service, wire};

pub use budgets::{Budgets, parse_duration, parse_size};
pub use clock::{Clock, Sleep};
pub use cmq_sdk::generated::actions::Action;
pub use cmq_sdk::generated::errors::ErrorId;
pub use cmq_sdk::generated::profiles::Profile;
pub use cmq_sdk::generated::types::Protocol;
pub use engine::budget::MESSAGE_OVERHEAD_BYTES;
pub use engine::{
    DeadLetterPolicy, DeliveryLog, DeliveryOutcome, DeliveryRecord, MessagePage, MessageState,
    MessageView, PushConfig, PushFailure, QueueAttributes, QueueConfig, QueueCounters,
    QueueSnapshot,
};
pub use faults::{ArmedFault, FaultEffect, FaultRule, Faults, InvalidFaultRule};
pub use generated::SPEC_SHA256;
pub use journal::{
    API3_ERROR_CODE, DEFAULT_JOURNAL_BYTES, DEFAULT_JOURNAL_VALUE_BYTES, Journal, JournalRecord,
    REDACTED, TRUNCATED_MARKER,
};
pub use mock::{
    AccountConfig, CmqMock, CmqMockBuilder, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, MOCK_REGION,
    MockConfig, StartError,
};
pub use protocol::v2::auth::AuthMode;
pub use protocol::v2::service::ServiceError;
pub use protocol::v2::wire::WireParams;
pub use receiver::{PushReceiver, ReceivedPush, Reply};
pub use server::guard::ADMIN_HEADER;
pub use server::{AdminAccess, ServerLimits};
pub use store::StoreError;

/// Not part of the public API: the pieces this crate's own integration tests and benchmarks
/// drive directly (the engine, the HTTP server with a custom service, the generated layer). It
/// may change in any release.
#[doc(hidden)]
pub mod internal {
    pub use crate::admin::Admin;
    pub use crate::engine::{
        Account, CreateTopic, Engine, EngineError, EngineResult, ErrorKind, Limits,
        QueueConfigUpdate, Subscribe,
    };
    /// The generated API 3.0 layer (decoder, `CmqApi3Service`, dispatcher, envelopes): what the
    /// API 3.0 backend builds on.
    pub use crate::generated::v3 as api3;
    pub use crate::generated::{decode, dispatch, service::CmqService};
    pub use crate::journal::redacted;
    pub use crate::protocol::v2::auth::Verifier;
    pub use crate::protocol::v2::backend::Backend;
    pub use crate::protocol::v2::service::RequestContext;
    pub use crate::protocol::v2::wire::TooManyParams;
    pub use crate::protocol::v3::backend::Api3Backend;
    pub use crate::server::{AdminRoutes, Api3Routes, RunningServer, Server};
}
