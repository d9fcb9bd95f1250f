//! No URL, signature, token or key in errors or logs. In GET mode the request URL carries
//! `Signature` and `Token`, and `reqwest::Error` keeps the URL it failed on; the SDK strips it.
//!
//! This binary holds one test on purpose: it installs a thread-scoped tracing subscriber, and
//! tracing's per-callsite interest cache can miss a scoped subscriber when other threads of the
//! same process hit the callsites first.

mod scripted;

use std::sync::{Arc, Mutex};

use cmq_sdk::generated::ops::GetQueueAttributesInput;
use cmq_sdk::{Credentials, Error, HttpMethod};
use scripted::{Reply, SECRET_ID, SECRET_KEY, Server, builder};

/// Collects what a `tracing_subscriber::fmt` subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

const TOKEN: &str = "sts-token-must-not-leak-7f3a";

#[tokio::test]
async fn get_mode_errors_and_logs_carry_no_url_signature_or_token() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = Server::start(vec![Reply::ResetAfterRead]).await;
    let c = builder(&server)
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY).with_token(TOKEN))
        .http_method(HttpMethod::Get)
        .build()
        .unwrap();
    let err = c
        .execute(GetQueueAttributesInput::new().queue_name("q"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "3 attempts, each read by the server");

    let mut secrets: Vec<String> = vec![TOKEN.into(), SECRET_KEY.into()];
    for r in &requests {
        assert_eq!(r.method, "GET");
        assert!(r.target.contains("Signature="), "{}", r.target);
        let sig = r.get("Signature").unwrap().to_owned();
        let encoded: String = form_urlencoded::byte_serialize(sig.as_bytes()).collect();
        secrets.extend([sig, encoded]);
    }
    let logged = logs.text();
    assert!(
        logged.contains("retrying") && logged.contains("GetQueueAttributes"),
        "the subscriber captured the SDK's events: {logged}"
    );
    for (what, text) in [
        ("Display", format!("{err}")),
        ("Debug", format!("{err:?}")),
        ("alternate Debug", format!("{err:#?}")),
        ("source chain", source_chain(&err)),
        ("logs", logged),
    ] {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{what} leaks {s:?}: {text}");
        }
        for marker in ["Signature=", "Token=", "?Action=", "/v2/index.php?"] {
            assert!(
                !text.contains(marker),
                "{what} shows the URL ({marker}): {text}"
            );
        }
    }
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut out = String::new();
    let mut cur = e.source();
    while let Some(c) = cur {
        out.push_str(&format!("{c} / {c:?}\n"));
        cur = c.source();
    }
    out
}
