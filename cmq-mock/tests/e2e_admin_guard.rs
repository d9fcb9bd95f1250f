//! End to end: a web page cannot drive the admin API. Requests shaped as a browser sends them
//! from another site (a foreign `Origin`, a `text/plain` form post, a DNS-rebound `Host`) are
//! refused and change nothing; `admin(false)` turns the routes off; a token, when set, is
//! required; the in-process API and same-origin JSON calls keep working.

mod common;
use common::sock::{Answer, connect, read_answer, send};
use common::*;

use cmq_mock::CmqMock;
use serde_json::json;

/// One admin request over a raw socket: `method path` with `headers` (a `Host` among them) and
/// an optional body.
async fn admin(mock: &CmqMock, method: &str, path: &str, headers: &[&str], body: &str) -> Answer {
    let mut s = connect(mock.addr()).await;
    let mut req = format!("{method} {path} HTTP/1.1\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    send(&mut s, req.as_bytes()).await;
    read_answer(&mut s).await
}

fn host(mock: &CmqMock) -> String {
    format!("Host: {}", mock.addr())
}

async fn queue_survives(mock: &CmqMock) {
    assert!(mock.queue_snapshot("q").is_some(), "the queue was deleted");
    assert!(!mock.faults().is_armed(), "a fault was armed");
}

#[tokio::test]
async fn a_cross_origin_page_cannot_reset_or_arm_faults() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let h = host(&mock);
    for path in ["/_mock/reset", "/_mock/faults"] {
        let a = admin(
            &mock,
            "POST",
            path,
            &[
                &h,
                "Origin: http://evil.example",
                "Content-Type: application/json",
            ],
            r#"{"latency_ms": 600000}"#,
        )
        .await;
        assert_eq!(a.status, 403, "{path}");
        assert!(
            a.json()["error"]
                .as_str()
                .is_some_and(|e| e.contains("cross-origin"))
        );
    }
    let a = admin(
        &mock,
        "POST",
        "/_mock/reset",
        &[
            &h,
            "Sec-Fetch-Site: cross-site",
            "Content-Type: application/json",
        ],
        "{}",
    )
    .await;
    assert_eq!(a.status, 403);
    queue_survives(&mock).await;
}

#[tokio::test]
async fn a_form_post_without_json_or_the_header_is_refused() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let h = host(&mock);
    // What an HTML form (or a no-preflight fetch) can send: no Origin check can help when the
    // browser leaves it out, the content type does.
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let ct = format!("Content-Type: {ct}");
        let a = admin(&mock, "POST", "/_mock/reset", &[&h, &ct], "{}").await;
        assert_eq!(a.status, 415, "{ct}");
        let a = admin(&mock, "DELETE", "/_mock/faults", &[&h, &ct], "").await;
        assert_eq!(a.status, 415, "{ct}");
    }
    queue_survives(&mock).await;
}

#[tokio::test]
async fn a_dns_rebound_host_can_read_nothing() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let port = mock.addr().port();
    let rebound = format!("Host: evil.example:{port}");
    for path in [
        "/_mock/queues/q",
        "/_mock/journal",
        "/_mock/accounts",
        "/_mock/clock",
    ] {
        let a = admin(&mock, "GET", path, &[&rebound], "").await;
        assert_eq!(a.status, 403, "{path}");
        assert!(
            a.json()["error"]
                .as_str()
                .is_some_and(|e| e.contains("Host"))
        );
    }
    let a = admin(
        &mock,
        "POST",
        "/_mock/reset",
        &[&rebound, "Content-Type: application/json"],
        "{}",
    )
    .await;
    assert_eq!(a.status, 403);
    // The same calls with the mock's own host (and origin) work.
    let own = format!("Origin: http://{}", mock.addr());
    let a = admin(&mock, "GET", "/_mock/queues/q", &[&host(&mock), &own], "").await;
    assert_eq!((a.status, &a.json()["queueName"]), (200, &json!("q")));
    let lh = format!("Host: localhost:{port}");
    assert_eq!(
        admin(&mock, "GET", "/_mock/accounts", &[&lh], "")
            .await
            .status,
        200
    );
    queue_survives(&mock).await;
}

#[tokio::test]
async fn admin_off_turns_every_route_off_but_not_the_service() {
    let (mock, _) = mock_with(|b| b.queue("q").admin(false)).await;
    let h = host(&mock);
    for (m, path) in [
        ("GET", "/_mock/queues"),
        ("POST", "/_mock/reset"),
        ("GET", "/_mock/stats"),
    ] {
        let a = admin(
            &mock,
            m,
            path,
            &[&h, "Content-Type: application/json"],
            "{}",
        )
        .await;
        assert_eq!(a.status, 404, "{m} {path}");
    }
    client(&mock)
        .queue("q")
        .send("still served")
        .await
        .expect("send");
    // The in-process powers stay.
    mock.reset();
    assert!(mock.queue_snapshot("q").is_none());
}

#[tokio::test]
async fn a_token_when_set_is_required_on_every_route() {
    let (mock, _) = mock_with(|b| b.queue("q").admin_token("s3cret")).await;
    let h = host(&mock);
    let a = admin(&mock, "GET", "/_mock/queues", &[&h], "").await;
    assert_eq!(a.status, 401);
    assert_eq!(a.header("www-authenticate"), Some("Bearer"));
    let a = admin(
        &mock,
        "GET",
        "/_mock/queues",
        &[&h, "Authorization: Bearer wrong"],
        "",
    )
    .await;
    assert_eq!(a.status, 401);
    let a = admin(
        &mock,
        "GET",
        "/_mock/queues",
        &[&h, "Authorization: Bearer s3cret"],
        "",
    )
    .await;
    assert_eq!((a.status, a.json()), (200, json!(["q"])));
    let a = admin(
        &mock,
        "POST",
        "/_mock/reset",
        &[&h, "Authorization: Bearer s3cret", "X-CMQ-Mock: 1"],
        "",
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(mock.queue_snapshot("q").is_none());
}
