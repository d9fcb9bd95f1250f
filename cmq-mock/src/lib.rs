//! A faithful, stateful emulator of Tencent Cloud TDMQ for CMQ (HTTP API 2.0).

#![warn(missing_docs)]

pub mod clock;
#[rustfmt::skip]
pub mod generated;
pub mod service;
pub mod wire;
