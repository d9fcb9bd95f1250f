//! The HTTP front's budgets over real sockets, with the test service behind it: oversized bodies
//! answered (drained, or answered at once and lingered), the connection cap with stalled and
//! idle clients, the header, body and idle timeouts, the parameter cap and duplicate parameters,
//! what hostile bodies cost the journal, and an admin handler that panics.
//!
//! Limits are small and timeouts short so that the tests finish quickly, but nothing here
//! asserts how long anything took: each test waits for an event (an answer, a closed socket),
//! bounded by `common::WAIT` only to fail instead of hanging.

mod common;
use common::server::*;
use common::sock::{self, closed_by_server, connect, read_answer, send};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use cmq_mock::ServerLimits;
use cmq_mock::internal::AdminRoutes;
use cmq_sdk::generated::errors::ErrorId;

fn limits(f: impl FnOnce(&mut ServerLimits)) -> ServerLimits {
    let mut l = ServerLimits::default();
    f(&mut l);
    l
}

/// `f`'s output, failing the test instead of hanging when it never comes.
async fn within<T>(f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(common::WAIT, f).await {
        Ok(v) => v,
        Err(_) => panic!("no answer within {:?}", common::WAIT),
    }
}

const TOO_LARGE: &str = "(10420)cannot parse request, or request size is more than 1MB";

#[tokio::test]
async fn a_16_mib_body_gets_its_cmq_answer_and_the_connection_lives_on() {
    let h = start().await;
    let addr = h.server.local_addr();
    let big = 16 * 1024 * 1024;
    let head = format!(
        "POST {PATH} HTTP/1.1\r\nHost: {}\r\nContent-Length: {big}\r\n\r\n",
        h.host
    );
    let mut s = connect(addr).await;
    // The client sends everything before it reads, as most do (a server that stopped reading
    // would make these writes fail or hang).
    send(&mut s, head.as_bytes()).await;
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..16 {
        send(&mut s, &chunk).await;
    }
    let a = read_answer(&mut s).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        (a.json()["code"].as_i64(), a.json()["message"].as_str()),
        (Some(4000), Some(TOO_LARGE))
    );
    // The body was read to its end, so the connection stays usable.
    let p = h.signed_send("after the big one");
    send(&mut s, &sock::post(&h.host, &form(&p), "")).await;
    let a = read_answer(&mut s).await;
    assert_eq!(a.json()["code"], 0, "{:?}", a.json());
    assert!(
        h.svc
            .seen()
            .iter()
            .any(|x| x.ends_with("after the big one"))
    );
}

#[tokio::test]
async fn a_body_declared_beyond_the_drain_limit_is_answered_then_lingered() {
    let h = start().await;
    let mut s = connect(h.server.local_addr()).await;
    let head = format!(
        "POST {PATH} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
        h.host,
        200u64 << 20
    );
    send(&mut s, head.as_bytes()).await;
    // Part of the body is on its way when the answer comes.
    send(&mut s, &vec![b'a'; 4 << 20]).await;
    let a = read_answer(&mut s).await;
    assert_eq!(a.json()["message"], TOO_LARGE);
    assert_eq!(a.header("connection"), Some("close"));
    // The server reads what keeps coming for a while, then closes.
    let _ = tokio::io::AsyncWriteExt::write_all(&mut s, &vec![b'a'; 1 << 20]).await;
    assert!(closed_by_server(&mut s).await);
    assert!(h.svc.seen().is_empty());
}

#[tokio::test]
async fn stalled_idle_connections_do_not_lock_out_a_request() {
    let h = start_with(|s| s.with_limits(limits(|l| l.max_connections = 8))).await;
    let addr = h.server.local_addr();
    // Far more connections than the cap, none of which ever sends a byte.
    let mut idle = Vec::new();
    for _ in 0..100 {
        idle.push(connect(addr).await);
    }
    // A normal request is served: idle connections make room for it.
    assert_ok(&within(h.send("through")).await);
    // All but (at most) the cap of the idle ones were closed to make room.
    let mut closed = 0;
    for s in idle.iter_mut().take(90) {
        if closed_by_server(s).await {
            closed += 1;
        }
    }
    assert_eq!(closed, 90);
}

#[tokio::test]
async fn slow_headers_are_cut_by_the_header_timeout() {
    let h = start_with(|s| {
        s.with_limits(limits(|l| {
            l.max_connections = 4;
            l.header_timeout = Duration::from_millis(200);
        }))
    })
    .await;
    let addr = h.server.local_addr();
    // Slowloris: every slot is held by a request whose headers never end.
    let mut stalled = Vec::new();
    for _ in 0..6 {
        let mut s = connect(addr).await;
        send(
            &mut s,
            format!("POST {PATH} HTTP/1.1\r\nHost: x\r\n").as_bytes(),
        )
        .await;
        stalled.push(s);
    }
    // Once the header timeout frees the slots, a normal request is served.
    assert_ok(&within(h.send("after slowloris")).await);
    for s in &mut stalled {
        assert!(closed_by_server(s).await);
    }
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let h = start_with(|s| s.with_limits(limits(|l| l.idle_timeout = Duration::from_millis(200))))
        .await;
    let mut s = connect(h.server.local_addr()).await;
    let p = h.signed_send("keep-alive");
    send(&mut s, &sock::post(&h.host, &form(&p), "")).await;
    assert_eq!(read_answer(&mut s).await.json()["code"], 0);
    assert!(closed_by_server(&mut s).await);
}

#[tokio::test]
async fn a_body_that_stops_coming_is_answered_and_closed() {
    let h = start_with(|s| s.with_limits(limits(|l| l.body_timeout = Duration::from_millis(200))))
        .await;
    let mut s = connect(h.server.local_addr()).await;
    let head = format!(
        "POST {PATH} HTTP/1.1\r\nHost: {}\r\nContent-Length: 100\r\n\r\nAction=Send",
        h.host
    );
    send(&mut s, head.as_bytes()).await;
    let a = read_answer(&mut s).await;
    assert_eq!(a.json()["code"], 4000);
    assert_eq!(
        a.json()["message"],
        "(10420)cannot parse request (its body did not arrive within 200ms), or request size is more than 1MB"
    );
    assert_eq!(a.header("connection"), Some("close"));
    assert!(closed_by_server(&mut s).await);
    assert!(h.svc.seen().is_empty());
}

#[tokio::test]
async fn too_many_parameters_are_refused_before_anything_else() {
    let h = start_with(|s| s.with_limits(limits(|l| l.max_params = 20))).await;
    let mut p = h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "x")]);
    for i in 0..20 {
        p.push((format!("junk{i}"), "1".into()));
    }
    let p = h.signed("POST", PATH, p);
    let r = h.post(&p).await;
    assert_eq!(
        (r.code(), r.message()),
        (
            4000,
            "(10000)invalid request parameters: more than 20 parameters in one request"
        )
    );
    assert!(h.svc.seen().is_empty());
    let rec = h.server.journal().records();
    assert!(rec[0].params_omitted && rec[0].params.is_empty() && rec[0].account.is_none());
    // At the cap exactly, the request goes through.
    let mut p = h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "y")]);
    while p.len() < 19 {
        p.push((format!("pad{}", p.len()), "1".into()));
    }
    assert_ok(&h.post(&h.signed("POST", PATH, p)).await);
}

#[tokio::test]
async fn a_parameter_sent_twice_is_refused_by_name() {
    let h = start().await;
    // The `@` trick: a duplicate queueName that one signature rule skips and lookups would use.
    let mut p = h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "x")]);
    p.insert(0, ("queueName".into(), "@other".into()));
    let p = h.signed("POST", PATH, p);
    let r = h.post(&p).await;
    assert_err(&r, ErrorId::NotRepeatable);
    assert_eq!(
        r.message(),
        "(10330)parameter queueName is NOT a repeatable parameter"
    );
    // A name PHP merges with another counts as the same.
    let p = h.params(
        "BatchSendMessage",
        &[("queueName", "q1"), ("msgBody.1", "a"), ("msgBody_1", "b")],
    );
    let r = h.post(&h.signed("POST", PATH, p)).await;
    assert_eq!(
        r.message(),
        "(10330)parameter msgBody_1 is NOT a repeatable parameter"
    );
    assert!(h.svc.seen().is_empty());
}

#[tokio::test]
async fn hostile_bodies_cost_the_journal_a_few_bytes_each() {
    let h = start().await;
    // 1 MiB of `a&a&a&…`: half a million parameters, unsigned.
    let hostile = "a&".repeat(512 * 1024);
    for _ in 0..30 {
        let r = reply(h.post_raw(PATH, hostile.clone(), None).await).await;
        assert_eq!(
            r.message(),
            "(10000)invalid request parameters: more than 256 parameters in one request"
        );
    }
    let j = h.server.journal();
    assert_eq!(j.total_recorded(), 30);
    assert!(j.records().iter().all(|r| r.params_omitted));
    assert!(j.bytes() < 30 * 512, "{} bytes for 30 refusals", j.bytes());
}

/// An admin handler that panics.
struct PanickingAdmin;

impl AdminRoutes for PanickingAdmin {
    fn handle(
        &self,
        _: &str,
        _: &str,
        _: &str,
        _: &[u8],
    ) -> Pin<Box<dyn Future<Output = (u16, Vec<u8>)> + Send + '_>> {
        Box::pin(async { panic!("the admin handler blew up") })
    }
}

#[tokio::test]
async fn an_admin_panic_answers_500_with_json_and_the_server_lives_on() {
    let h = start_with(|s| s.with_admin(Arc::new(PanickingAdmin))).await;
    let r = reply(h.http.get(h.url("/_mock/anything")).send().await).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(
        r.json["error"],
        "admin handler panicked: the admin handler blew up"
    );
    // The data plane is unaffected.
    assert_ok(&h.send("after").await);
}
