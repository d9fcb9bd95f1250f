//! A typed, validating async SDK for Tencent Cloud **TDMQ for CMQ**.
//!
//! The service has two faces, and one [`Client`] speaks both:
//!
//! * the **CMQ HTTP API 2.0** data plane (send, receive, delete, publish: form-encoded requests
//!   signed with HmacSHA1/HmacSHA256) on the endpoint the client is built with, e.g.
//!   `https://cmq-gz.public.tencenttdmq.com`;
//! * **Tencent Cloud API 3.0** (product `tdmq`, JSON bodies signed with TC3-HMAC-SHA256), where
//!   queues, topics and subscriptions are managed, on a control-plane endpoint derived from the
//!   first (`https://tdmq.tencentcloudapi.com`, region `ap-guangzhou` for the host above; see
//!   [`region`]) through [`Client::execute_api3`] and the [`api3`] module.
//!
//! Every action of either API (API 3.0: [`generated::v3::ops`], e.g.
//! `client.create_cmq_queue().queue_name("orders").send().await`) has a generated request type with a fluent builder whose setters
//! document range, default and requirement, validation that lists every violation before
//! anything is sent, wire encoding, and a response type that accepts the alias keys different
//! servers use. The hand-written runtime signs, sends over a pooled rustls connection, retries
//! idempotent calls with full-jitter backoff within a deadline per call, sizes timeouts for long
//! polls, refuses oversized answers and redirects, keeps URLs and secrets out of errors and logs,
//! and maps every failure to one error type, [`Error`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), cmq_sdk::Error> {
//! use cmq_sdk::{Client, Credentials};
//! // TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY (and optionally TENCENTCLOUD_SESSION_TOKEN)
//! let client = Client::new("https://cmq-gz.public.tencenttdmq.com", Credentials::from_env()?)?;
//! client.send_message().queue_name("orders").msg_body("hello").send().await?;
//! let got = client.receive_message().queue_name("orders").polling_wait_seconds(5).send().await?;
//! client.delete_message().queue_name("orders").receipt_handle(got.receipt_handle).send().await?;
//! # Ok(()) }
//! ```
//!
//! The same with the handles of [`handles`] ([`Queue`], [`Topic`], [`Subscription`]), in the
//! spirit of the official SDKs; "no message" is `None`, not an error. Their management calls use
//! API 3.0 on TDMQ and API 2.0 on legacy hosts and `cmq-mock`
//! ([`Client::management_api`]), with the same protocol-neutral types either way. With the `blocking` cargo
//! feature, `blocking::Client` offers the same handles without async.
//!
//! ```no_run
//! # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
//! let orders = client.queue("orders");
//! orders.create().await?;
//! orders.send("hello").await?;
//! if let Some(msg) = orders.receive(Some(5)).await? {
//!     orders.delete_message(&msg.receipt_handle).await?;
//! }
//! # Ok(()) }
//! ```
//!
//! Against a local `cmq-mock`, only the endpoint and the credentials change:
//! `Client::new("http://127.0.0.1:8641", Credentials::new("AKIDcmqmockdefault",
//! "cmq-mock-default-secret-key"))`.
//!
//! # Service generations
//!
//! Tencent moved CMQ to TDMQ for CMQ and retired the API 2.0 control plane (creating, changing
//! and deleting queues, topics and subscriptions) at the end of 2022; TDMQ still serves the 2.0
//! data plane, and manages resources through API 3.0. A few facts differ between the two
//! generations (the name rule, delaySeconds' range, the re-create block, the quotas); the spec
//! holds both as [`Profile`]s, and **this SDK follows TDMQ by default** ([`Profile::Tdmq`]).
//!
//! The client validates with the profile of its endpoint ([`Endpoint::profile`]): TDMQ hosts
//! (`*.tencenttdmq.com`, `*.mqadapter.cmq.tencentyun.com`) are `tdmq`, the legacy hosts
//! (`*.api.qcloud.com`, `*.api.tencentyun.com`) `legacy`, and any other host (a mock, a
//! gateway) the builder's choice, `tdmq` by default:
//!
//! ```no_run
//! # fn demo() -> Result<(), cmq_sdk::Error> {
//! use cmq_sdk::{Client, Credentials, Profile};
//! let legacy = Client::builder()
//!     .endpoint("http://127.0.0.1:8641")
//!     .credentials(Credentials::new("AKIDcmqmockdefault", "cmq-mock-default-secret-key"))
//!     .profile(Profile::Legacy) // `a_b` and a 3601 s delay are refused before sending
//!     .build()?;
//! assert_eq!(legacy.profile(), Profile::Legacy);
//! # Ok(()) }
//! ```
//!
//! The values themselves are generated: [`Profile::facts`], `generated::constraints::<action>::
//! table(profile)`, and every request's `validate_for(profile)`.

#![warn(missing_docs)]

pub mod api3;
#[cfg(feature = "blocking")]
pub mod blocking;
pub mod client;
pub mod constraints;
pub mod credentials;
pub mod endpoint;
pub mod enums;
pub mod error;
#[rustfmt::skip]
pub mod generated;
pub mod handles;
mod json_fast;
pub mod operation;
pub mod pages;
pub mod params;
pub mod region;
pub mod retry;
pub mod sign;
pub mod timeouts;
pub mod transport;

pub use api3::{Api3Operation, Paginated3};
pub use client::{Client, ClientBuilder, HttpMethod, ValidationMode};
pub use credentials::Credentials;
pub use endpoint::Endpoint;
pub use enums::Open;
pub use error::{Api3ServiceError, Error, ErrorCode, ServiceError};
pub use generated::actions::Action;
pub use generated::errors::{ErrorId, ServiceCode};
pub use generated::profiles::Profile;
pub use handles::{
    BatchDeleteFailure, BatchDeleteReport, ManagementApi, Message, Queue, QueueAttributes,
    QueueSettings, QueueSummary, Subscription, SubscriptionAttributes, SubscriptionSpec,
    SubscriptionSummary, SubscriptionUpdate, Topic, TopicAttributes, TopicSettings, TopicSummary,
};
pub use operation::Operation;
pub use sign::SignatureMethod;
