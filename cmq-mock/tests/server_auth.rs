//! The HTTP front's authentication driven over real sockets with a test service behind it:
//! signatures (methods, the `@` rule, paths, GET), SecretIds, actions, the Timestamp window,
//! replays and auth off.

mod common;
use common::server::*;

use std::time::Duration;

use cmq_mock::AuthMode;
use cmq_mock::Clock;
use cmq_mock::internal::Verifier;
use cmq_sdk::generated::errors::ErrorId;

#[tokio::test]
async fn unknown_parameter_is_ignored_but_signed() {
    let h = start().await;
    let r = h
        .call(
            "SendMessage",
            &[
                ("queueName", "q1"),
                ("msgBody", "m"),
                ("UserpollingWaitSeconds", "30"),
            ],
        )
        .await;
    assert_ok(&r);
    // Signed without it, sent with it: the signature fails.
    let mut p = h.signed_send("m");
    p.push(("UserpollingWaitSeconds".into(), "30".into()));
    let r = h.post(&p).await;
    assert_err(&r, ErrorId::AuthenticationFailed);
    assert_eq!(r.message(), "(10030)authentication failed");
}

#[tokio::test]
async fn sha256_and_the_at_rule() {
    let h = start().await;
    let mut p = h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "sha")]);
    p.push(("SignatureMethod".into(), "HmacSHA256".into()));
    let r = h.post(&h.signed("POST", PATH, p)).await;
    assert_ok(&r);
    // Python/PHP sign POST without `@` values.
    let mut p = h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "@at")]);
    let without: Pairs = p
        .iter()
        .filter(|(_, v)| !v.starts_with('@'))
        .cloned()
        .collect();
    let sig = signature_of("POST", &h.host, PATH, &without);
    p.push(("Signature".into(), sig));
    assert_ok(&h.post(&p).await);
    // Java & co. sign them.
    assert_ok(
        &h.call("SendMessage", &[("queueName", "q1"), ("msgBody", "@at")])
            .await,
    );
}

#[tokio::test]
async fn wrong_signature_and_unknown_secret_id() {
    let h = start().await;
    let mut p = h.signed_send("m");
    if let Some(last) = p.last_mut() {
        last.1 = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
    }
    let r = h.post(&p).await;
    assert_eq!(
        (r.code(), r.message()),
        (4100, "(10030)authentication failed")
    );

    let mut p = h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "m")]);
    p[1].1 = "AKIDnobody".into();
    let r = h.post(&h.signed("POST", PATH, p)).await;
    assert_eq!(
        (r.code(), r.message()),
        (4100, "(10270)secret id is not existed")
    );

    let p: Pairs = h
        .params("SendMessage", &[("queueName", "q1"), ("msgBody", "m")])
        .into_iter()
        .filter(|(k, _)| k != "SecretId")
        .collect();
    let r = h.post(&h.signed("POST", PATH, p)).await;
    assert_err(&r, ErrorId::SecretIdNotExist);
    assert!(h.svc.seen().is_empty());
}

#[tokio::test]
async fn unknown_missing_and_case_insensitive_actions() {
    let h = start().await;
    let r = h.call("NoSuchAction", &[]).await;
    assert_eq!(
        (r.status, r.code(), r.message()),
        (200, 4000, "(10430)action name NoSuchAction is not existed")
    );
    let p: Pairs = h
        .params("x", &[("queueName", "q1")])
        .into_iter()
        .filter(|(k, _)| k != "Action")
        .collect();
    let r = h.post(&h.signed("POST", PATH, p)).await;
    assert_err(&r, ErrorId::ActionNotExist);
    // Unknown actions are refused before authentication.
    let r = h.post(&pairs(&[("Action", "Nope")])).await;
    assert_err(&r, ErrorId::ActionNotExist);

    let r = h
        .call(
            "ClearSUbscriptionFIlterTags",
            &[("topicName", "t1"), ("subscriptionName", "s1")],
        )
        .await;
    assert_ok(&r);
    let r = h
        .call("sendmessage", &[("queueName", "q1"), ("msgBody", "lower")])
        .await;
    assert_ok(&r);
    assert_eq!(
        h.svc.seen(),
        vec!["clear:s1".to_owned(), format!("send:{ID}:q1:lower")]
    );
}

#[tokio::test]
async fn expired_timestamp_both_ways() {
    let h = start().await;
    let p = h.signed_send("m");
    h.clock.advance(Duration::from_secs(301));
    let r = h.post(&p).await;
    assert_eq!(
        (r.code(), r.message()),
        (4100, "(10030)authentication failed")
    );
    // A Timestamp 301 s in the future.
    let mut p = h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "m")]);
    p[2].1 = (h.clock.now_secs() + 301).to_string();
    assert_err(
        &h.post(&h.signed("POST", PATH, p)).await,
        ErrorId::AuthenticationFailed,
    );
    // 300 s in the future is still fine.
    let mut p = h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "m")]);
    p[2].1 = (h.clock.now_secs() + 300).to_string();
    assert_ok(&h.post(&h.signed("POST", PATH, p)).await);
}

#[tokio::test]
async fn replay_is_refused_but_a_reused_nonce_is_not() {
    let h = start().await;
    let p = h.signed_send("once");
    assert_ok(&h.post(&p).await);
    let r = h.post(&p).await;
    assert_eq!(
        (r.code(), r.message()),
        (4100, "(10030)authentication failed")
    );
    // The same Nonce one second later (re-signed) is a new request.
    h.clock.advance(Duration::from_secs(1));
    let mut again: Pairs = p.into_iter().filter(|(k, _)| k != "Signature").collect();
    again[2].1 = h.clock.now_secs().to_string();
    assert_ok(&h.post(&h.signed("POST", PATH, again)).await);
    assert_eq!(h.svc.seen().len(), 2);
}

#[tokio::test]
async fn auth_off_accepts_unsigned_requests() {
    let clock_for_verifier = Clock::manual(0);
    let h = start_with(|s| {
        s.with_verifier(
            Verifier::new(clock_for_verifier)
                .with_mode(AuthMode::Off)
                .with_default_account("AKIDdefault"),
        )
    })
    .await;
    let r = h
        .post(&pairs(&[
            ("Action", "SendMessage"),
            ("queueName", "q1"),
            ("msgBody", "a"),
        ]))
        .await;
    assert_ok(&r);
    let r = h
        .post(&pairs(&[
            ("Action", "SendMessage"),
            ("SecretId", ID),
            ("queueName", "q1"),
            ("msgBody", "b"),
        ]))
        .await;
    assert_ok(&r);
    assert_eq!(
        h.svc.seen(),
        vec![
            "send:AKIDdefault:q1:a".to_owned(),
            format!("send:{ID}:q1:b")
        ]
    );
    // Switched on at run time.
    h.server.verifier().set_mode(AuthMode::Verify);
    let r = h
        .post(&pairs(&[
            ("Action", "SendMessage"),
            ("SecretId", ID),
            ("queueName", "q1"),
            ("msgBody", "c"),
        ]))
        .await;
    assert_err(&r, ErrorId::AuthenticationFailed);
}

#[tokio::test]
async fn get_reads_the_query_string() {
    let h = start().await;
    let p = h.signed(
        "GET",
        PATH,
        h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "by get")]),
    );
    let r = reply(
        h.http
            .get(format!("{}?{}", h.url(PATH), form(&p)))
            .send()
            .await,
    )
    .await;
    assert_ok(&r);
    assert_eq!(h.svc.seen(), vec![format!("send:{ID}:q1:by get")]);
    // A POST signature does not verify a GET.
    let p = h.signed_send("x");
    let r = reply(
        h.http
            .get(format!("{}?{}", h.url(PATH), form(&p)))
            .send()
            .await,
    )
    .await;
    assert_err(&r, ErrorId::AuthenticationFailed);
}

#[tokio::test]
async fn other_paths_are_cmq_endpoints_signed_with_their_path() {
    let h = start().await;
    for path in ["/", "/custom/endpoint"] {
        let p = h.signed(
            "POST",
            path,
            h.params("SendMessage", &[("queueName", "q1"), ("msgBody", path)]),
        );
        let r = reply(h.post_raw(path, form(&p), None).await).await;
        assert_ok(&r);
    }
    // Signed for /v2/index.php, sent to /.
    let p = h.signed_send("m");
    let r = reply(h.post_raw("/", form(&p), None).await).await;
    assert_err(&r, ErrorId::AuthenticationFailed);
}
