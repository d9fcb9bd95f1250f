//! The journal's budgets, redaction, truncation and refusals.

use super::*;

fn params(n: u64) -> WireParams {
    WireParams::from_pairs([
        ("Action", "SendMessage"),
        ("Signature", "sig"),
        ("msgBody", &format!("m{n}")),
    ])
}

fn rec(j: &Journal, n: u64) {
    j.record_request(
        n,
        Some("AKIDa".into()),
        params(n),
        Some(0),
        format!("r-{n}"),
    );
}

#[test]
fn bounded_oldest_forgotten() {
    let j = Journal::with_capacity(3);
    for n in 0..5 {
        rec(&j, n);
    }
    let times: Vec<u64> = j.records().iter().map(|r| r.time_ms).collect();
    assert_eq!(times, vec![2, 3, 4]);
    assert_eq!(j.total_recorded(), 5);
    assert_eq!(j.records_of("sendmessage").len(), 3);
    assert_eq!(j.records_of("ReceiveMessage").len(), 0);
    let page: Vec<u64> = j.page(1, 5).iter().map(|r| r.time_ms).collect();
    assert_eq!(page, vec![3, 4]);
    j.clear();
    assert!(j.is_empty());
    assert_eq!(j.bytes(), 0);
}

#[test]
fn byte_budget_bounds_what_is_kept() {
    let j = Journal::with_budget(1_000_000, 4096, 4096);
    for n in 0..1000 {
        rec(&j, n);
        assert!(j.bytes() <= 4096, "{} bytes after {n}", j.bytes());
    }
    let kept = j.len();
    assert!(kept > 5 && kept < 100, "{kept} records in 4 KiB");
    // The newest survive.
    assert_eq!(j.records().last().map(|r| r.time_ms), Some(999));
    assert_eq!(j.total_recorded(), 1000);
}

#[test]
fn long_values_are_cut_with_a_marker() {
    let j = Journal::with_budget(10, 1 << 20, 8);
    let body = "é".repeat(100);
    let p = WireParams::from_pairs([
        ("Action", "SendMessage"),
        ("msgBody", body.as_str()),
        ("queueName", "q"),
    ]);
    j.record_request(1, None, p, Some(0), "r".into());
    let r = &j.records()[0];
    assert_eq!(r.param("msgBody"), Some("éééé…[truncated: 200 bytes]"));
    assert_eq!(r.param("queueName"), Some("q"));
    assert!(j.bytes() < 512, "{}", j.bytes());
}

#[test]
fn refusals_keep_no_parameters() {
    let j = Journal::new();
    let long_action = "X".repeat(1000);
    j.record_refusal(7, Some(&long_action), 4000, "r-1".into());
    j.record_refusal(8, None, 4100, "r-2".into());
    let r = j.records();
    assert_eq!(r[0].action.as_deref().map(str::len), Some(64));
    assert!(r[0].params.is_empty() && r[0].params_omitted);
    assert_eq!((r[0].code, r[0].account.as_deref()), (Some(4000), None));
    assert_eq!(r[1].action, None);
    assert!(j.bytes() < 2 * 512, "{}", j.bytes());
    assert_eq!(j.records_of(&"x".repeat(64)).len(), 1);
}

#[test]
fn redaction_and_serde() {
    let j = Journal::new();
    rec(&j, 1);
    let r = j.records().remove(0);
    assert_eq!(r.param("Signature"), Some(REDACTED));
    assert_eq!(r.param("msgBody"), Some("m1"));
    let p = redacted([("Token", "t"), ("SecretKey", "k"), ("SecretId", "AKID")]);
    assert_eq!(
        p,
        vec![
            ("Token".into(), "***".into()),
            ("SecretKey".into(), "***".into()),
            ("SecretId".into(), "AKID".into())
        ]
    );
    let text = serde_json::to_string(&r).unwrap_or_default();
    assert_eq!(
        text,
        r#"{"time_ms":1,"account":"AKIDa","action":"SendMessage","params":[["Action","SendMessage"],["Signature","***"],["msgBody","m1"]],"code":0,"request_id":"r-1"}"#
    );
    assert_eq!(
        serde_json::from_str::<JournalRecord>(&text).ok(),
        Some(r.clone())
    );
    // A record given as a view is kept as such.
    j.clear();
    j.record(r.clone());
    assert_eq!(j.records(), vec![r]);
}

#[test]
fn disabled_records_nothing() {
    let j = Journal::disabled();
    rec(&j, 1);
    assert!(j.is_empty());
    j.set_enabled(true);
    rec(&j, 2);
    assert_eq!(j.len(), 1);
    for none in [Journal::with_capacity(0), Journal::with_budget(10, 0, 10)] {
        none.set_enabled(true);
        assert!(!none.is_enabled());
        rec(&none, 3);
        assert!(none.is_empty());
    }
    assert!(format!("{j:?}").contains("byte_budget"));
}

#[test]
fn a_large_journal_is_sharded_and_read_in_order() {
    let j = std::sync::Arc::new(Journal::new());
    assert_eq!(j.shards.len(), SHARDS);
    // Four threads record into (usually) different shards; readers see arrival order.
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let j = j.clone();
            std::thread::spawn(move || {
                for n in 0..500 {
                    rec(&j, t * 1000 + n);
                }
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().is_ok());
    }
    assert_eq!(j.len(), 2000);
    let ids: Vec<String> = j.records().into_iter().map(|r| r.request_id).collect();
    assert_eq!(ids.len(), 2000);
    // Each thread's records keep their order.
    for t in 0..4u64 {
        let mine: Vec<&String> = ids
            .iter()
            .filter(|id| id[2..].parse::<u64>().is_ok_and(|n| n / 1000 == t))
            .collect();
        let want: Vec<String> = (0..500).map(|n| format!("r-{}", t * 1000 + n)).collect();
        assert_eq!(mine, want.iter().collect::<Vec<_>>());
    }
    assert_eq!(j.page(1990, 50).len(), 10);
    j.clear();
    assert!(j.is_empty());
    // Small journals keep exactly their last records.
    assert_eq!(Journal::with_capacity(100).shards.len(), 1);
}

#[test]
fn filtered_reads_select_by_action_code_and_queue() {
    let j = Journal::new();
    let req = |t: u64, action: &str, queue: &str, code: i64| {
        j.record_request(
            t,
            Some("AKIDa".into()),
            WireParams::from_pairs([("Action", action), ("queueName", queue)]),
            Some(code),
            format!("r-{t}"),
        );
    };
    req(1, "SendMessage", "orders", 0);
    req(2, "ReceiveMessage", "orders", 7000);
    req(3, "SendMessage", "Other", 0);
    req(4, "SendMessage", "ORDERS", 4440);
    j.record_refusal(5, Some("SendMessage"), 4100, "r-5".into());
    let times = |f: &JournalFilter, offset, limit, newest| {
        let (page, total) = j.select(f, offset, limit, newest);
        (page.iter().map(|r| r.time_ms).collect::<Vec<_>>(), total)
    };
    let all = JournalFilter::default();
    assert_eq!(times(&all, 0, 10, false), (vec![1, 2, 3, 4, 5], 5));
    assert_eq!(times(&all, 1, 2, true), (vec![4, 3], 5));
    let send = JournalFilter {
        action: Some("sendmessage".into()),
        ..JournalFilter::default()
    };
    assert_eq!(times(&send, 0, 10, true), (vec![5, 4, 3, 1], 4));
    let orders = JournalFilter {
        queue: Some("orders".into()),
        ..JournalFilter::default()
    };
    assert_eq!(times(&orders, 0, 10, false), (vec![1, 2, 4], 3));
    let failed_orders = JournalFilter {
        code: Some(4440),
        ..orders
    };
    assert_eq!(times(&failed_orders, 0, 10, false), (vec![4], 1));
}
