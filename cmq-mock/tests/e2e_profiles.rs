//! The mock follows its profile (issue 11's "done when", in process; the standalone binary's
//! `--profile` is in `e2e_binary.rs`): `legacy` refuses `a_b` as a queue name and a 3601 s delay,
//! the default `tdmq` accepts both and applies its own limits instead (delay at most the queue's
//! msgRetentionSeconds, 30 s re-create block); `https://` endpoints only with the switch.

mod common;
use common::*;

use std::time::Duration;

use cmq_mock::{Action, CmqMock, Profile, WireParams};
use cmq_sdk::generated::ops::CreateQueueInput;
use cmq_sdk::{Error, ErrorId};

async fn mock_of(profile: Profile) -> CmqMock {
    mock_with(|b| b.profile(profile)).await.0
}

#[tokio::test]
async fn legacy_refuses_underscores_and_long_delays() {
    let mock = mock_of(Profile::Legacy).await;
    assert_eq!(mock.profile(), Profile::Legacy);
    // The SDK client of a legacy mock refuses them before sending …
    let c = mock.client().expect("client");
    assert_eq!(c.profile(), Profile::Legacy);
    assert!(matches!(
        c.queue("a_b").create().await,
        Err(Error::Validation(_))
    ));
    // … and the mock answers them with the service's errors.
    let raw = unvalidated(&mock);
    expect_err(
        raw.queue("a_b").create().await,
        ErrorId::QueueNameFormat,
        "",
    );
    raw.queue("a-b").create().await.expect("legacy name");
    expect_err(
        raw.queue("a-b").send_delayed("x", 3601).await,
        ErrorId::DelaySecondsOutOfRange,
        "",
    );
    raw.queue("a-b").send_delayed("x", 3600).await.expect("1 h");
}

#[tokio::test]
async fn tdmq_accepts_them_with_its_own_limits() {
    let (mock, _) = mock().await;
    assert_eq!(mock.profile(), Profile::Tdmq);
    // API 2.0 management (`mock.client()` manages over API 3.0, whose CreateCmqQueue default
    // MsgRetentionSeconds of 3600 caps the delay: e2e_api3.rs covers that side).
    let c = client(&mock);
    let q = c.queue("a_b");
    q.create().await.expect("`_` is a TDMQ name");
    q.send_delayed("x", 3601).await.expect("a 3601 s delay");
    // TDMQ's server rule: the delay may not exceed the queue's msgRetentionSeconds.
    let short = c.queue("short_lived");
    short
        .create_with(CreateQueueInput::new().msg_retention_seconds(3600))
        .await
        .expect("create");
    short.send_delayed("x", 3600).await.expect("at the limit");
    expect_err(
        short.send_delayed("x", 3601).await,
        ErrorId::DelaySecondsOutOfRange,
        "",
    );
    // The static bound (6048000) is checked by the SDK and by the mock alike.
    let max = 6_048_000;
    assert!(matches!(
        q.send_delayed("x", max + 1).await,
        Err(Error::Validation(_))
    ));
    expect_err(
        unvalidated(&mock)
            .queue("a_b")
            .send_delayed("x", max + 1)
            .await,
        ErrorId::DelaySecondsOutOfRange,
        "",
    );
}

#[tokio::test]
async fn the_recreate_block_and_quotas_follow_the_profile() {
    for profile in Profile::ALL {
        let mock = mock_of(*profile).await;
        let facts = profile.facts();
        let account = mock.secret_id().to_owned();
        let call = |action, pairs: Vec<(&str, String)>| {
            let p = WireParams::from_pairs(pairs);
            let mock = &mock;
            let account = account.clone();
            async move { mock.call(&account, action, &p).await }
        };
        call(Action::CreateTopic, vec![("topicName", "t".into())])
            .await
            .expect("topic");
        call(Action::CreateQueue, vec![("queueName", "q".into())])
            .await
            .expect("queue");
        for i in 0..facts.subscriptions_per_topic {
            let pairs = vec![
                ("topicName", "t".to_owned()),
                ("subscriptionName", format!("s{i}")),
                ("protocol", "queue".into()),
                ("endpoint", "q".into()),
                ("notifyContentFormat", "SIMPLIFIED".into()),
            ];
            call(Action::Subscribe, pairs)
                .await
                .expect("within the quota");
        }
        let one_more = vec![
            ("topicName", "t".to_owned()),
            ("subscriptionName", "over".into()),
            ("protocol", "queue".into()),
            ("endpoint", "q".into()),
        ];
        let e = call(Action::Subscribe, one_more).await.expect_err("quota");
        assert_eq!(e.error, ErrorId::SubscriptionQuotaExceeded, "{profile}");
        // Re-create block, over API 2.0 (its code; API 3.0's is ResourceInUse, e2e_api3.rs).
        let c = client(&mock);
        c.queue("q2").create().await.expect("create");
        c.queue("q2").delete().await.expect("delete");
        mock.clock()
            .advance(facts.recreate_block - Duration::from_millis(1));
        expect_err(c.queue("q2").create().await, ErrorId::QueueReleasing, "");
        mock.clock().advance(Duration::from_millis(1));
        c.queue("q2").create().await.expect("after the block");
    }
}

#[tokio::test]
async fn https_endpoints_only_with_the_switch() {
    for profile in Profile::ALL {
        let (mock, _) = mock_with(|b| b.profile(*profile).manual_clock()).await;
        let t = client(&mock).topic("t");
        t.create().await.expect("topic");
        expect_err(
            t.subscribe_http("s", "https://example.com/hook").await,
            ErrorId::EndpointFormatError,
            "",
        );
        t.subscribe_http("s", "http://example.com/hook")
            .await
            .expect("http");
        let (allowed, _) = mock_with(|b| b.profile(*profile).allow_https_endpoints(true)).await;
        let t = client(&allowed).topic("t");
        t.create().await.expect("topic");
        t.subscribe_http("s", "https://example.com/hook")
            .await
            .expect("https allowed");
    }
}
