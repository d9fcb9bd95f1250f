//! The `api3` target: whole Tencent Cloud API 3.0 requests (a POST to `/` with `X-TC-Action`,
//! a JSON body, TC3-HMAC-SHA256) through the server's front, in process, exactly as the listener
//! runs them: admission, authentication, the generated decoder and validator, the dispatcher and
//! the engine. Bodies are shaped by the actions' constraint tables (`Api3Action::params`) or
//! taken from `spec/conformance/requests.v3.json` and mutated; headers are missing, duplicated or
//! garbled now and then; most requests are signed correctly, so that they reach the service.
//!
//! Property, beyond "no panic": every API 3.0 request is answered HTTP 200,
//! `application/json`, with the envelope `{"Response": {..., "RequestId": "..."}}`, an `Error`
//! in it (if any) holding a `Code` of the spec and a `Message`; a request that is not API 3.0
//! (no `X-TC-Action`) gets the API 2.0 answer (HTTP 200 with a numeric `code`). No fault is
//! injected, so a request is never left waiting and its connection never dropped.

use bytes::Bytes;
use cmq_sdk::constraints::ParamKind;
use cmq_sdk::generated::v3::actions::Api3Action;
use cmq_sdk::generated::v3::errors::Api3ErrorId;
use cmq_sdk::generated::v3::{MAX_REQUEST_BYTES, VERSION, headers};
use cmq_sdk::sign::tc3;
use futures_util::FutureExt;
use http_body_util::{BodyExt, Full};
use serde_json::Value;

use super::generate::Gen;
use super::targets::{ID, KEY, Outcome, World, check_response, tc3_authorization};

/// The host the signed requests name.
const HOST3: &str = "tdmq.tencentcloudapi.com";

/// The bodies of `spec/conformance/requests.v3.json`: `(action, JSON input)`.
fn corpus3() -> &'static [(String, Value)] {
    static C: std::sync::OnceLock<Vec<(String, Value)>> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let doc = cmq_conformance::load("spec/conformance/requests.v3.json");
        cmq_conformance::cases(&doc)
            .iter()
            .map(|c| {
                (
                    cmq_conformance::text(c, "action").to_owned(),
                    c["input"].clone(),
                )
            })
            .collect()
    })
}

/// Raw JSON number texts: boundaries, floats, `-0`, exponents, overflow.
fn number3(g: &mut Gen, min: Option<i64>, max: Option<i64>) -> String {
    match g.below(10) {
        0 => "-0".into(),
        1 => "1e400".into(),
        2 => "18446744073709551616".into(),
        3 => "-9223372036854775809".into(),
        4 => format!("{}.5", g.below(100)),
        5 => "1E2".into(),
        _ => {
            let t = g.number_text(min, max);
            // Only texts that are JSON numbers; the rest become a string (a wrong type).
            if serde_json::from_str::<serde_json::Number>(&t).is_ok() {
                t
            } else {
                Value::String(t).to_string()
            }
        }
    }
}

/// A JSON value (as text) for a parameter of `kind`: right, at the edges, or of a wrong type.
fn value3(g: &mut Gen, spec: &cmq_sdk::constraints::ParamSpec<Api3ErrorId>) -> String {
    if g.chance(0.1) {
        return match g.below(4) {
            0 => "null".into(),
            1 => g.json(2).to_string(),
            2 => "\"\\ud800\"".into(),
            _ => {
                let n = g.below(200);
                format!("{}1{}", "[".repeat(n), "]".repeat(n))
            }
        };
    }
    let string = |g: &mut Gen| -> String {
        if spec.wire.ends_with("Name") && g.chance(0.6) {
            return Value::String((*g.pick(&["q0", "q1", "orders", "t0", "t1", "s0"])).into())
                .to_string();
        }
        if !spec.one_of.is_empty() && g.chance(0.5) {
            return Value::String(g.pick(spec.one_of).to_string()).to_string();
        }
        match spec.max_len {
            Some(m) if m <= 65_536 && g.chance(0.2) => {
                let past = usize::from(g.chance(0.5));
                Value::String(g.long_text(m + past)).to_string()
            }
            _ => Value::String(g.text(24)).to_string(),
        }
    };
    match spec.kind {
        ParamKind::Int => number3(g, spec.min, spec.max),
        ParamKind::Bool => (*g.pick(&["true", "false", "1", "\"true\"", "0"])).to_owned(),
        ParamKind::String => string(g),
        ParamKind::StringList => {
            let most = if g.chance(0.1) { 40 } else { 5 };
            let n = g.below(most);
            let items: Vec<String> = (0..n).map(|_| string(g)).collect();
            format!("[{}]", items.join(","))
        }
        ParamKind::Json | ParamKind::Object | ParamKind::ObjectList => {
            let v = g.json(3).to_string();
            if spec.kind == ParamKind::ObjectList && g.chance(0.5) {
                format!("[{v}]")
            } else {
                v
            }
        }
    }
}

/// A body for `action` built from its constraint table, with unknown members, duplicates and
/// odd whitespace now and then.
fn generated_body(g: &mut Gen, action: Api3Action) -> Vec<u8> {
    let mut members: Vec<String> = Vec::new();
    for spec in action.params() {
        if g.chance(0.8) {
            members.push(format!("\"{}\":{}", spec.wire, value3(g, spec)));
        }
    }
    for _ in 0..g.below(3) {
        if g.chance(0.3) && !members.is_empty() {
            let dup = members[g.below(members.len())].clone();
            members.push(dup);
        } else {
            let k = Value::String(g.text(10)).to_string();
            members.push(format!("{k}:{}", g.json(2)));
        }
    }
    let sep = *g.pick(&[",", " , ", ",\n"]);
    format!("{{{}}}", members.join(sep)).into_bytes()
}

/// A corpus body, its members dropped, retyped or added now and then.
fn corpus_body(g: &mut Gen) -> (Option<Api3Action>, Vec<u8>) {
    let c = corpus3();
    if c.is_empty() {
        return (None, b"{}".to_vec());
    }
    let (action, input) = &c[g.below(c.len())];
    let mut v = input.clone();
    if let Value::Object(m) = &mut v {
        for _ in 0..g.below(3) {
            let keys: Vec<String> = m.keys().cloned().collect();
            match g.below(3) {
                0 if !keys.is_empty() => {
                    m.remove(&keys[g.below(keys.len())]);
                }
                1 if !keys.is_empty() => {
                    let k = keys[g.below(keys.len())].clone();
                    m.insert(k, g.json(2));
                }
                _ => {
                    m.insert(g.text(8), g.json(2));
                }
            }
        }
    }
    (Api3Action::from_wire(action), v.to_string().into_bytes())
}

/// The body of a case: generated, from the corpus, any JSON, random bytes or oversized.
fn body3(g: &mut Gen, action: Api3Action) -> (Api3Action, Vec<u8>) {
    let (action, mut body) = match g.below(20) {
        0..=8 => (action, generated_body(g, action)),
        9..=14 => {
            let (a, b) = corpus_body(g);
            (a.unwrap_or(action), b)
        }
        15..=16 => (action, g.json(4).to_string().into_bytes()),
        17..=18 => (action, g.bytes(64)),
        _ if g.chance(0.05) => (action, vec![b' '; MAX_REQUEST_BYTES + 1]),
        _ => (action, Vec::new()),
    };
    if g.chance(0.15) {
        g.mutate_bytes(&mut body);
    }
    (action, body)
}

/// The headers of a case: signed over `body` most of the time, each one sometimes missing,
/// duplicated or garbled.
fn headers3(g: &mut Gen, action: Api3Action, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let ts = if g.chance(0.9) {
        now
    } else {
        now.wrapping_add(g.u64() % 100_000).wrapping_sub(50_000)
    };
    let host = if g.chance(0.9) {
        HOST3
    } else {
        "127.0.0.1:8641"
    };
    let auth = if g.chance(0.75) {
        tc3::sign(&tc3::SignInput {
            secret_id: ID,
            secret_key: KEY,
            service: "tdmq",
            host,
            path: "/",
            timestamp: ts,
            body,
        })
        .authorization
    } else {
        tc3_authorization(g, ts)
    };
    let action_text = match g.below(20) {
        0 => action.as_str().to_lowercase(),
        1 => g.text(16),
        2 => "SendMessage".into(),
        _ => action.as_str().to_owned(),
    };
    let mut h: Vec<(String, Vec<u8>)> = vec![
        ("host".into(), host.into()),
        (headers::X_TC_ACTION.into(), action_text.into_bytes()),
        (headers::X_TC_VERSION.into(), VERSION.into()),
        (headers::X_TC_TIMESTAMP.into(), ts.to_string().into_bytes()),
        (headers::AUTHORIZATION.into(), auth.into_bytes()),
        (headers::CONTENT_TYPE.into(), tc3::JSON_CONTENT_TYPE.into()),
        (headers::X_TC_REGION.into(), "ap-guangzhou".into()),
    ];
    if g.chance(0.2) {
        h.push((
            headers::X_TC_LANGUAGE.into(),
            (*g.pick(&["en-US", "zh-CN", "x"])).into(),
        ));
    }
    for _ in 0..g.below(3) {
        if !g.chance(0.3) {
            continue;
        }
        let i = g.below(h.len());
        match g.below(4) {
            0 => {
                h.remove(i);
            }
            1 => {
                let dup = (h[i].0.clone(), g.text(12).into_bytes());
                h.push(dup);
            }
            2 => g.mutate_bytes(&mut h[i].1),
            _ => h[i].1 = g.text(20).into_bytes(),
        }
    }
    h
}

/// `api3`: whole API 3.0 requests through the server's front (see the module docs).
pub fn api3(w: &mut World, g: &mut Gen) -> Outcome {
    w.tick();
    let action = *g.pick(Api3Action::ALL);
    let (action, body) = body3(g, action);
    let headers = headers3(g, action, &body);
    let method = if g.chance(0.95) {
        "POST"
    } else {
        *g.pick(&["GET", "PUT", "DELETE", "post"])
    };
    let uri = if g.chance(0.95) { "/" } else { "/?Action=x" };
    let mut b = hyper::Request::builder().method(method).uri(uri);
    for (k, v) in &headers {
        b = b.header(k.as_str(), v.as_slice());
    }
    let Ok(req) = b.body(Full::new(Bytes::from(body))) else {
        return Ok("not an HTTP request");
    };
    let is_api3 = req.uri().path() == "/" && req.headers().contains_key(headers::X_TC_ACTION);
    let answer = w.server.http(None, req).now_or_never();
    w.keep_time_sane();
    let Some(answer) = answer else {
        return Err(format!("{}: the request is left waiting", action.as_str()));
    };
    let Some(resp) = answer else {
        return Err(format!("{}: the connection was dropped", action.as_str()));
    };
    if !is_api3 {
        // No `X-TC-Action`: the API 2.0 pipeline answers.
        return check_response("/", resp).map(|_| "not API 3.0 (API 2.0 answered)");
    }
    check_envelope(action, resp)
}

/// The property of an API 3.0 answer; its error code (or success) as the case's ending.
fn check_envelope(action: Api3Action, resp: hyper::Response<Full<Bytes>>) -> Outcome {
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = match resp.into_body().collect().now_or_never() {
        Some(Ok(b)) => b.to_bytes(),
        _ => return Err("the answer's body is not ready".into()),
    };
    let what = action.as_str();
    if status != 200 || ct != "application/json" {
        return Err(format!("{what}: HTTP {status} {ct:?}"));
    }
    let v: Value = serde_json::from_slice(&body).map_err(|e| format!("{what}: not JSON ({e})"))?;
    let r = &v["Response"];
    if !r["RequestId"].is_string() {
        return Err(format!("{what}: no Response.RequestId: {v}"));
    }
    let err = &r["Error"];
    if err.is_null() {
        return Ok("success");
    }
    let (Some(code), true) = (err["Code"].as_str(), err["Message"].is_string()) else {
        return Err(format!("{what}: a malformed Error: {v}"));
    };
    Api3ErrorId::ALL
        .iter()
        .map(|e| e.code())
        .find(|c| *c == code)
        .ok_or_else(|| format!("{what}: an error code outside the spec: {code}"))
}
