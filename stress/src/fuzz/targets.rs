//! The fuzz targets. Each runs one case from a seeded [`Gen`] and returns how the case ended (a
//! label the driver tallies, to show how deep the cases go) or `Err` when a property does not
//! hold (a panic is caught by the driver). Properties, beyond "no panic":
//!
//! * `wire`: the parser agrees with `form_urlencoded` on every input; the parameter cap refuses
//!   exactly the forms with more pairs; the duplicate finder agrees with a naive one.
//! * `dispatch`: the generated decoders and dispatcher, on an engine with queues and topics,
//!   answer every action with a well-formed envelope.
//! * `admission`: every HTTP request (any method, path, headers, body, size) gets a JSON answer
//!   (CMQ: HTTP 200 with a numeric `code`; admin: a JSON body), or a closed connection.
//! * `sign-v1`: a signature verifies over what it signed and nothing else; the verifier refuses
//!   garbage and accepts a properly signed fresh request.
//! * `sign-tc3`: the same for TC3-HMAC-SHA256.
//! * `admin`: every admin call answers 200, 400 or 404 with a JSON body.
//!
//! The API 3.0 front and the SDK's answer decoders have their own modules: [`super::api3`] and
//! [`super::sdk_decode`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use cmq_mock::Protocol;
use cmq_mock::internal::{
    Admin, Api3Backend, Backend, CreateTopic, Engine, Limits, RequestContext, Server, Subscribe,
    Verifier,
};
use cmq_mock::internal::{AdminRoutes, dispatch};
use cmq_mock::{Clock, Faults, Journal, WireParams};
use cmq_sdk::Action;
use cmq_sdk::sign::{self, SignatureMethod, tc3};
use futures_util::FutureExt;
use http_body_util::Full;
use serde_json::{Value, json};

use super::generate::{COMMON, Corpus, Gen, Pairs};

/// How a case ended (a label the driver tallies), or the property it broke.
pub type Outcome = Result<&'static str, String>;

pub(super) const ID: &str = "AKIDfuzzaccount";
pub(super) const KEY: &str = "fuzz-secret-key";
const HOST: &str = "127.0.0.1:8641";

/// The runtime the targets run in (timers need one); the driver enters it once.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"))
    })
}

/// The corpus, read once.
pub fn corpus() -> &'static Corpus {
    static C: std::sync::OnceLock<Corpus> = std::sync::OnceLock::new();
    C.get_or_init(Corpus::load)
}

/// Everything a target works on: an engine with resources on a manual clock, a full server
/// and its admin API, and the corpus.
pub struct World {
    engine: Engine,
    backend: Arc<Backend>,
    pub(super) server: Server<Backend>,
    admin: Admin,
    accounts: HashMap<String, String>,
    verifier: Verifier,
    corpus: &'static Corpus,
    addr: SocketAddr,
    oversized: Bytes,
    clock: Clock,
    cases: u64,
}

impl World {
    /// Builds a world (inside [`runtime`]).
    pub fn new() -> Self {
        let clock = Clock::manual(1_700_000_000_000);
        let engine = Engine::with_limits(clock.clone(), Limits::relaxed());
        engine.add_account(ID, KEY);
        let backend = Arc::new(Backend::new(engine.clone(), Vec::new()));
        let verifier = Arc::new(Verifier::new(Clock::system()).with_default_account(ID));
        let faults = Arc::new(Faults::new());
        let journal = Arc::new(Journal::new());
        let admin_for_server = Arc::new(Admin::new(
            backend.clone(),
            clock.clone(),
            faults.clone(),
            journal.clone(),
            verifier.clone(),
        ));
        let server = Server::new(backend.clone(), Arc::new(engine.clone()), clock.clone())
            .with_verifier(verifier.clone())
            .with_faults(faults.clone())
            .with_journal(journal.clone())
            .with_admin(admin_for_server)
            .with_api3(Arc::new(Api3Backend::new(engine.clone())));
        let admin = Admin::new(backend.clone(), clock.clone(), faults, journal, verifier);
        let mut w = Self {
            engine,
            backend,
            server,
            admin,
            accounts: HashMap::from([(ID.to_owned(), KEY.to_owned())]),
            verifier: Verifier::new(Clock::system()),
            corpus: corpus(),
            addr: HOST
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8641))),
            oversized: Bytes::from(vec![b'a'; cmq_sdk::generated::MAX_REQUEST_BYTES + 1]),
            clock,
            cases: 0,
        };
        w.seed_resources();
        w
    }

    /// Queues and topics whose names the generators use often.
    fn seed_resources(&mut self) {
        let Some(a) = self.engine.account(ID) else {
            return;
        };
        for q in ["q0", "q1", "orders", "test1"] {
            let _ = a.create_queue(q, &Default::default());
        }
        let _ = a.send_message("q0", "hello", 0);
        for t in ["t0", "t1"] {
            let _ = a.create_topic(&CreateTopic {
                name: t.into(),
                ..CreateTopic::default()
            });
        }
        let _ = a.subscribe("t0", &Subscribe::new("s0", Protocol::Queue, "q1"));
    }

    /// Forgets everything every few thousand cases, so memory stays flat over a long run.
    pub(super) fn tick(&mut self) {
        self.cases += 1;
        if self.cases % 4096 == 0 {
            self.engine.reset();
            self.server.faults().clear();
            self.server.journal().clear();
            self.seed_resources();
        }
    }

    /// Starts over once a case moved the manual clock centuries ahead (it never goes back).
    pub(super) fn keep_time_sane(&mut self) {
        if self.clock.now_ms() > 4_000_000_000_000 {
            *self = World::new();
        }
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

/// A signed copy of `p` (HmacSHA1 or HmacSHA256), as an SDK would send it to `HOST`.
fn signed(g: &mut Gen, method: &str, mut p: Pairs) -> Pairs {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    p.retain(|(k, _)| !["SecretId", "Timestamp", "Nonce", "Signature"].contains(&k.as_str()));
    p.push(("SecretId".into(), ID.into()));
    p.push(("Timestamp".into(), now.to_string()));
    p.push(("Nonce".into(), g.u64().to_string()));
    let m = if g.chance(0.5) {
        SignatureMethod::HmacSha1
    } else {
        p.push(("SignatureMethod".into(), "HmacSHA256".into()));
        SignatureMethod::HmacSha256
    };
    let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let sig = sign::sign(
        KEY,
        m,
        &sign::string_to_sign(method, HOST, "/v2/index.php", &refs),
    );
    p.push(("Signature".into(), sig));
    p
}

/// Form bytes: mutated corpus requests, generated parameters, or random bytes.
fn form_bytes(w: &World, g: &mut Gen) -> Vec<u8> {
    match g.below(10) {
        0..=3 => {
            let (_, p) = w.corpus.pick_small(g, 0.5, 512);
            let mut b = g.form(&p);
            if g.chance(0.3) {
                g.mutate_bytes(&mut b);
            }
            b
        }
        4..=7 => {
            let a = *g.pick(Action::ALL);
            let p = g.params_for(a);
            g.form(&p)
        }
        _ => g.bytes(200),
    }
}

/// `wire`: the form parser against `form_urlencoded`, the cap and the duplicate finder.
pub fn wire(w: &mut World, g: &mut Gen) -> Outcome {
    let bytes = form_bytes(w, g);
    let ours = WireParams::parse(&bytes);
    let reference: Pairs = form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let got: Pairs = ours.clone().into_pairs();
    if got != reference {
        return Err(format!("parse differs: {got:?} vs {reference:?}"));
    }
    let limit = g.below(40);
    let capped = WireParams::parse_limited(&bytes, limit);
    if capped.is_ok() != (reference.len() <= limit) {
        return Err(format!("cap {limit} wrong for {} pairs", reference.len()));
    }
    let norm = |k: &str| k.replace(['.', ' '], "_");
    let naive = (1..reference.len()).find_map(|i| {
        let k = norm(&reference[i].0);
        reference[..i]
            .iter()
            .any(|(p, _)| norm(p) == k)
            .then(|| reference[i].0.clone())
    });
    if ours.first_duplicate().map(str::to_owned) != naive {
        return Err(format!(
            "duplicate {:?} vs {naive:?}",
            ours.first_duplicate()
        ));
    }
    if ours.len() != reference.len()
        || ours.heap_bytes() < ours.pairs().map(|(k, v)| k.len() + v.len()).sum()
    {
        return Err("len or heap_bytes inconsistent".into());
    }
    Ok(match (reference.len(), naive.is_some()) {
        (0, _) => "no parameter",
        (_, true) => "a duplicate name",
        (1..=9, _) => "1-9 parameters",
        _ => "10+ parameters",
    })
}

/// `dispatch`: decode, validate and run every action on the engine.
pub fn dispatch(w: &mut World, g: &mut Gen) -> Outcome {
    w.tick();
    let (action, pairs) = if g.chance(0.4) {
        let (a, p) = w.corpus.pick(g, 0.6);
        (a.unwrap_or(*g.pick(Action::ALL)), p)
    } else {
        let a = *g.pick(Action::ALL);
        (a, g.params_for(a))
    };
    let params = WireParams::from_pairs(pairs);
    let _ = dispatch::check(action, &params);
    let ctx = RequestContext {
        action,
        account_id: ID.to_owned(),
        request_id: "fuzz".into(),
        client_request_id: None,
    };
    // A receive that would wait is dropped (cancelling a wait is safe).
    let answer = dispatch::dispatch(&*w.backend, &ctx, action, &params).now_or_never();
    match answer {
        None => Ok("waiting (long poll)"),
        Some(Err(e)) => Ok(e.error.id()),
        Some(Ok(body)) => match serde_json::from_slice::<Value>(&body) {
            Ok(v) if v["code"] == 0 => Ok("success"),
            other => Err(format!(
                "{action:?}: a success that is not code 0: {other:?}"
            )),
        },
    }
}

/// Headers a browser, an SDK or an attacker may send; `host` is the `Host` to send (if any).
fn headers(
    g: &mut Gen,
    mut b: hyper::http::request::Builder,
    host: Option<String>,
) -> hyper::http::request::Builder {
    if let Some(h) = host {
        b = b.header("host", h);
    }
    let extra: [(&str, &[&str]); 6] = [
        (
            "origin",
            &["http://127.0.0.1:8641", "http://evil.example", "null", ""],
        ),
        (
            "content-type",
            &[
                "application/json",
                "text/plain",
                "application/x-www-form-urlencoded",
                "application/json; charset=utf-8",
                ";",
            ],
        ),
        ("x-cmq-mock", &["1", ""]),
        (
            "authorization",
            &[
                "Bearer x",
                "Bearer",
                "bearer  ",
                "TC3-HMAC-SHA256 Credential=a",
            ],
        ),
        (
            "sec-fetch-site",
            &["cross-site", "same-origin", "none", "same-site"],
        ),
        (
            "content-length",
            &["0", "99999999999", "-1", "abc", "1048577", "68719476736"],
        ),
    ];
    for (name, values) in extra {
        if g.chance(0.15) {
            let v = if g.chance(0.8) {
                (*g.pick(values)).to_owned()
            } else {
                g.text(12)
            };
            b = b.header(name, v);
        }
    }
    b
}

/// `s` with every byte a URI cannot carry as is percent-encoded.
fn uri_safe(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s {
        if c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&c) {
            out.push(char::from(c));
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// A random `Host` header, or none.
fn random_host(g: &mut Gen) -> Option<String> {
    let hosts = [
        HOST,
        "localhost:8641",
        "[::1]:8641",
        "evil.example:8641",
        "127.0.0.1",
        "[::1",
        ":",
        "",
    ];
    match g.below(10) {
        0 => None,
        1 => Some(g.text(20)),
        _ => Some((*g.pick(&hosts)).to_owned()),
    }
}

/// A request as an SDK sends it: signed for [`HOST`], by GET or POST; half of them a real
/// request of the corpus.
fn sdk_request(w: &World, g: &mut Gen) -> (String, String, Option<String>, Bytes) {
    let p = if g.chance(0.5) {
        w.corpus.pick_small(g, 0.0, 4096).1
    } else {
        let a = *g.pick(Action::ALL);
        g.params_for(a)
    };
    if g.chance(0.8) {
        let p = signed(g, "POST", p);
        let form = g.form_exact(&p);
        (
            "POST".into(),
            "/v2/index.php".into(),
            Some(HOST.into()),
            Bytes::from(form),
        )
    } else {
        let p = signed(g, "GET", p);
        let form = g.form_exact(&p);
        let uri = format!("/v2/index.php?{}", uri_safe(&form));
        ("GET".into(), uri, Some(HOST.into()), Bytes::new())
    }
}

/// Anything at all: methods, paths (admin ones too), queries, hosts, bodies, sizes.
fn any_request(w: &World, g: &mut Gen) -> (String, String, Option<String>, Bytes) {
    let method = *g.pick(&[
        "GET", "POST", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH",
    ]);
    let admin = [
        "clock",
        "queues",
        "queues/q0",
        "faults",
        "journal",
        "reset",
        "stats",
        "deliveries",
        "x",
    ];
    let path = match g.below(6) {
        0..=2 => "/v2/index.php".to_owned(),
        3 => "/".to_owned(),
        4 => format!("/_mock/{}", g.pick(&admin)),
        _ => format!("/{}", uri_safe(g.text(10).as_bytes()).replace('?', "")),
    };
    let form = form_bytes(w, g);
    let query = if method == "GET" && g.chance(0.7) {
        uri_safe(&form)
    } else {
        uri_safe(g.text(8).as_bytes())
    };
    let uri = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    let host = if uri.starts_with("/_mock") && g.chance(0.7) {
        Some(HOST.to_owned())
    } else {
        random_host(g)
    };
    let body = match g.below(20) {
        0 => w.oversized.clone(),
        1..=5 => Bytes::from(g.json(3).to_string()),
        _ => Bytes::from(form),
    };
    (method.into(), uri, host, body)
}

/// `admission`: whole HTTP requests through the server's front, admin routes included.
pub fn admission(w: &mut World, g: &mut Gen) -> Outcome {
    w.tick();
    let (method, uri, host, body) = if g.chance(0.3) {
        sdk_request(w, g)
    } else {
        any_request(w, g)
    };
    let path = uri.split('?').next().unwrap_or("").to_owned();
    let b = hyper::Request::builder()
        .method(method.as_str())
        .uri(uri.as_str());
    let b = headers(g, b, host);
    let Ok(req) = b.body(Full::new(body)) else {
        return Ok("not an HTTP request");
    };
    let answer = w.server.http(Some(w.addr), req).now_or_never();
    w.keep_time_sane();
    let Some(answer) = answer else {
        return Ok("waiting (long poll or latency)");
    };
    let Some(resp) = answer else {
        return Ok("connection dropped");
    };
    check_response(&path, resp)
}

pub(super) fn check_response(path: &str, resp: hyper::Response<Full<Bytes>>) -> Outcome {
    use http_body_util::BodyExt;
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
    if ct != "application/json" {
        return Err(format!("{path}: content type {ct:?}"));
    }
    let v: Value = serde_json::from_slice(&body).map_err(|e| format!("{path}: not JSON ({e})"))?;
    let admin = path.starts_with("/_mock");
    if !admin && (status != 200 || !v["code"].is_i64()) {
        return Err(format!("{path}: HTTP {status} {v}"));
    }
    if admin && status == 500 {
        return Err(format!("{path}: admin answered 500: {v}"));
    }
    Ok(match (admin, status, v["code"].as_i64()) {
        (true, 200, _) => "admin 200",
        (true, 403, _) => "admin 403",
        (true, 404, _) => "admin 404",
        (true, _, _) => "admin other",
        (false, _, Some(0)) => "CMQ success",
        (false, _, Some(4100)) => "CMQ 4100 (authentication)",
        (false, _, Some(7000)) => "CMQ 7000",
        (false, _, Some(c)) if c >= 6000 => "CMQ 6xxx",
        (false, _, _) => "CMQ 4xxx",
    })
}

/// `sign-v1`: the API 2.0 signer and verifier.
pub fn sign_v1(w: &mut World, g: &mut Gen) -> Outcome {
    let pairs: Pairs = (0..g.below(12))
        .map(|_| {
            let k = g.name(COMMON);
            let v = g.text(20);
            (k, v)
        })
        .collect();
    let method = *g.pick(&["GET", "POST", "post", ""]);
    let host = g.text(12);
    let path = g.text(12);
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sts = sign::string_to_sign(method, &host, &path, &refs);
    let m = if g.chance(0.5) {
        SignatureMethod::HmacSha1
    } else {
        SignatureMethod::HmacSha256
    };
    let sig = sign::sign(KEY, m, &sts);
    if !sign::verify(KEY, m, &sts, &sig) {
        return Err("a signature does not verify over what it signed".into());
    }
    let mut bad = sig.clone().into_bytes();
    g.mutate_bytes(&mut bad);
    let bad = String::from_utf8_lossy(&bad).into_owned();
    if bad != sig && sign::verify(KEY, m, &sts, &bad) {
        return Err(format!("a mutated signature verifies: {bad:?}"));
    }
    let _ = sign::verify(KEY, m, &sts, &g.text(40));
    // The mock's verifier: a fresh, properly signed request passes; the same with a bad
    // signature, or anything random, does not panic (and a bad signature never passes).
    let verifier = &w.verifier;
    let action = *g.pick(Action::ALL);
    let base = g.params_for(action);
    let good = WireParams::from_pairs(signed(g, "POST", base));
    if good.first_duplicate().is_none() {
        if let Err(e) = verifier.verify("POST", HOST, "/v2/index.php", &good, &w.accounts) {
            return Err(format!("a signed request is refused: {e}"));
        }
    }
    let mut junk = good.into_pairs();
    g.mutate_pairs(&mut junk);
    let junk = WireParams::from_pairs(junk);
    match verifier.verify(method, &host, &path, &junk, &w.accounts) {
        Ok(_) => Ok("a mutated request still verified"),
        Err(e) => Ok(e.error.id()),
    }
}

/// A TC3 `Authorization` value: well formed with random parts, or mangled.
pub(super) fn tc3_authorization(g: &mut Gen, ts: u64) -> String {
    let date = if g.chance(0.7) {
        tc3::utc_date(ts)
    } else {
        g.text(10)
    };
    let sh = *g.pick(&[
        "content-type;host",
        "host",
        "content-type;host;x-tc-action",
        "",
        ";;",
    ]);
    let sig: String = (0..g.below(70))
        .map(|_| *g.pick(&['a', 'f', '0', '9', 'z']))
        .collect();
    let s = format!(
        "TC3-HMAC-SHA256 Credential={}/{date}/{}/tc3_request, SignedHeaders={sh}, Signature={sig}",
        g.pick(&[ID, "", "AKID/x"]),
        g.pick(&["tdmq", "", "cvm"])
    );
    if g.chance(0.3) {
        let mut b = s.into_bytes();
        g.mutate_bytes(&mut b);
        return String::from_utf8_lossy(&b).into_owned();
    }
    s
}

/// `sign-tc3`: the API 3.0 signer and verifier.
pub fn sign_tc3(_w: &mut World, g: &mut Gen) -> Outcome {
    let body = g.json(3).to_string().into_bytes();
    let host = if g.chance(0.5) {
        "tdmq.tencentcloudapi.com".to_owned()
    } else {
        g.text(16)
    };
    let ts = 1_700_000_000 + g.below(100_000_000) as u64;
    let input = tc3::SignInput {
        secret_id: ID,
        secret_key: KEY,
        service: "tdmq",
        host: &host,
        path: "/",
        timestamp: ts,
        body: &body,
    };
    let signed = tc3::sign(&input);
    let ts_text = ts.to_string();
    let headers = [
        ("Authorization", signed.authorization.as_str()),
        ("X-TC-Timestamp", ts_text.as_str()),
        ("Content-Type", tc3::JSON_CONTENT_TYPE),
    ];
    let req = tc3::Tc3Request {
        method: "POST",
        host: &host,
        path: "/",
        query: "",
        headers: &headers,
        body: &body,
    };
    match tc3::verify(&req, KEY) {
        Ok(v) if v.secret_id == ID && v.timestamp == ts => {}
        other => return Err(format!("a signed request does not verify: {other:?}")),
    }
    let mut other_body = body.clone();
    g.mutate_bytes(&mut other_body);
    let tampered = tc3::Tc3Request {
        body: &other_body,
        ..req
    };
    if other_body != body && tc3::verify(&tampered, KEY).is_ok() {
        return Err("a changed body verifies".into());
    }
    Ok(tc3_random(g, &host, ts, &other_body))
}

/// A TC3 request with random headers (its parts often close to right): no panic, and how it
/// ended.
fn tc3_random(g: &mut Gen, host: &str, ts: u64, body: &[u8]) -> &'static str {
    let auth = tc3_authorization(g, ts);
    let ts2 = if g.chance(0.5) {
        ts.to_string()
    } else {
        g.number_text(None, None)
    };
    let sha = if g.chance(0.2) {
        tc3::UNSIGNED_PAYLOAD.to_owned()
    } else {
        g.text(6)
    };
    let hs = [
        ("Authorization", auth.as_str()),
        ("X-TC-Timestamp", ts2.as_str()),
        ("X-TC-Content-SHA256", sha.as_str()),
        ("content-type", "application/json"),
    ];
    let n = g.below(hs.len() + 1);
    let q = g.text(10);
    let random = tc3::Tc3Request {
        method: "POST",
        host,
        path: "/",
        query: &q,
        headers: &hs[..n],
        body,
    };
    let _ = tc3::parse_authorization(&auth);
    match tc3::verify(&random, KEY) {
        Ok(_) => "random request verified",
        Err(tc3::Tc3Error::MissingHeader(_)) => "missing header",
        Err(tc3::Tc3Error::SignatureMismatch) => "signature mismatch",
        Err(_) => "malformed",
    }
}

/// A JSON body an admin route might get: shaped like a fault rule or a clock move, or anything.
fn admin_body(g: &mut Gen) -> Vec<u8> {
    let keys = [
        "action",
        "times",
        "error",
        "subject",
        "code",
        "message",
        "latency_ms",
        "drop_connection",
        "advance_ms",
        "set_ms",
        "body",
        "delaySeconds",
        "tags",
        "routingKey",
        "account",
    ];
    match g.below(4) {
        0 => g.bytes(40),
        1 => g.json(3).to_string().into_bytes(),
        _ => {
            let mut m = serde_json::Map::new();
            for _ in 0..=g.below(4) {
                let k = (*g.pick(&keys)).to_owned();
                let v = match g.below(6) {
                    0 => json!(*g.pick(&["SendMessage", "QueueFull", "receivemessage", "Nope"])),
                    1 => json!(g.u64()),
                    2 => json!(g.below(1000)),
                    3 => json!(true),
                    4 => Value::Null,
                    _ => g.json(1),
                };
                m.insert(k, v);
            }
            Value::Object(m).to_string().into_bytes()
        }
    }
}

/// `admin`: the admin routes and their JSON bodies.
pub fn admin(w: &mut World, g: &mut Gen) -> Outcome {
    w.tick();
    let method = *g.pick(&["GET", "POST", "DELETE", "PUT", "GET"]);
    let route = *g.pick(&[
        "clock",
        "accounts",
        "queues",
        "queues/q0",
        "queues/nope",
        "deliveries",
        "faults",
        "journal",
        "stats",
        "reset",
        "queues/q0/x",
        "queues/q0/messages",
        "queues/q0/purge",
        "topics",
        "topics/t0/messages",
        "ui/",
        "",
    ]);
    let path = format!("/_mock/{route}");
    let query = match g.below(4) {
        0 => String::new(),
        1 => format!(
            "offset={}&limit={}",
            g.number_text(None, None),
            g.number_text(None, None)
        ),
        2 => format!(
            "state={}&bodies=full&detail=1&order=newest&account={}",
            g.pick(&["active", "inactive", "delayed", "deleted", "x"]),
            g.pick(&[ID, "AKIDnone", ""])
        ),
        _ => g.text(12),
    };
    let body = admin_body(g);
    let (status, out) = match w.admin.handle(method, &path, &query, &body).now_or_never() {
        Some(a) => a,
        None => return Err(format!("{method} {path} did not answer at once")),
    };
    if !matches!(status, 200 | 400 | 404) {
        return Err(format!("{method} {path}: status {status}"));
    }
    serde_json::from_slice::<Value>(&out).map_err(|e| format!("{method} {path}: not JSON: {e}"))?;
    w.keep_time_sane();
    Ok(match status {
        200 => "200",
        400 => "400",
        _ => "404",
    })
}
