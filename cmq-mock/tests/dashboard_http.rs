//! The dashboard's HTTP side without a browser: the page and its files (content types, the
//! Content-Security-Policy, nosniff, caching), who may load them (admin off, token, other
//! sites), and the admin routes it reads and drives (queues in detail, topics, send, publish,
//! purge, journal filters, deliveries), including that another site cannot use them.

mod common;
use common::sock::{Answer, connect, read_answer, send};
use common::*;

use cmq_mock::CmqMock;
use serde_json::{Value, json};

/// One request over a raw socket: `method path` with the mock's own `Host` and `headers`.
async fn req(mock: &CmqMock, method: &str, path: &str, headers: &[&str], body: &str) -> Answer {
    let mut s = connect(mock.addr()).await;
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", mock.addr());
    for h in headers {
        r.push_str(h);
        r.push_str("\r\n");
    }
    r.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    send(&mut s, r.as_bytes()).await;
    read_answer(&mut s).await
}

async fn get(mock: &CmqMock, path: &str) -> Answer {
    req(mock, "GET", path, &[], "").await
}

/// A same-origin JSON POST, as the page sends it.
async fn post(mock: &CmqMock, path: &str, body: Value) -> Answer {
    let origin = format!("Origin: http://{}", mock.addr());
    let b = body.to_string();
    req(
        mock,
        "POST",
        path,
        &[&origin, "Content-Type: application/json"],
        &b,
    )
    .await
}

fn text(a: &Answer) -> String {
    String::from_utf8_lossy(&a.body).into_owned()
}

#[tokio::test]
async fn the_page_and_its_files_have_exact_types_and_strict_headers() {
    let (mock, _) = mock().await;
    let url = mock.dashboard_url().expect("the admin API is on");
    assert_eq!(url, format!("http://{}/_mock/ui/", mock.addr()));
    for (path, ctype, needle) in [
        (
            "/_mock/ui/",
            "text/html; charset=utf-8",
            "<title>cmq-mock dashboard",
        ),
        (
            "/_mock/ui",
            "text/html; charset=utf-8",
            "<title>cmq-mock dashboard",
        ),
        (
            "/_mock/ui/dashboard.js",
            "text/javascript; charset=utf-8",
            "\"use strict\"",
        ),
        (
            "/_mock/ui/dashboard.css",
            "text/css; charset=utf-8",
            ":root",
        ),
    ] {
        let a = get(&mock, path).await;
        assert_eq!(a.status, 200, "{path}");
        assert_eq!(a.header("content-type"), Some(ctype), "{path}");
        assert!(text(&a).contains(needle), "{path}");
        let csp = a.header("content-security-policy").expect("a CSP");
        for part in [
            "default-src 'none'",
            "script-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
        assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(a.header("x-frame-options"), Some("DENY"));
        assert_eq!(a.header("cache-control"), Some("no-cache"));
        assert!(a.header("etag").is_some_and(|e| e.starts_with('"')));
    }
    let a = get(&mock, "/_mock/ui/nothing.js").await;
    assert_eq!(a.status, 404);
    assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn an_unchanged_file_is_not_sent_again() {
    let (mock, _) = mock().await;
    let first = get(&mock, "/_mock/ui/dashboard.js").await;
    let tag = first.header("etag").expect("an ETag").to_owned();
    let again = req(
        &mock,
        "GET",
        "/_mock/ui/dashboard.js",
        &[&format!("If-None-Match: {tag}")],
        "",
    )
    .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let other = req(
        &mock,
        "GET",
        "/_mock/ui/dashboard.js",
        &["If-None-Match: \"0000000000000000\""],
        "",
    )
    .await;
    assert_eq!(other.status, 200);
    let head = req(&mock, "HEAD", "/_mock/ui/", &[], "").await;
    assert_eq!(head.status, 200);
    let put = req(&mock, "POST", "/_mock/ui/", &["X-CMQ-Mock: 1"], "{}").await;
    assert_eq!(put.status, 405);
    assert_eq!(put.header("allow"), Some("GET, HEAD"));
}

#[tokio::test]
async fn with_the_admin_api_off_the_dashboard_is_off() {
    let (mock, _) = mock_with(|b| b.admin(false)).await;
    assert_eq!(mock.dashboard_url(), None);
    for path in ["/_mock/ui/", "/_mock/ui", "/_mock/ui/dashboard.js"] {
        assert_eq!(get(&mock, path).await.status, 404, "{path}");
    }
}

#[tokio::test]
async fn with_a_token_the_page_loads_but_its_data_needs_the_token() {
    let (mock, _) = mock_with(|b| b.queue("q").admin_token("s3cret")).await;
    // A browser opening the page cannot send a header; the page asks for the token.
    let page = get(&mock, "/_mock/ui/").await;
    assert_eq!(page.status, 200);
    assert!(text(&page).contains("id=\"token-form\""));
    // Every call the page makes for data is an admin request, checked in full.
    assert_eq!(get(&mock, "/_mock/queues?detail=1").await.status, 401);
    let with = req(
        &mock,
        "GET",
        "/_mock/queues?detail=1",
        &["Authorization: Bearer s3cret"],
        "",
    )
    .await;
    assert_eq!(with.status, 200);
    let send = post(&mock, "/_mock/queues/q/messages", json!({"body": "x"})).await;
    assert_eq!(send.status, 401);
    assert_eq!(mock.queue_snapshot("q").expect("q").active.len(), 0);
}

#[tokio::test]
async fn another_site_can_neither_load_the_page_nor_use_its_routes() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let evil = [
        "Origin: http://evil.example",
        "Content-Type: application/json",
    ];
    for (method, path, body) in [
        ("GET", "/_mock/ui/", ""),
        ("GET", "/_mock/queues?detail=1", ""),
        ("GET", "/_mock/topics", ""),
        ("POST", "/_mock/queues/q/messages", r#"{"body":"x"}"#),
        ("POST", "/_mock/queues/q/purge", "{}"),
        ("POST", "/_mock/clock", r#"{"advance_ms":1000}"#),
    ] {
        let a = req(&mock, method, path, &evil, body).await;
        assert_eq!(a.status, 403, "{method} {path}");
    }
    let a = req(
        &mock,
        "GET",
        "/_mock/ui/dashboard.js",
        &["Sec-Fetch-Site: cross-site"],
        "",
    )
    .await;
    assert_eq!(a.status, 403);
    // DNS rebinding: the page under another host name.
    let mut s = connect(mock.addr()).await;
    send(
        &mut s,
        b"GET /_mock/ui/ HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    assert_eq!(read_answer(&mut s).await.status, 403);
    // A form post (text/plain, no header) cannot send a message either.
    let form = req(
        &mock,
        "POST",
        "/_mock/queues/q/messages",
        &["Content-Type: text/plain"],
        r#"{"body":"x"}"#,
    )
    .await;
    assert_eq!(form.status, 415);
    assert_eq!(mock.queue_snapshot("q").expect("q").active.len(), 0);
}

#[tokio::test]
async fn send_and_purge_go_through_the_admin_api() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let a = post(&mock, "/_mock/queues/q/messages", json!({"body": "hello"})).await;
    assert_eq!(a.status, 200, "{}", text(&a));
    assert_eq!(a.json()["code"], 0);
    let a = post(
        &mock,
        "/_mock/queues/q/messages",
        json!({"body": "later", "delaySeconds": 60}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", text(&a));
    let snap = mock.queue_snapshot("q").expect("q");
    assert_eq!((snap.active.len(), snap.delayed.len()), (1, 1));
    assert_eq!(snap.active[0].body, "hello");
    // Validated like a request: an empty body is SendMessage's own error.
    let a = post(&mock, "/_mock/queues/q/messages", json!({"body": ""})).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["code"], 4000);
    let a = post(&mock, "/_mock/queues/none/messages", json!({"body": "x"})).await;
    assert_eq!((a.status, a.json()["code"].clone()), (400, json!(4440)));
    let a = post(&mock, "/_mock/queues/q/messages", json!({"bdy": "x"})).await;
    assert_eq!(a.status, 400, "unknown fields are refused");
    let a = post(
        &mock,
        "/_mock/queues/q/messages",
        json!({"body": "x", "account": "AKIDnobody"}),
    )
    .await;
    assert_eq!(a.status, 404);
    // The admin API's writes are not CMQ requests: the journal does not show them.
    assert!(mock.journal().records().is_empty());

    let a = post(&mock, "/_mock/queues/q/purge", json!({})).await;
    assert_eq!(a.json(), json!({"purged": 2}));
    let snap = mock.queue_snapshot("q").expect("q");
    assert_eq!(snap.active.len() + snap.delayed.len(), 0);
    let a = req(
        &mock,
        "POST",
        "/_mock/queues/none/purge",
        &["X-CMQ-Mock: 1"],
        "",
    )
    .await;
    assert_eq!(a.status, 404);
}

#[tokio::test]
async fn queues_in_detail_show_counters_bindings_and_traffic() {
    let (mock, _) = mock_with(|b| {
        b.queue("dlq").queue_with(json!({
            "queueName": "src",
            "deadLetterPolicy": "{\"deadLetterQueue\":\"dlq\",\"policy\":0,\"maxReceiveCount\":3}"
        }))
    })
    .await;
    let c = client(&mock);
    c.queue("src").send("a").await.expect("send");
    c.queue("src").send("b").await.expect("send");
    let m = c.queue("src").receive(Some(0)).await.expect("receive");
    let m = m.expect("a message");
    c.queue("src")
        .delete_message(&m.receipt_handle)
        .await
        .expect("delete");
    let v = get(&mock, "/_mock/queues?detail=1").await.json();
    assert_eq!(v["total"], 2);
    let by_name = |n: &str| {
        v["queues"]
            .as_array()
            .and_then(|qs| qs.iter().find(|q| q["queueName"] == n))
            .cloned()
            .expect(n)
    };
    let src = by_name("src");
    assert_eq!(src["counters"]["activeMsgNum"], 1);
    assert_eq!(src["deadLetterPolicy"]["deadLetterQueue"], "dlq");
    assert_eq!(src["deadLetterPolicy"]["maxReceiveCount"], 3);
    assert_eq!(
        src["traffic"],
        json!({"sent": 2, "received": 1, "deleted": 1})
    );
    assert_eq!(by_name("dlq")["deadLetterSources"], json!(["src"]));
    // One queue alone says the same.
    let one = get(&mock, "/_mock/queues/dlq?limit=0").await.json();
    assert_eq!(one["deadLetterSources"], json!(["src"]));
    assert_eq!(one["traffic"]["sent"], 0);
    // Without detail the listing is the names, as before.
    let names = get(&mock, "/_mock/queues").await.json();
    assert_eq!(names.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn topics_show_subscriptions_and_publish_goes_through_the_dispatcher() {
    let (mock, _) = mock_with(|b| {
        b.queue("q")
            .topic_with(json!({"topicName": "t", "filterType": 1}))
            .subscription_with(json!({
                "topicName": "t", "subscriptionName": "s", "protocol": "queue",
                "endpoint": "q", "filterTag": ["red"]
            }))
            .topic_with(json!({"topicName": "r", "filterType": 2}))
    })
    .await;
    let v = get(&mock, "/_mock/topics").await.json();
    assert_eq!(v["total"], 2);
    let t = &v["topics"][0];
    assert_eq!(
        (t["topicName"].clone(), t["filterType"].clone()),
        (json!("t"), json!("tag"))
    );
    let s = &t["subscriptions"][0];
    assert_eq!(s["subscriptionName"], "s");
    assert_eq!(s["protocol"], "queue");
    assert_eq!(s["filterTags"], json!(["red"]));
    assert_eq!(v["topics"][1]["filterType"], "routingKey");

    let a = post(
        &mock,
        "/_mock/topics/t/messages",
        json!({"body": "hi", "tags": ["red"]}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", text(&a));
    assert_eq!(mock.queue_snapshot("q").expect("q").active[0].body, "hi");
    // A routing-key topic without a routing key: PublishMessage's own error.
    let a = post(&mock, "/_mock/topics/r/messages", json!({"body": "x"})).await;
    assert_eq!(a.status, 400);
    let d = get(&mock, "/_mock/deliveries?order=newest&limit=1")
        .await
        .json();
    assert_eq!(d[0]["outcome"], "enqueued");
    assert!(d[0].get("nextAttemptMs").is_some());
}

#[tokio::test]
async fn the_journal_filters_by_action_code_and_queue_newest_first() {
    let (mock, _) = mock_with(|b| b.queue("a").queue("b")).await;
    let c = client(&mock);
    c.queue("a").send("1").await.expect("send");
    c.queue("b").send("2").await.expect("send");
    let _ = c.queue("a").receive(Some(0)).await.expect("receive");
    let _ = c.queue("nope").send("x").await;
    let actions = |v: Value| -> Vec<String> {
        v.as_array()
            .map(|l| {
                l.iter()
                    .map(|r| r["action"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let all = get(&mock, "/_mock/journal?order=newest").await.json();
    assert_eq!(
        actions(all),
        [
            "SendMessage",
            "ReceiveMessage",
            "SendMessage",
            "SendMessage"
        ]
    );
    let sends = get(&mock, "/_mock/journal?action=SendMessage&code=0")
        .await
        .json();
    assert_eq!(sends.as_array().map(Vec::len), Some(2));
    let on_a = get(&mock, "/_mock/journal?queue=a&order=newest")
        .await
        .json();
    assert_eq!(actions(on_a), ["ReceiveMessage", "SendMessage"]);
    let failed = get(&mock, "/_mock/journal?code=4440").await.json();
    assert_eq!(
        failed[0]["params"]
            .as_array()
            .map(|p| p.iter().any(|kv| kv[0] == "Signature" && kv[1] == "***")),
        Some(true)
    );
    assert_eq!(
        get(&mock, "/_mock/journal?order=sideways").await.status,
        400
    );
    assert_eq!(get(&mock, "/_mock/journal?code=x").await.status, 400);
}
