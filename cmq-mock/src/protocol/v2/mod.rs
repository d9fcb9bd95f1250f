//! CMQ HTTP API 2.0: form-encoded `Action=…` requests, HMAC-signed, JSON answers.
//!
//! * [`wire`]: the parameters of a request, as received.
//! * [`auth`]: the signature, the Timestamp window, replays.
//! * [`service`]: the request context and the error answer (the generated dispatcher's types).
//! * [`backend`]: the generated `CmqService` on the engine, translating requests into engine
//!   calls and results into answers.

pub mod auth;
pub mod backend;
pub mod service;
pub mod wire;
