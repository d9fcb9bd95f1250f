//! A faithful, stateful emulator of Tencent Cloud TDMQ for CMQ (HTTP API 2.0).

#![warn(missing_docs)]

pub mod admin;
pub mod auth;
pub mod backend;
pub mod clock;
pub mod engine;
pub mod faults;
#[rustfmt::skip]
pub mod generated;
pub mod journal;
pub mod mock;
pub mod receiver;
pub mod server;
pub mod service;
pub mod wire;
