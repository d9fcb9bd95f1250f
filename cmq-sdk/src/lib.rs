//! A typed, validating async SDK for Tencent Cloud **TDMQ for CMQ** (the CMQ HTTP API 2.0).
//!
//! Every action of the API is generated from one declarative spec (`spec/` in the repository):
//! a request type with a fluent builder whose setters document range, default and requirement,
//! validation that lists every violation before anything is sent, wire encoding, and a response
//! type that accepts the alias keys different servers use. The hand-written runtime signs
//! (HmacSHA1 or HmacSHA256), sends over a pooled rustls connection, retries idempotent calls with
//! full-jitter backoff, sizes timeouts for long polls, and maps answers to one error type.
//!
//! ```no_run
//! # async fn demo() -> Result<(), cmq_sdk::Error> {
//! use cmq_sdk::{Client, Credentials};
//! let client = Client::new("http://127.0.0.1:8641", Credentials::new("AKIDexample", "secret"))?;
//! client.create_queue().queue_name("orders").send().await?;
//! client.send_message().queue_name("orders").msg_body("hello").send().await?;
//! let got = client.receive_message().queue_name("orders").polling_wait_seconds(5).send().await?;
//! client.delete_message().queue_name("orders").receipt_handle(got.receipt_handle).send().await?;
//! # Ok(()) }
//! ```
//!
//! The same with the handles of [`handles`] ([`Queue`], [`Topic`], [`Subscription`]), in the
//! spirit of the official SDKs; "no message" is `None`, not an error. With the `blocking` cargo
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

#![warn(missing_docs)]

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
pub mod operation;
pub mod pages;
pub mod params;
pub mod retry;
pub mod sign;
pub mod timeouts;

pub use client::{Client, ClientBuilder, HttpMethod, ValidationMode};
pub use credentials::Credentials;
pub use endpoint::Endpoint;
pub use enums::Open;
pub use error::{Error, ServiceError};
pub use generated::actions::Action;
pub use generated::errors::{ErrorId, ServiceCode};
pub use generated::profiles::Profile;
pub use handles::{
    BatchDeleteFailure, BatchDeleteReport, Message, Queue, Subscription, SubscriptionSpec, Topic,
};
pub use operation::Operation;
pub use sign::SignatureMethod;
