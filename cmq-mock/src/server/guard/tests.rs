//! The admin checks, header by header.

use super::*;

const ADDR: &str = "127.0.0.1:8641";

fn addr() -> Option<SocketAddr> {
    ADDR.parse().ok()
}

fn headers(list: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in list {
        if let Ok(v) = v.parse() {
            h.append(*k, v);
        }
    }
    h
}

fn status(access: &AdminAccess, method: Method, list: &[(&'static str, &str)]) -> u16 {
    match check(access, addr(), &method, &headers(list)) {
        Ok(()) => 200,
        Err(r) => r.status.as_u16(),
    }
}

#[test]
fn loopback_names_with_the_right_port() {
    let a = AdminAccess::default();
    for host in [
        "127.0.0.1:8641",
        "localhost:8641",
        "LOCALHOST:8641",
        "[::1]:8641",
    ] {
        assert_eq!(status(&a, Method::GET, &[("host", host)]), 200, "{host}");
    }
    for host in [
        "evil.example:8641",
        "127.0.0.1:9999",
        "localhost",
        "127.0.0.1.evil.example:8641",
        "[::1]x:8641",
        ":8641",
        "",
    ] {
        assert_eq!(status(&a, Method::GET, &[("host", host)]), 403, "{host:?}");
    }
    assert_eq!(status(&a, Method::GET, &[]), 403);
}

#[test]
fn the_listen_address_and_listed_names() {
    let a = AdminAccess::default();
    let bound: SocketAddr = "10.1.2.3:80".parse().unwrap_or_else(|_| unreachable!());
    let ok = |access: &AdminAccess, host: &str| {
        check(
            access,
            Some(bound),
            &Method::GET,
            &headers(&[("host", host)]),
        )
        .is_ok()
    };
    assert!(ok(&a, "10.1.2.3"));
    assert!(ok(&a, "10.1.2.3:80"));
    assert!(!ok(&a, "mock:80"));
    let listed = AdminAccess {
        hosts: vec!["Mock".into()],
        ..AdminAccess::default()
    };
    assert!(ok(&listed, "mock"));
    assert!(!ok(&listed, "mock:81"));
    let any = AdminAccess {
        hosts: vec!["*".into()],
        ..AdminAccess::default()
    };
    assert!(ok(&any, "whatever.example:1"));
    // An unspecified listen address is no host name.
    let wild: SocketAddr = "0.0.0.0:80".parse().unwrap_or_else(|_| unreachable!());
    assert!(
        check(
            &a,
            Some(wild),
            &Method::GET,
            &headers(&[("host", "0.0.0.0")])
        )
        .is_err()
    );
}

#[test]
fn origin_must_be_the_mock_itself() {
    let a = AdminAccess::default();
    let host = ("host", "127.0.0.1:8641");
    assert_eq!(
        status(
            &a,
            Method::GET,
            &[host, ("origin", "http://127.0.0.1:8641")]
        ),
        200
    );
    for origin in [
        "http://evil.example",
        "http://localhost:8641",
        "https://127.0.0.1:8641",
        "null",
        "http://127.0.0.1:3000",
    ] {
        assert_eq!(
            status(&a, Method::GET, &[host, ("origin", origin)]),
            403,
            "{origin}"
        );
    }
    for site in ["cross-site", "same-site"] {
        assert_eq!(
            status(&a, Method::GET, &[host, ("sec-fetch-site", site)]),
            403
        );
    }
    for site in ["same-origin", "none"] {
        assert_eq!(
            status(&a, Method::GET, &[host, ("sec-fetch-site", site)]),
            200
        );
    }
}

#[test]
fn state_changes_need_json_or_the_header() {
    let a = AdminAccess::default();
    let host = ("host", "localhost:8641");
    for m in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        assert_eq!(status(&a, m.clone(), &[host]), 415, "{m}");
        assert_eq!(
            status(&a, m.clone(), &[host, ("content-type", "text/plain")]),
            415
        );
        assert_eq!(
            status(
                &a,
                m.clone(),
                &[host, ("content-type", "application/x-www-form-urlencoded")]
            ),
            415
        );
        assert_eq!(
            status(
                &a,
                m.clone(),
                &[host, ("content-type", "Application/JSON; charset=utf-8")]
            ),
            200
        );
        assert_eq!(status(&a, m.clone(), &[host, ("x-cmq-mock", "1")]), 200);
    }
    assert_eq!(status(&a, Method::GET, &[host]), 200);
}

#[test]
fn token_when_configured() {
    let a = AdminAccess {
        token: Some("s3cret".into()),
        ..AdminAccess::default()
    };
    let host = ("host", "localhost:8641");
    assert_eq!(status(&a, Method::GET, &[host]), 401);
    assert_eq!(
        status(&a, Method::GET, &[host, ("authorization", "Bearer nope")]),
        401
    );
    assert_eq!(
        status(&a, Method::GET, &[host, ("authorization", "Basic s3cret")]),
        401
    );
    assert_eq!(
        status(&a, Method::GET, &[host, ("authorization", "Bearer s3cret")]),
        200
    );
    assert_eq!(
        status(
            &a,
            Method::GET,
            &[host, ("authorization", "bearer  s3cret ")]
        ),
        200
    );
    // The token does not lift the other checks.
    assert_eq!(
        status(
            &a,
            Method::GET,
            &[("host", "evil:8641"), ("authorization", "Bearer s3cret")]
        ),
        403
    );
    assert!(!format!("{a:?}").contains("s3cret"));
}

#[test]
fn the_dashboard_page_needs_the_site_checks_but_not_the_token() {
    let a = AdminAccess {
        token: Some("secret".into()),
        ..AdminAccess::default()
    };
    let page = |list: &[(&'static str, &str)]| match check_page(&a, addr(), &headers(list)) {
        Ok(()) => 200,
        Err(r) => r.status.as_u16(),
    };
    // A browser opening the page cannot send the token; the page holds no data.
    assert_eq!(page(&[("host", ADDR)]), 200);
    assert_eq!(page(&[("host", ADDR), ("sec-fetch-site", "none")]), 200);
    // Another site's page, a rebound host name: refused like any admin request.
    assert_eq!(page(&[("host", "evil.example:8641")]), 403);
    assert_eq!(
        page(&[("host", ADDR), ("origin", "http://evil.example")]),
        403
    );
    assert_eq!(
        page(&[("host", ADDR), ("sec-fetch-site", "cross-site")]),
        403
    );
    // Its data calls still need the token.
    assert_eq!(status(&a, Method::GET, &[("host", ADDR)]), 401);
}
