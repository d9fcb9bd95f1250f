//! The verifier against the reference vector and every refusal.

use super::*;
use cmq_sdk::generated::errors::ErrorId;
use std::time::Duration;

const KEY: &str = "pPgfLipfEXZ7VcRzhAMIyPaU7UbQyFFx";
const ID: &str = "AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT";
const HOST: &str = "cmq-queue-gz.api.tencentyun.com";
const PATH: &str = "/v2/index.php";
const TS: u64 = 1_534_154_812;

fn accounts() -> HashMap<String, String> {
    HashMap::from([(ID.to_owned(), KEY.to_owned())])
}

fn verifier() -> Verifier {
    Verifier::new(Clock::manual(TS * 1000))
}

fn doc_pairs(method: &str) -> Vec<(String, String)> {
    [
        ("queueName", "test1"),
        ("msgBody", "msg"),
        ("Timestamp", "1534154812"),
        ("SignatureMethod", method),
        ("Nonce", "2889712707386595659"),
        ("delaySeconds", "0"),
        ("Action", "SendMessage"),
        ("clientRequestId", "1231231231"),
        ("SecretId", ID),
        ("RequestClient", "SDK_Python_1.3"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn with_sig(mut pairs: Vec<(String, String)>, sig: &str) -> WireParams {
    pairs.push(("Signature".to_owned(), sig.to_owned()));
    WireParams::from_pairs(pairs)
}

/// Signs `pairs` as an SDK would (every parameter, or without `@` values when `skip_at`).
fn signed(http: &str, pairs: Vec<(String, String)>, skip_at: bool) -> WireParams {
    let method = SignatureMethod::from_wire(
        pairs
            .iter()
            .find(|(k, _)| k == "SignatureMethod")
            .map(|(_, v)| v.as_str()),
    );
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !(skip_at && v.starts_with('@')))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sig = sign::sign(KEY, method, &sign::string_to_sign(http, HOST, PATH, &refs));
    with_sig(pairs, &sig)
}

fn set(pairs: &mut [(String, String)], name: &str, value: &str) {
    for (k, v) in pairs.iter_mut() {
        if k == name {
            *v = value.to_owned();
        }
    }
}

fn err(r: Result<String, ServiceError>) -> ErrorId {
    match r {
        Ok(a) => panic!("accepted as {a}"),
        Err(e) => e.error,
    }
}

#[test]
fn reference_vector_post_sha1() {
    let v = verifier();
    let p = with_sig(doc_pairs("HmacSHA1"), "C16WEtEXsD5v5tnaUMLAbZewXhI=");
    assert_eq!(
        v.verify("POST", HOST, PATH, &p, &accounts())
            .ok()
            .as_deref(),
        Some(ID)
    );
}

#[test]
fn reference_vector_get_and_method_mismatch() {
    let v = verifier();
    let get = with_sig(doc_pairs("HmacSHA1"), "fkR3mzm6NfEbQqgF0B+Fd4rFLtM=");
    assert_eq!(
        err(v.verify("POST", HOST, PATH, &get, &accounts())),
        protocol::BAD_SIGNATURE
    );
    assert!(v.verify("GET", HOST, PATH, &get, &accounts()).is_ok());
    let post = with_sig(doc_pairs("HmacSHA1"), "C16WEtEXsD5v5tnaUMLAbZewXhI=");
    assert_eq!(
        err(v.verify("GET", HOST, PATH, &post, &accounts())),
        protocol::BAD_SIGNATURE
    );
}

#[test]
fn reference_vector_sha256_and_unknown_method_is_sha1() {
    let v = verifier();
    let p = with_sig(
        doc_pairs("HmacSHA256"),
        "7aNNVzszJftqWPLvvnHU3lDznBYFPof7ACkTD3OJUu4=",
    );
    assert!(v.verify("POST", HOST, PATH, &p, &accounts()).is_ok());
    // An unknown SignatureMethod value means SHA-1 (over the string that carries the value).
    let p = signed("POST", doc_pairs("HmacSHA512"), false);
    assert!(v.verify("POST", HOST, PATH, &p, &accounts()).is_ok());
    // Missing SignatureMethod means SHA-1.
    let pairs: Vec<_> = doc_pairs("x")
        .into_iter()
        .filter(|(k, _)| k != "SignatureMethod")
        .collect();
    let p = signed("POST", pairs, false);
    assert!(v.verify("POST", HOST, PATH, &p, &accounts()).is_ok());
}

#[test]
fn host_and_path_are_part_of_the_signature() {
    let v = verifier();
    let p = with_sig(doc_pairs("HmacSHA1"), "C16WEtEXsD5v5tnaUMLAbZewXhI=");
    assert_eq!(
        err(v.verify(
            "POST",
            "cmq-queue-gz.api.tencentyun.com:80",
            PATH,
            &p,
            &accounts()
        )),
        protocol::BAD_SIGNATURE
    );
    assert_eq!(
        err(v.verify("POST", HOST, "/", &p, &accounts())),
        protocol::BAD_SIGNATURE
    );
}

#[test]
fn unknown_parameters_are_signed() {
    let v = verifier();
    let mut pairs = doc_pairs("HmacSHA1");
    pairs.push(("UserpollingWaitSeconds".into(), "30".into()));
    let p = signed("POST", pairs.clone(), false);
    assert!(v.verify("POST", HOST, PATH, &p, &accounts()).is_ok());
    // The doc signature, which does not cover the extra parameter, fails.
    let p = with_sig(pairs, "C16WEtEXsD5v5tnaUMLAbZewXhI=");
    assert_eq!(
        err(v.verify("POST", HOST, PATH, &p, &accounts())),
        protocol::BAD_SIGNATURE
    );
}

#[test]
fn at_values_both_rules_on_post_only() {
    let v = verifier();
    let mut pairs = doc_pairs("HmacSHA1");
    set(&mut pairs, "msgBody", "@file");
    // Java/Go/C++ rule: the value is signed.
    set(&mut pairs, "Nonce", "1");
    assert!(
        v.verify(
            "POST",
            HOST,
            PATH,
            &signed("POST", pairs.clone(), false),
            &accounts()
        )
        .is_ok()
    );
    // Python/PHP rule: the value is left out on POST.
    set(&mut pairs, "Nonce", "2");
    assert!(
        v.verify(
            "POST",
            HOST,
            PATH,
            &signed("POST", pairs.clone(), true),
            &accounts()
        )
        .is_ok()
    );
    // On GET only the full rule holds.
    set(&mut pairs, "Nonce", "3");
    assert_eq!(
        err(v.verify(
            "GET",
            HOST,
            PATH,
            &signed("GET", pairs.clone(), true),
            &accounts()
        )),
        protocol::BAD_SIGNATURE
    );
    set(&mut pairs, "Nonce", "4");
    assert!(
        v.verify("GET", HOST, PATH, &signed("GET", pairs, false), &accounts())
            .is_ok()
    );
}

#[test]
fn secret_id_and_signature_required() {
    let v = verifier();
    let no_id: Vec<_> = doc_pairs("HmacSHA1")
        .into_iter()
        .filter(|(k, _)| k != "SecretId")
        .collect();
    assert_eq!(
        err(v.verify(
            "POST",
            HOST,
            PATH,
            &signed("POST", no_id, false),
            &accounts()
        )),
        protocol::MISSING_SECRET_ID
    );
    let mut unknown = doc_pairs("HmacSHA1");
    set(&mut unknown, "SecretId", "AKIDnobody");
    assert_eq!(
        err(v.verify(
            "POST",
            HOST,
            PATH,
            &signed("POST", unknown, false),
            &accounts()
        )),
        protocol::MISSING_SECRET_ID
    );
    let no_sig = WireParams::from_pairs(doc_pairs("HmacSHA1"));
    assert_eq!(
        err(v.verify("POST", HOST, PATH, &no_sig, &accounts())),
        protocol::BAD_SIGNATURE
    );
    let bad = with_sig(doc_pairs("HmacSHA1"), "not base64!");
    assert_eq!(
        err(v.verify("POST", HOST, PATH, &bad, &accounts())),
        protocol::BAD_SIGNATURE
    );
    assert_eq!(protocol::MISSING_SECRET_ID.code(), 4100);
    assert_eq!(protocol::MISSING_SECRET_ID.module(), 10270);
    assert_eq!(protocol::BAD_SIGNATURE.module(), 10030);
}

#[test]
fn timestamp_missing_or_not_a_number() {
    let v = verifier();
    let no_ts: Vec<_> = doc_pairs("HmacSHA1")
        .into_iter()
        .filter(|(k, _)| k != "Timestamp")
        .collect();
    assert_eq!(
        err(v.verify(
            "POST",
            HOST,
            PATH,
            &signed("POST", no_ts, false),
            &accounts()
        )),
        protocol::EXPIRED
    );
    for bad in ["", "abc", "1534154812.0", "-1534154812"] {
        let mut pairs = doc_pairs("HmacSHA1");
        set(&mut pairs, "Timestamp", bad);
        assert_eq!(
            err(v.verify(
                "POST",
                HOST,
                PATH,
                &signed("POST", pairs, false),
                &accounts()
            )),
            protocol::EXPIRED,
            "{bad:?}"
        );
    }
}

#[test]
fn skew_both_ways() {
    let doc = || with_sig(doc_pairs("HmacSHA1"), "C16WEtEXsD5v5tnaUMLAbZewXhI=");
    // The clock 300 s after the Timestamp: accepted; 301 s: expired.
    let v = Verifier::new(Clock::manual((TS + 300) * 1000 + 999));
    assert!(v.verify("POST", HOST, PATH, &doc(), &accounts()).is_ok());
    let v = Verifier::new(Clock::manual((TS + 301) * 1000));
    assert_eq!(
        err(v.verify("POST", HOST, PATH, &doc(), &accounts())),
        protocol::EXPIRED
    );
    // The clock 300 s before the Timestamp: accepted; 301 s: expired.
    let v = Verifier::new(Clock::manual((TS - 300) * 1000));
    assert!(v.verify("POST", HOST, PATH, &doc(), &accounts()).is_ok());
    let v = Verifier::new(Clock::manual((TS - 301) * 1000));
    assert_eq!(
        err(v.verify("POST", HOST, PATH, &doc(), &accounts())),
        protocol::EXPIRED
    );
    // A custom window.
    let v = Verifier::new(Clock::manual((TS + 10) * 1000)).with_skew_secs(5);
    assert_eq!(v.skew_secs(), 5);
    assert_eq!(
        err(v.verify("POST", HOST, PATH, &doc(), &accounts())),
        protocol::EXPIRED
    );
}

#[test]
fn replay_is_refused_but_same_nonce_with_other_timestamp_is_not() {
    let clock = Clock::manual(TS * 1000);
    let v = Verifier::new(clock.clone());
    let doc = with_sig(doc_pairs("HmacSHA1"), "C16WEtEXsD5v5tnaUMLAbZewXhI=");
    assert!(v.verify("POST", HOST, PATH, &doc, &accounts()).is_ok());
    assert_eq!(
        err(v.verify("POST", HOST, PATH, &doc, &accounts())),
        protocol::REPLAYED
    );
    assert_eq!(
        err(v.verify("POST", HOST, PATH, &doc, &accounts())),
        protocol::REPLAYED
    );
    // Same Nonce, another Timestamp (re-signed): a new request.
    let mut pairs = doc_pairs("HmacSHA1");
    set(&mut pairs, "Timestamp", &(TS + 1).to_string());
    let again = signed("POST", pairs, false);
    assert!(v.verify("POST", HOST, PATH, &again, &accounts()).is_ok());
    // Same Nonce and Timestamp, different content (so a different signature): accepted.
    let mut pairs = doc_pairs("HmacSHA1");
    set(&mut pairs, "msgBody", "other");
    assert!(
        v.verify(
            "POST",
            HOST,
            PATH,
            &signed("POST", pairs, false),
            &accounts()
        )
        .is_ok()
    );
    // A refused replay does not count as a fresh request later.
    assert_eq!(v.replay_entries(), 3);
    // Once the first request's Timestamp leaves the window it is refused as expired, and
    // the cache forgets it.
    clock.advance(Duration::from_secs(301));
    assert_eq!(
        err(v.verify("POST", HOST, PATH, &doc, &accounts())),
        protocol::EXPIRED
    );
    let mut pairs = doc_pairs("HmacSHA1");
    set(&mut pairs, "Timestamp", &(TS + 301).to_string());
    // Pruning is lazy (per shard, on its next request), so only a bound can be checked here;
    // `replay_cache_prunes_by_expiry_and_is_bounded` checks the pruning itself.
    assert!(
        v.verify(
            "POST",
            HOST,
            PATH,
            &signed("POST", pairs, false),
            &accounts()
        )
        .is_ok()
    );
    assert!(v.replay_entries() <= 4);
    v.clear_replay_cache();
    assert_eq!(v.replay_entries(), 0);
}

#[test]
fn replay_cache_prunes_by_expiry_and_is_bounded() {
    let c = ReplayCache::new(SHARDS * 2);
    // Every insert below lands in some shard; at most 2 entries per shard survive.
    for i in 0..200u64 {
        assert!(c.insert_fresh("id", &i.to_string(), 100, "sig", 400, 100));
    }
    assert!(c.len() <= SHARDS * 2);
    let c = ReplayCache::new(1000);
    assert!(c.insert_fresh("id", "1", 100, "sig", 400, 100));
    assert!(!c.insert_fresh("id", "1", 100, "sig", 400, 399));
    assert!(!c.insert_fresh("id", "1", 100, "sig", 400, 400));
    // Past its expiry the entry is pruned before the lookup.
    assert!(c.insert_fresh("id", "1", 100, "sig", 400, 401));
    let key = c.key("id", "1", 100, "sig");
    assert_eq!(
        c.shard(key).by_expiry.values().map(Vec::len).sum::<usize>(),
        1
    );
    assert_eq!(c.shard(key).seen.len(), 1);
}

#[test]
fn off_mode_accepts_everything() {
    let v = verifier()
        .with_mode(AuthMode::Off)
        .with_default_account("AKIDdefault");
    assert_eq!(v.mode(), AuthMode::Off);
    let junk =
        WireParams::from_pairs([("SecretId", ID), ("Signature", "junk"), ("Timestamp", "0")]);
    assert_eq!(
        v.verify("PUT", "h", "/", &junk, &accounts())
            .ok()
            .as_deref(),
        Some(ID)
    );
    assert_eq!(
        v.verify("PUT", "h", "/", &junk, &accounts())
            .ok()
            .as_deref(),
        Some(ID)
    );
    let stranger = WireParams::from_pairs([("SecretId", "AKIDstranger")]);
    assert_eq!(
        v.verify("POST", "h", "/", &stranger, &accounts())
            .ok()
            .as_deref(),
        Some("AKIDdefault")
    );
    assert_eq!(
        v.verify("POST", "h", "/", &WireParams::default(), &accounts())
            .ok()
            .as_deref(),
        Some("AKIDdefault")
    );
    v.set_mode(AuthMode::Verify);
    assert_eq!(
        err(v.verify("POST", "h", "/", &junk, &accounts())),
        protocol::BAD_SIGNATURE
    );
}

#[test]
fn secret_id_must_start_with_akid() {
    let v = verifier();
    let mut keyed = accounts();
    keyed.insert("XYZPcYDclDJ".to_owned(), KEY.to_owned());
    for id in ["XYZPcYDclDJ", "akidlower", "AKI"] {
        let mut pairs = doc_pairs("HmacSHA1");
        set(&mut pairs, "SecretId", id);
        let e = match v.verify("POST", HOST, PATH, &signed("POST", pairs, false), &keyed) {
            Ok(a) => panic!("accepted as {a}"),
            Err(e) => e,
        };
        assert_eq!(e.error, ErrorId::SecretIdFormatError, "{id}");
        assert_eq!(
            (e.error.code(), e.error.module()),
            (4000, 10450),
            "{id}: {e}"
        );
        assert_eq!(e.message(), "(10450)secret id dosen't begin with AKID");
    }
    // With authentication off nothing is refused.
    let off = verifier().with_mode(AuthMode::Off);
    let p = WireParams::from_pairs([("SecretId", "XYZ")]);
    assert!(off.verify("POST", HOST, PATH, &p, &keyed).is_ok());
}

#[test]
fn nonce_is_required() {
    let v = verifier();
    let no_nonce: Vec<_> = doc_pairs("HmacSHA1")
        .into_iter()
        .filter(|(k, _)| k != "Nonce")
        .collect();
    let mut empty = doc_pairs("HmacSHA1");
    set(&mut empty, "Nonce", "");
    for pairs in [no_nonce, empty] {
        let e = match v.verify(
            "POST",
            HOST,
            PATH,
            &signed("POST", pairs, false),
            &accounts(),
        ) {
            Ok(a) => panic!("accepted as {a}"),
            Err(e) => e,
        };
        assert_eq!(e.error, ErrorId::LackOfRequiredParameter);
        assert_eq!(e.message(), "(10390)lacked of required parameter Nonce");
        assert_eq!(e.error.code(), 4000);
    }
    // Authentication off does not ask for one.
    let off = verifier().with_mode(AuthMode::Off);
    assert!(
        off.verify("POST", HOST, PATH, &WireParams::default(), &accounts())
            .is_ok()
    );
}
