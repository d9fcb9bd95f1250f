//! Request signatures of both protocols, shared by the SDK (which signs) and `cmq-mock` (which
//! verifies), so that both sides build the signed text with the same code.
//!
//! * [`v1`]: CMQ HTTP API 2.0, `HmacSHA1` / `HmacSHA256` over the sorted form parameters (the
//!   data plane: send, receive, delete, publish). Its items are re-exported here, so
//!   `cmq_sdk::sign::string_to_sign` is the 2.0 one.
//! * [`tc3`]: Tencent Cloud API 3.0, `TC3-HMAC-SHA256` over a canonical request with a JSON
//!   body (the control plane: queues, topics and subscriptions).

pub mod tc3;
pub mod v1;

pub use v1::{
    SIGNATURE_METHOD_PARAM, SIGNATURE_PARAM, SignatureMethod, SigningKey, host_of, sign,
    string_to_sign, verify,
};
