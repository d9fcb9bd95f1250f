//! The HTTP front driven over real sockets with a test service behind it: transport rules (POST
//! and GET bodies, lists, sizes, methods), error envelopes, panics, faults, the journal, admin
//! routes, in-process calls and shutdown. Authentication is in `server_auth.rs`.

mod common;
use common::server::*;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cmq_mock::internal::Server;
use cmq_mock::{Clock, Journal};
use cmq_sdk::generated::actions::Action;
use cmq_sdk::generated::errors::ErrorId;
use serde_json::Value;

#[tokio::test]
async fn post_without_content_type_and_envelope() {
    let h = start().await;
    let p = h.signed(
        "POST",
        PATH,
        h.params(
            "SendMessage",
            &[
                ("queueName", "q1"),
                ("msgBody", "hello"),
                ("clientRequestId", "777"),
            ],
        ),
    );
    let r = reply(h.post_raw(PATH, form(&p), None).await).await;
    assert_ok(&r);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(r.json["msgId"], "msg-0");
    assert_eq!(r.json["clientRequestId"], "777");
    assert!(!r.request_id().is_empty());
    assert_eq!(h.svc.seen(), vec![format!("send:{ID}:q1:hello")]);
}

#[tokio::test]
async fn post_with_java_content_type() {
    let h = start().await;
    let p = h.signed_send("java");
    let r = reply(h.post_raw(PATH, form(&p), Some("*/*;charset=utf-8")).await).await;
    assert_ok(&r);
    assert_eq!(h.svc.seen(), vec![format!("send:{ID}:q1:java")]);
}

#[tokio::test]
async fn post_ignores_the_query_string() {
    let h = start().await;
    let p = h.signed(
        "POST",
        PATH,
        h.params(
            "SendMessage",
            &[("queueName", "q1"), ("msgBody", "from body")],
        ),
    );
    let url = format!("{}?msgBody=from+query&Action=DeleteQueue", h.url(PATH));
    let r = reply(h.http.post(url).body(form(&p)).send().await).await;
    assert_ok(&r);
    assert_eq!(h.svc.seen(), vec![format!("send:{ID}:q1:from body")]);
}

#[tokio::test]
async fn plus_and_percent_20_are_spaces() {
    let h = start().await;
    for encoded in ["a+b+c", "a%20b%20c", "a+b%20c"] {
        let p = h.signed_send("a b c");
        let body = form(&p).replace("msgBody=a+b+c", &format!("msgBody={encoded}"));
        assert!(body.contains(&format!("msgBody={encoded}")));
        let r = reply(h.post_raw(PATH, body, None).await).await;
        assert_ok(&r);
    }
    assert_eq!(h.svc.seen(), vec![format!("send:{ID}:q1:a b c"); 3]);
}

#[tokio::test]
async fn zero_and_one_based_lists_reach_the_service() {
    let h = start().await;
    let r = h
        .call(
            "BatchSendMessage",
            &[("queueName", "q1"), ("msgBody.0", "a"), ("msgBody.1", "b")],
        )
        .await;
    assert_ok(&r);
    assert_eq!(r.json["msgList"][1]["msgId"], "b1");
    let r = h
        .call(
            "BatchSendMessage",
            &[("queueName", "q1"), ("msgBody.1", "c"), ("msgBody.2", "d")],
        )
        .await;
    assert_ok(&r);
    assert_eq!(
        h.svc.seen(),
        vec!["batch:a|b".to_owned(), "batch:c|d".to_owned()]
    );
    // A list with a gap is refused by the dispatcher before the service.
    let r = h
        .call(
            "BatchSendMessage",
            &[("queueName", "q1"), ("msgBody.1", "e"), ("msgBody.3", "f")],
        )
        .await;
    assert_err(&r, ErrorId::ParameterNotConsequent);
    assert_eq!(h.svc.seen().len(), 2);
}

#[tokio::test]
async fn body_over_one_mib_is_refused_with_http_200() {
    let h = start().await;
    let big = "x".repeat(cmq_sdk::generated::MAX_REQUEST_BYTES);
    let p = h.signed_send(&big);
    let r = reply(h.post_raw(PATH, form(&p), None).await).await;
    assert_eq!(
        (r.status, r.code(), r.message()),
        (
            200,
            4000,
            "(10420)cannot parse request, or request size is more than 1MB"
        )
    );
    assert!(h.svc.seen().is_empty());
    // The client (and its kept-alive connection) still works.
    assert_ok(&h.send("after").await);
    // A chunked body (no Content-Length) over the limit is refused too.
    let mut req = format!(
        "POST {PATH} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        h.host
    )
    .into_bytes();
    for byte in [b'a', b'b'] {
        req.extend_from_slice(format!("{:x}\r\n", 700_000).as_bytes());
        req.extend(std::iter::repeat_n(byte, 700_000));
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let (status, json) = raw_http(h.server.local_addr(), req).await;
    assert_eq!((status, json["code"].as_i64()), (200, Some(4000)));
    assert_eq!(
        json["message"],
        "(10420)cannot parse request, or request size is more than 1MB"
    );
}

#[tokio::test]
async fn raw_post_without_content_type_or_keep_alive() {
    let h = start().await;
    let p = h.signed(
        "POST",
        PATH,
        h.params(
            "SendMessage",
            &[("queueName", "q1"), ("msgBody", "raw one")],
        ),
    );
    let body = form(&p);
    let req = format!(
        "POST {PATH} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        h.host,
        body.len()
    );
    let (status, json) = raw_http(h.server.local_addr(), req.into_bytes()).await;
    assert_eq!((status, json["code"].as_i64()), (200, Some(0)), "{json}");
    assert_eq!(h.svc.seen(), vec![format!("send:{ID}:q1:raw one")]);
}

#[tokio::test]
async fn other_methods_are_refused() {
    let h = start().await;
    let r = reply(
        h.http
            .put(h.url(PATH))
            .body("Action=SendMessage")
            .send()
            .await,
    )
    .await;
    assert_eq!(
        (r.status, r.code(), r.message()),
        (
            200,
            4000,
            "(10410)unexpected http PUT only GET or POST is supported"
        )
    );
    let r = reply(h.http.delete(h.url("/")).send().await).await;
    assert_err(&r, ErrorId::UnexpectedHttpMethod);
}

#[tokio::test]
async fn panic_in_the_service_answers_6000_and_the_server_lives_on() {
    let h = start().await;
    let r = h
        .call(
            "SendMessage",
            &[
                ("queueName", "panic"),
                ("msgBody", "m"),
                ("clientRequestId", "9"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.code(), r.message()),
        (200, 6000, "(10050)server internal error")
    );
    assert_eq!(r.json["clientRequestId"], "9");
    assert_ok(&h.send("next").await);
}

#[tokio::test]
async fn service_errors_are_envelopes() {
    let h = start().await;
    let r = h.call("DeleteQueue", &[("queueName", "q1")]).await;
    assert_err(&r, ErrorId::QueueNotExist);
    let r = h.call("SendMessage", &[("msgBody", "no queue")]).await;
    assert_eq!(r.message(), "(10390)lacked of required parameter queueName");
}

#[tokio::test]
async fn request_ids_are_unique() {
    let h = start().await;
    let mut ids = std::collections::HashSet::new();
    for i in 0..20 {
        let r = h.send(&i.to_string()).await;
        assert!(ids.insert(r.request_id().to_owned()));
    }
    let r = h.call("Nope", &[]).await;
    assert!(ids.insert(r.request_id().to_owned()));
}

#[tokio::test]
async fn fault_error_n_times_then_normal() {
    let h = start().await;
    h.server
        .faults()
        .fail_next(Some(Action::SendMessage), 2, ErrorId::QueueFull);
    // Other actions are not affected.
    assert_ok(&h.call("ListQueue", &[]).await);
    for _ in 0..2 {
        let r = h.send("m").await;
        assert_err(&r, ErrorId::QueueFull);
    }
    assert_ok(&h.send("m").await);
    assert_eq!(h.svc.seen().len(), 1);
    // A raw code and message, for any action.
    h.server
        .faults()
        .fail_next_raw(None, 1, 4420, "(10250)qps throttling");
    let r = h.call("ListQueue", &[]).await;
    assert_eq!((r.code(), r.message()), (4420, "(10250)qps throttling"));
    assert_ok(&h.call("ListQueue", &[]).await);
}

#[tokio::test]
async fn fault_dropped_connection_is_a_client_error() {
    let h = start().await;
    h.server.faults().drop_next(Some(Action::SendMessage), 1);
    let p = h.signed_send("m");
    let res = h.post_raw(PATH, form(&p), None).await;
    match res {
        Ok(r) => panic!("expected a connection error, got HTTP {}", r.status()),
        Err(e) => assert!(!e.is_status(), "{e}"),
    }
    assert!(h.svc.seen().is_empty());
    assert_ok(&h.send("after").await);
    let rec = h.server.journal().records();
    assert_eq!(rec.first().map(|r| r.code), Some(None));
}

/// Latency holds a request back in real time, whatever the manual clock does; proven by order of
/// events, not by timing: a request held for an hour is overtaken by a later one, and is not
/// released by moving the manual clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_latency_is_real_time() {
    let h = start().await;
    h.server
        .faults()
        .delay(None, Duration::from_secs(3600), Some(1));
    let p = h.signed_send("held");
    let (http, url) = (h.http.clone(), h.url(PATH));
    let held = tokio::spawn(async move { http.post(url).body(form(&p)).send().await.is_ok() });
    // The held request has used up the rule: it is in its latency now.
    let guard = Instant::now();
    while h.server.faults().is_armed() {
        assert!(
            guard.elapsed() < Duration::from_secs(30),
            "never reached the faults"
        );
        tokio::task::yield_now().await;
    }
    h.clock.advance(Duration::from_secs(7200));
    assert_ok(&h.send("later").await);
    let seen = h.svc.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].ends_with(":later"),
        "the held request reached the service: {seen:?}"
    );
    assert!(!held.is_finished());
    held.abort();
}

#[tokio::test]
async fn journal_records_requests() {
    let h = start().await;
    let sent = h.send("journaled").await;
    let refused = h
        .post(&h.params(
            "SendMessage",
            &[("queueName", "q1"), ("msgBody", "unsigned")],
        ))
        .await;
    assert_err(&refused, ErrorId::AuthenticationFailed);
    let unknown = h.call("nope", &[]).await;
    let rec = h.server.journal().records();
    assert_eq!(rec.len(), 3);
    assert_eq!(rec[0].account.as_deref(), Some(ID));
    assert_eq!(rec[0].action.as_deref(), Some("SendMessage"));
    assert_eq!(rec[0].code, Some(0));
    assert_eq!(rec[0].request_id, sent.request_id());
    assert_eq!(rec[0].time_ms, T0_SECS * 1000);
    assert_eq!(rec[0].param("msgBody"), Some("journaled"));
    assert_eq!(rec[0].param("Signature"), Some(cmq_mock::REDACTED));
    assert_eq!(rec[1].account, None);
    assert_eq!(rec[1].code, Some(4100));
    assert_eq!(rec[2].action.as_deref(), Some("nope"));
    assert_eq!(rec[2].code, Some(4000));
    assert_eq!(rec[2].request_id, unknown.request_id());
    h.server.journal().clear();
    assert!(h.server.journal().is_empty());
    h.server.journal().set_enabled(false);
    assert_ok(&h.send("quiet").await);
    assert!(h.server.journal().is_empty());
}

#[tokio::test]
async fn shared_journal_and_bounded_capacity() {
    let journal = Arc::new(Journal::with_capacity(2));
    let h = start_with(|s| s.with_journal(journal.clone())).await;
    for i in 0..3 {
        assert_ok(&h.send(&i.to_string()).await);
    }
    let bodies: Vec<_> = journal
        .records()
        .iter()
        .map(|r| r.param("msgBody").unwrap_or("").to_owned())
        .collect();
    assert_eq!(bodies, vec!["1", "2"]);
}

#[tokio::test]
async fn admin_routes() {
    let h = start().await;
    let r = reply(h.http.get(h.url("/_mock/state")).send().await).await;
    assert_eq!(r.status, 404);
    let h = start_with(|s| s.with_admin(Arc::new(EchoAdmin))).await;
    let r = reply(
        h.http
            .post(h.url("/_mock/faults?x=1"))
            .header("content-type", "application/json")
            .body(r#"{"a":1}"#)
            .send()
            .await,
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(
        r.json,
        serde_json::json!({"method": "POST", "path": "/_mock/faults", "query": "x=1", "body": "{\"a\":1}"})
    );
}

#[tokio::test]
async fn in_process_call_matches_http() {
    let clock = Clock::manual(T0_SECS * 1000);
    let svc = Arc::new(TestSvc::default());
    let server = Server::new(svc.clone(), accounts(), clock.clone());
    let mut p = pairs(&[
        ("Action", "SendMessage"),
        ("SecretId", ID),
        ("Timestamp", &T0_SECS.to_string()),
        ("Nonce", "1"),
        ("queueName", "q1"),
        ("msgBody", "inproc"),
    ]);
    let sig = signature_of("POST", "mock.local", PATH, &p);
    p.push(("Signature".into(), sig));
    let answer = server
        .call("POST", "mock.local", PATH, "", form(&p).as_bytes())
        .await
        .unwrap_or_default();
    let json: Value = serde_json::from_slice(&answer).unwrap_or_default();
    assert_eq!(json["code"], 0);
    assert_eq!(json["msgId"], "msg-0");
    let answer = server
        .call("PATCH", "mock.local", PATH, "", b"")
        .await
        .unwrap_or_default();
    let json: Value = serde_json::from_slice(&answer).unwrap_or_default();
    assert_eq!(json["code"], 4000);
}

#[tokio::test]
async fn shutdown_then_connect_fails() {
    let h = start().await;
    assert_ok(&h.send("before").await);
    let addr = h.server.local_addr();
    h.server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let h = start().await;
    h.server
        .faults()
        .delay(None, Duration::from_millis(200), Some(1));
    let p = h.signed(
        "POST",
        PATH,
        h.params(
            "SendMessage",
            &[("queueName", "q1"), ("msgBody", "in flight")],
        ),
    );
    let body = form(&p);
    let http = h.http.clone();
    let url = h.url(PATH);
    let in_flight =
        tokio::spawn(async move { reply(http.post(url).body(body).send().await).await });
    // Wait until the request is being handled (the latency rule has been used up).
    while h.server.faults().is_armed() {
        tokio::task::yield_now().await;
    }
    h.server.shutdown().await;
    match in_flight.await {
        Ok(r) => assert_ok(&r),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_does_not_block_and_stops_the_server() {
    let h = start().await;
    assert_ok(&h.send("before").await);
    let addr = h.server.local_addr();
    // A request stuck in the server (latency) while the handle is dropped.
    h.server
        .faults()
        .delay(None, Duration::from_secs(3600), Some(1));
    let http = h.http.clone();
    let p = h.signed_send("stuck");
    let url = h.url(PATH);
    let stuck = tokio::spawn(async move { http.post(url).body(form(&p)).send().await.is_ok() });
    // Held for an hour: a drop that waited for it would never return within the guard.
    let guard = Instant::now();
    while h.server.faults().is_armed() {
        assert!(
            guard.elapsed() < Duration::from_secs(30),
            "never reached the faults"
        );
        tokio::task::yield_now().await;
    }
    let Harness { server, .. } = h;
    tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || drop(server)),
    )
    .await
    .expect("dropping the server blocked")
    .expect("drop panicked");
    // The listener closes soon after, without anyone waiting on the handle.
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(closed.is_ok(), "the port still accepts connections");
    stuck.abort();
}
