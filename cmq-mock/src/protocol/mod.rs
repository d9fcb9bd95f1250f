//! The wire protocols the mock speaks, each an adapter over the one [`crate::engine`]: it parses
//! and checks requests, calls the engine, and encodes the engine's results and errors as that
//! protocol's answers: [`v2`], CMQ's HTTP API 2.0 (the data plane and the legacy control plane),
//! and [`v3`], Tencent Cloud API 3.0 (TDMQ for CMQ's control plane).

pub mod v2;
pub mod v3;
