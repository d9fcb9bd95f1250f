//! Every bound that keeps a long-running mock's memory, connections and time in check, in one
//! place: set them on [`CmqMockBuilder::budgets`](crate::CmqMockBuilder::budgets) (or one at a
//! time), in the `"budgets"` object of a [`MockConfig`](crate::MockConfig) file, or with the
//! binary's flags. The defaults suit a mock shared by a team on one machine.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::engine::PushConfig;
use crate::engine::limits::{DEFAULT_MAX_MEMORY, DEFAULT_MAX_MESSAGES};
use crate::journal::{DEFAULT_JOURNAL_BYTES, DEFAULT_JOURNAL_VALUE_BYTES};
use crate::server::ServerLimits;

/// The mock's budgets. In JSON (a config file's `"budgets"`), every field is optional; sizes are
/// numbers of bytes or strings such as `"32MiB"`, timeouts are seconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Budgets {
    /// Parameters per request (256); more answer 4000/10000.
    pub max_params: usize,
    /// Connections served at once (1024); at the cap the longest-idle one is closed, and new
    /// ones wait when none is idle.
    pub max_connections: usize,
    /// From the first byte of a request to the end of its headers (30 s).
    #[serde(rename = "header_timeout_secs", with = "secs")]
    pub header_timeout: Duration,
    /// From the end of the headers to the end of the body (60 s).
    #[serde(rename = "body_timeout_secs", with = "secs")]
    pub body_timeout: Duration,
    /// Between two requests on a keep-alive connection (120 s, above the 90 s pools keep idle
    /// connections).
    #[serde(rename = "idle_timeout_secs", with = "secs")]
    pub idle_timeout: Duration,
    /// Requests the journal keeps (10,000).
    pub journal_records: usize,
    /// Bytes the journal keeps (32 MiB); 0 turns it off.
    #[serde(with = "size")]
    pub journal_bytes: u64,
    /// The longest parameter value the journal keeps whole (4 KiB); longer ones are cut with a
    /// marker.
    #[serde(with = "size")]
    pub journal_value_bytes: u64,
    /// Messages waiting in one `http` subscription's push backlog (10,000); beyond it the oldest
    /// is dropped (logged `dropped`).
    pub push_backlog: usize,
    /// Messages stored in all queues together (10,000,000); beyond it sends answer 4410/10240.
    pub max_messages: u64,
    /// Bytes stored in all queues together, each message counting its body plus 160 B (2 GiB);
    /// beyond it sends answer 4410/10240.
    #[serde(with = "size")]
    pub max_memory: u64,
}

impl Default for Budgets {
    fn default() -> Self {
        let server = ServerLimits::default();
        Self {
            max_params: server.max_params,
            max_connections: server.max_connections,
            header_timeout: server.header_timeout,
            body_timeout: server.body_timeout,
            idle_timeout: server.idle_timeout,
            journal_records: crate::journal::DEFAULT_CAPACITY,
            journal_bytes: DEFAULT_JOURNAL_BYTES as u64,
            journal_value_bytes: DEFAULT_JOURNAL_VALUE_BYTES as u64,
            push_backlog: PushConfig::default().max_backlog,
            max_messages: DEFAULT_MAX_MESSAGES,
            max_memory: DEFAULT_MAX_MEMORY,
        }
    }
}

impl Budgets {
    /// The server's share.
    pub(crate) fn server_limits(&self) -> ServerLimits {
        ServerLimits {
            max_params: self.max_params,
            max_connections: self.max_connections,
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
            idle_timeout: self.idle_timeout,
        }
    }
}

fn usize_of(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl Budgets {
    /// The journal these budgets allow.
    pub(crate) fn journal(&self) -> crate::journal::Journal {
        crate::journal::Journal::with_budget(
            self.journal_records,
            usize_of(self.journal_bytes),
            usize_of(self.journal_value_bytes),
        )
    }
}

/// Parses a size: a number of bytes, optionally followed by `K`/`KiB` (1024), `M`/`MiB`,
/// `G`/`GiB`, or `KB`/`MB`/`GB` (powers of 1000); case and spaces do not matter.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (e.g. 1048576, 64KiB, 32MiB, 2GiB)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => return Err(format!("unknown size unit {other:?} in {text:?}")),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// Parses a duration: seconds, or a number followed by `ms`, `s` or `m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 30, 30s, 500ms, 2m)"))?;
    match unit.trim() {
        "" | "s" => Ok(Duration::from_secs(n)),
        "ms" => Ok(Duration::from_millis(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        other => Err(format!("unknown duration unit {other:?} in {text:?}")),
    }
}

mod secs {
    use super::*;

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}

mod size {
    use super::*;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Bytes(u64),
        Text(String),
    }

    pub(super) fn serialize<S: Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(*n)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        match Size::deserialize(d)? {
            Size::Bytes(n) => Ok(n),
            Size::Text(t) => parse_size(&t).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size(" 32 mib "), Ok(32 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("5MB"), Ok(5_000_000));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("1TiB").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("1h").is_err());
    }

    #[test]
    fn json_with_defaults_sizes_and_seconds() {
        let b: Budgets = serde_json::from_str(
            r#"{"max_params": 10, "journal_bytes": "1MiB", "max_memory": 4096, "idle_timeout_secs": 95.5}"#,
        )
        .unwrap_or_default();
        assert_eq!(b.max_params, 10);
        assert_eq!(b.journal_bytes, 1 << 20);
        assert_eq!(b.max_memory, 4096);
        assert_eq!(b.idle_timeout, Duration::from_millis(95_500));
        assert_eq!(b.max_connections, Budgets::default().max_connections);
        assert!(serde_json::from_str::<Budgets>(r#"{"max_parms": 1}"#).is_err());
        assert!(serde_json::from_str::<Budgets>(r#"{"journal_bytes": "big"}"#).is_err());
        let text = serde_json::to_string(&Budgets::default()).unwrap_or_default();
        assert_eq!(
            serde_json::from_str::<Budgets>(&text).ok(),
            Some(Budgets::default())
        );
        assert!(Budgets::default().idle_timeout > Duration::from_secs(90));
    }
}
