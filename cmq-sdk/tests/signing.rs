//! The request signature (reference §4).
//!
//! `Client::signed_params` is checked with a fixed nonce and timestamp against values computed
//! independently with Python's `hmac`/`hashlib` for the exact parameter set this client sends
//! (it does not send the vector's `clientRequestId=1231231231`), and `sign::string_to_sign` /
//! `sign::sign` against the reference's own vector.
//!
//! The expected values were produced by:
//!
//! ```text
//! import hmac, hashlib, base64
//! key = b"pPgfLipfEXZ7VcRzhAMIyPaU7UbQyFFx"
//! p = {...}  # the parameters
//! s = "&".join(f"{k.replace('_', '.')}={p[k]}" for k in sorted(p))
//! s = f"{method}cmq-queue-gz.api.tencentyun.com/v2/index.php?{s}"
//! base64.b64encode(hmac.new(key, s.encode(), hashlib.sha1).digest())   # or sha256
//! ```

use cmq_sdk::generated::ops::{BatchSendMessageInput, SendMessageInput};
use cmq_sdk::sign::{self, SignatureMethod};
use cmq_sdk::{Client, Credentials, HttpMethod};

const SECRET_ID: &str = "AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT";
const SECRET_KEY: &str = "pPgfLipfEXZ7VcRzhAMIyPaU7UbQyFFx";
const ENDPOINT: &str = "http://cmq-queue-gz.api.tencentyun.com";
const NONCE: u64 = 2_889_712_707_386_595_659;
const TIMESTAMP: u64 = 1_534_154_812;

fn client(method: HttpMethod, sig: SignatureMethod) -> Client {
    Client::builder()
        .endpoint(ENDPOINT)
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
        .request_client("SDK_Python_1.3")
        .http_method(method)
        .signature_method(sig)
        .build()
        .unwrap()
}

fn vector_input() -> SendMessageInput {
    SendMessageInput::new()
        .queue_name("test1")
        .msg_body("msg")
        .delay_seconds(0)
}

/// The string to sign for the parameters this client sends, per method and signature method.
fn expected_sts(method: &str, sig: &str) -> String {
    format!(
        "{method}cmq-queue-gz.api.tencentyun.com/v2/index.php?Action=SendMessage&Nonce=2889712707386595659&RequestClient=SDK_Python_1.3&SecretId=AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT&SignatureMethod={sig}&Timestamp=1534154812&delaySeconds=0&msgBody=msg&queueName=test1"
    )
}

fn check(method: HttpMethod, sig: SignatureMethod, want_signature: &str) {
    let c = client(method, sig);
    let (params, sts) = c.signed_params(&vector_input(), TIMESTAMP, NONCE);
    assert_eq!(sts, expected_sts(method.as_str(), sig.as_str()));
    assert_eq!(params.get("Signature"), Some(want_signature));
    // Every parameter the client sends, and nothing else (no clientRequestId).
    let mut names: Vec<&str> = params.pairs().map(|(n, _)| n).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "Action",
            "Nonce",
            "RequestClient",
            "SecretId",
            "Signature",
            "SignatureMethod",
            "Timestamp",
            "delaySeconds",
            "msgBody",
            "queueName",
        ]
    );
    assert_eq!(params.get("Action"), Some("SendMessage"));
    assert_eq!(params.get("Nonce"), Some("2889712707386595659"));
    assert_eq!(params.get("Timestamp"), Some("1534154812"));
    assert_eq!(params.get("SecretId"), Some(SECRET_ID));
    assert_eq!(params.get("SignatureMethod"), Some(sig.as_str()));
    assert_eq!(params.get("RequestClient"), Some("SDK_Python_1.3"));
    assert!(sign::verify(SECRET_KEY, sig, &sts, want_signature));
}

#[test]
fn post_hmac_sha1() {
    check(
        HttpMethod::Post,
        SignatureMethod::HmacSha1,
        "9/7lIgKFFx/M5jR1u/qPQSPUW4E=",
    );
}

#[test]
fn get_hmac_sha1() {
    check(
        HttpMethod::Get,
        SignatureMethod::HmacSha1,
        "36Wj3E8JmH/hkInzmpkzZXbZhfM=",
    );
}

#[test]
fn post_hmac_sha256() {
    check(
        HttpMethod::Post,
        SignatureMethod::HmacSha256,
        "kc5E6ZrzTtI3EmxZ6+nwMTGfwoLB99Ks9lki9cOR76k=",
    );
}

#[test]
fn get_hmac_sha256() {
    check(
        HttpMethod::Get,
        SignatureMethod::HmacSha256,
        "DyGnCT8/6dUecnVs13C837oa31WQ3TJGJL4lFonMHak=",
    );
}

#[test]
fn token_region_and_raw_unicode_values_are_signed() {
    let c = Client::builder()
        .endpoint(ENDPOINT)
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY).with_token("sts-token"))
        .request_client("SDK_Python_1.3")
        .region("gz")
        .signature_method(SignatureMethod::HmacSha256)
        .build()
        .unwrap();
    let input = SendMessageInput::new()
        .queue_name("test1")
        .msg_body("héllo & =wörld");
    let (params, sts) = c.signed_params(&input, TIMESTAMP, NONCE);
    assert_eq!(
        sts,
        "POSTcmq-queue-gz.api.tencentyun.com/v2/index.php?Action=SendMessage&Nonce=2889712707386595659&Region=gz&RequestClient=SDK_Python_1.3&SecretId=AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT&SignatureMethod=HmacSHA256&Timestamp=1534154812&Token=sts-token&msgBody=héllo & =wörld&queueName=test1"
    );
    assert_eq!(
        params.get("Signature"),
        Some("rb2XQ5e5bNs/UuKvTknhV0s5gXCfbdXgZImmrc0/Koo=")
    );
    assert_eq!(params.get("Token"), Some("sts-token"));
    assert_eq!(params.get("Region"), Some("gz"));
}

#[test]
fn list_items_sort_as_strings() {
    let c = client(HttpMethod::Get, SignatureMethod::HmacSha1);
    let bodies: Vec<String> = (1..=10).map(|i| format!("m{i}")).collect();
    let input = BatchSendMessageInput::new()
        .queue_name("test1")
        .msg_body(bodies);
    let (params, sts) = c.signed_params(&input, TIMESTAMP, NONCE);
    // `msgBody.10` sorts before `msgBody.2` (byte order, §4 step 2).
    assert_eq!(
        sts,
        "GETcmq-queue-gz.api.tencentyun.com/v2/index.php?Action=BatchSendMessage&Nonce=2889712707386595659&RequestClient=SDK_Python_1.3&SecretId=AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT&SignatureMethod=HmacSHA1&Timestamp=1534154812&msgBody.1=m1&msgBody.10=m10&msgBody.2=m2&msgBody.3=m3&msgBody.4=m4&msgBody.5=m5&msgBody.6=m6&msgBody.7=m7&msgBody.8=m8&msgBody.9=m9&queueName=test1"
    );
    assert_eq!(
        params.get("Signature"),
        Some("1D0bx2ZwtHBfEz4hHRBKOO8/ia8=")
    );
}

#[test]
fn an_explicit_port_is_part_of_the_signed_host() {
    let c = Client::builder()
        .endpoint("http://127.0.0.1:8641")
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
        .build()
        .unwrap();
    let (_, sts) = c.signed_params(&vector_input(), TIMESTAMP, NONCE);
    assert!(
        sts.starts_with("POST127.0.0.1:8641/v2/index.php?Action=SendMessage&"),
        "{sts}"
    );
    assert!(sts.contains("RequestClient=SDK_Rust_cmq-sdk_"), "{sts}");
}

// ---------------------------------------------------------------- the reference vector itself

/// The reference's parameters, `clientRequestId` included (§4 "Test vectors").
fn reference_params(sig: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("queueName", "test1"),
        ("msgBody", "msg"),
        ("delaySeconds", "0"),
        ("Action", "SendMessage"),
        ("Nonce", "2889712707386595659"),
        ("Timestamp", "1534154812"),
        ("SecretId", SECRET_ID),
        ("SignatureMethod", sig),
        ("RequestClient", "SDK_Python_1.3"),
        ("clientRequestId", "1231231231"),
    ]
}

const REFERENCE_STS: &str = "POSTcmq-queue-gz.api.tencentyun.com/v2/index.php?Action=SendMessage&Nonce=2889712707386595659&RequestClient=SDK_Python_1.3&SecretId=AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT&SignatureMethod=HmacSHA1&Timestamp=1534154812&clientRequestId=1231231231&delaySeconds=0&msgBody=msg&queueName=test1";

#[test]
fn reference_vector_post_sha1() {
    let sts = sign::string_to_sign(
        "POST",
        "cmq-queue-gz.api.tencentyun.com",
        "/v2/index.php",
        &reference_params("HmacSHA1"),
    );
    assert_eq!(sts, REFERENCE_STS);
    assert_eq!(
        sign::sign(SECRET_KEY, SignatureMethod::HmacSha1, &sts),
        "C16WEtEXsD5v5tnaUMLAbZewXhI="
    );
    assert!(sign::verify(
        SECRET_KEY,
        SignatureMethod::HmacSha1,
        &sts,
        "C16WEtEXsD5v5tnaUMLAbZewXhI="
    ));
    assert!(!sign::verify(
        SECRET_KEY,
        SignatureMethod::HmacSha256,
        &sts,
        "C16WEtEXsD5v5tnaUMLAbZewXhI="
    ));
}

#[test]
fn reference_vector_get_sha1() {
    let sts = sign::string_to_sign(
        "GET",
        "cmq-queue-gz.api.tencentyun.com",
        "/v2/index.php",
        &reference_params("HmacSHA1"),
    );
    assert_eq!(sts, REFERENCE_STS.replacen("POST", "GET", 1));
    assert_eq!(
        sign::sign(SECRET_KEY, SignatureMethod::HmacSha1, &sts),
        "fkR3mzm6NfEbQqgF0B+Fd4rFLtM="
    );
}

#[test]
fn reference_vector_post_sha256() {
    let sts = sign::string_to_sign(
        "POST",
        "cmq-queue-gz.api.tencentyun.com",
        "/v2/index.php",
        &reference_params("HmacSHA256"),
    );
    assert_eq!(sts, REFERENCE_STS.replace("HmacSHA1", "HmacSHA256"));
    assert_eq!(
        sign::sign(SECRET_KEY, SignatureMethod::HmacSha256, &sts),
        "7aNNVzszJftqWPLvvnHU3lDznBYFPof7ACkTD3OJUu4="
    );
}

#[test]
fn reference_vector_ignores_a_signature_parameter_and_maps_underscores() {
    let mut params = reference_params("HmacSHA1");
    params.push(("Signature", "anything"));
    let sts = sign::string_to_sign(
        "POST",
        "cmq-queue-gz.api.tencentyun.com",
        "/v2/index.php",
        &params,
    );
    assert_eq!(sts, REFERENCE_STS);
    let sts = sign::string_to_sign("POST", "h", "/p", &[("a_b", "x_y"), ("A", "1")]);
    assert_eq!(sts, "POSTh/p?A=1&a.b=x_y");
}
