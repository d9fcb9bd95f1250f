//! The wire protocols the mock speaks, each an adapter over the one [`crate::engine`]: it parses
//! and checks requests, calls the engine, and encodes the engine's results and errors as that
//! protocol's answers. Today: [`v2`], CMQ's HTTP API 2.0.

pub mod v2;
