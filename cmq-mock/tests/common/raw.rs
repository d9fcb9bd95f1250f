//! Raw signed HTTP against a mock: for what the SDK would refuse to send or send differently.

use std::sync::atomic::{AtomicU64, Ordering};

use cmq_mock::CmqMock;
use cmq_sdk::sign::{SignatureMethod, sign, string_to_sign};
use serde_json::Value;

use super::wall_secs;

/// Request parameters, in order.
pub type Pairs = Vec<(String, String)>;

static NONCE: AtomicU64 = AtomicU64::new(1);

/// The form encoding of `p`.
pub fn form(p: &Pairs) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(p.iter())
        .finish()
}

/// Raw signed HTTP against a mock.
pub struct Raw {
    /// The `Host` requests are signed for.
    pub host: String,
    http: reqwest::Client,
    id: String,
    key: String,
}

impl Raw {
    /// Signs as the mock's first account.
    pub fn new(mock: &CmqMock) -> Self {
        Self::as_account(mock, mock.secret_id(), mock.secret_key())
    }

    /// Signs as `id` with `key`.
    pub fn as_account(mock: &CmqMock, id: &str, key: &str) -> Self {
        Raw {
            http: reqwest::Client::new(),
            host: mock.addr().to_string(),
            id: id.to_owned(),
            key: key.to_owned(),
        }
    }

    /// Common parameters (Timestamp = now, a fresh Nonce) and `extra`, unsigned.
    pub fn params(&self, action: &str, extra: &[(&str, &str)]) -> Pairs {
        self.params_at(action, extra, wall_secs())
    }

    /// Like [`Raw::params`], with Timestamp `ts`.
    pub fn params_at(&self, action: &str, extra: &[(&str, &str)], ts: u64) -> Pairs {
        let nonce = NONCE.fetch_add(1, Ordering::Relaxed).to_string();
        let mut p: Pairs = vec![
            ("Action".into(), action.into()),
            ("SecretId".into(), self.id.clone()),
            ("Timestamp".into(), ts.to_string()),
            ("Nonce".into(), nonce),
            ("SignatureMethod".into(), "HmacSHA256".into()),
        ];
        p.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        p
    }

    /// The HmacSHA256 signature of `p` for `method` and `path`.
    pub fn signature(&self, method: &str, path: &str, p: &Pairs) -> String {
        let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        sign(
            &self.key,
            SignatureMethod::HmacSha256,
            &string_to_sign(method, &self.host, path, &refs),
        )
    }

    /// `p` with its HmacSHA256 signature appended.
    pub fn signed(&self, method: &str, path: &str, mut p: Pairs) -> Pairs {
        let sig = self.signature(method, path, &p);
        p.push(("Signature".into(), sig));
        p
    }

    /// The status and the JSON body of an answer.
    pub async fn answer(r: reqwest::Response) -> (u16, Value) {
        let status = r.status().as_u16();
        let bytes = r.bytes().await.expect("body");
        let v = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
        (status, v)
    }

    /// POSTs `body` to `path` with an optional content type.
    pub async fn post_body(&self, path: &str, body: String, ct: Option<&str>) -> (u16, Value) {
        let mut rb = self
            .http
            .post(format!("http://{}{}", self.host, path))
            .body(body);
        if let Some(ct) = ct {
            rb = rb.header("content-type", ct);
        }
        Self::answer(rb.send().await.expect("POST")).await
    }

    /// POSTs `p` as a form to `/v2/index.php`.
    pub async fn post(&self, p: &Pairs) -> (u16, Value) {
        self.post_body(
            "/v2/index.php",
            form(p),
            Some("application/x-www-form-urlencoded"),
        )
        .await
    }

    /// GETs `path` with `p` in the query string.
    pub async fn get(&self, path: &str, p: &Pairs) -> (u16, Value) {
        let url = format!("http://{}{}?{}", self.host, path, form(p));
        Self::answer(self.http.get(url).send().await.expect("GET")).await
    }

    /// A signed POST to `/v2/index.php`; the answer's JSON (the status must be 200).
    pub async fn call(&self, action: &str, extra: &[(&str, &str)]) -> Value {
        let p = self.signed("POST", "/v2/index.php", self.params(action, extra));
        let (status, v) = self.post(&p).await;
        assert_eq!(status, 200, "{v}");
        v
    }
}

/// `p` with parameter `name` set to `value` (each occurrence replaced).
pub fn with_param(p: Pairs, name: &str, value: &str) -> Pairs {
    p.into_iter()
        .map(|(k, v)| {
            if k == name {
                (k, value.to_owned())
            } else {
                (k, v)
            }
        })
        .collect()
}

/// `p` without parameter `name`.
pub fn without_param(p: Pairs, name: &str) -> Pairs {
    p.into_iter().filter(|(k, _)| k != name).collect()
}
