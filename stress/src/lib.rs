//! The fuzz harness and the soak test of `cmq-mock`, run by `cargo xtask fuzz` and
//! `cargo xtask soak` (or directly: `cargo run --release -p cmq-stress --bin cmq-fuzz -- …`).
//! Never published.

#![warn(missing_docs)]

pub mod fuzz;
pub mod soak;
