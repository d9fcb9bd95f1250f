//! Regions and the control-plane endpoint a client derives from its data-plane endpoint.
//!
//! TDMQ for CMQ serves the API 2.0 data plane (send, receive, delete, publish) on
//! `https://cmq-{region}.public.tencenttdmq.com` (public) and
//! `http://{region}.mqadapter.cmq.tencentyun.com` (inside Tencent Cloud), with CMQ's short region
//! codes (`gz`, `sh`, …). Queues, topics and subscriptions are managed through Tencent Cloud API
//! 3.0 at `https://tdmq.tencentcloudapi.com`, which wants the API 3.0 region name
//! (`ap-guangzhou`, …) in `X-TC-Region`. The legacy CMQ hosts (`cmq-queue-{region}.api.qcloud.com`,
//! `cmq-topic-{region}.api.tencentyun.com`, …) still speak API 2.0 for everything and have no API
//! 3.0 face.
//!
//! | data-plane endpoint | control-plane default | region default |
//! |---|---|---|
//! | `https://cmq-gz.public.tencenttdmq.com` | `https://tdmq.tencentcloudapi.com` | `ap-guangzhou` |
//! | `http://sh.mqadapter.cmq.tencentyun.com` | `https://tdmq.tencentcloudapi.com` | `ap-shanghai` |
//! | `https://cmq-queue-gz.api.qcloud.com`, `http://cmq-topic-bj.api.tencentyun.com` | none (legacy CMQ) | none |
//! | anything else, e.g. `http://127.0.0.1:8641` (cmq-mock) | the same origin, path `/` | none |
//!
//! Every host, suffix and region code here is a fact of `spec/v3/protocol.json`, generated into
//! [`crate::generated::v3`]; this module only applies them.

use std::borrow::Cow;

use crate::endpoint::Endpoint;
use crate::generated::v3 as facts;

/// CMQ's short region codes and their API 3.0 names, as Tencent's CMQ Java SDK maps them when it
/// calls API 3.0 (`CMQTool.endPointMap` in `tencentyun/cmq-java-sdk`; from the spec).
pub const SHORT_REGION_CODES: &[(&str, &str)] = facts::SHORT_REGION_CODES;

/// The API 3.0 regions where the CMQ actions exist (from the spec).
pub const REGIONS: &[&str] = facts::REGIONS;

/// The API 3.0 name of a region given either way: a known short code (`gz`) is mapped
/// (`ap-guangzhou`); a name with a `-` (`ap-guangzhou`, `ap-shanghai-fsi`) is kept; anything else
/// is `None`.
#[must_use]
pub fn api3_region(code: &str) -> Option<Cow<'_, str>> {
    if code.contains('-') {
        return Some(Cow::Borrowed(code));
    }
    SHORT_REGION_CODES
        .iter()
        .find(|(short, _)| *short == code)
        .map(|(_, long)| Cow::Borrowed(*long))
}

/// The region code in a TDMQ data-plane host (`cmq-{code}.public….tencenttdmq.com` or
/// `{code}.mqadapter.cmq.tencentyun.com`), as written there.
fn tdmq_region_code(host: &str) -> Option<&str> {
    let public = host
        .strip_prefix(facts::TDMQ_PUBLIC_HOST_PREFIX)
        .filter(|_| host.ends_with(facts::TDMQ_PUBLIC_HOST_SUFFIX));
    if let Some(rest) = public {
        return rest.split('.').next().filter(|c| !c.is_empty());
    }
    host.strip_suffix(facts::TDMQ_VPC_HOST_SUFFIX)
        .filter(|c| !c.is_empty() && !c.contains('.'))
}

/// True for the TDMQ for CMQ data-plane hosts.
#[must_use]
pub fn is_tdmq_host(host: &str) -> bool {
    tdmq_region_code(host).is_some()
}

/// True for the legacy CMQ hosts (`*.api.qcloud.com`, `*.api.tencentyun.com`), which have no API
/// 3.0 face.
#[must_use]
pub fn is_legacy_host(host: &str) -> bool {
    facts::LEGACY_HOST_SUFFIXES
        .iter()
        .any(|s| host.ends_with(s))
}

/// The API 3.0 region of a TDMQ data-plane endpoint, when its host names a known one.
#[must_use]
pub fn region_of(data_plane: &Endpoint) -> Option<String> {
    tdmq_region_code(data_plane.host())
        .and_then(api3_region)
        .map(Cow::into_owned)
}

/// The API 3.0 endpoint a client uses by default with `data_plane` (see the module table).
#[must_use]
pub fn default_control_endpoint(data_plane: &Endpoint) -> Option<Endpoint> {
    let host = data_plane.host();
    if is_tdmq_host(host) {
        Some(Endpoint::api3_public())
    } else if is_legacy_host(host) {
        None
    } else {
        Endpoint::parse_api3(&format!(
            "{}://{}",
            data_plane.scheme(),
            data_plane.signing_host()
        ))
        .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(url: &str) -> Endpoint {
        Endpoint::parse(url).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn short_and_long_region_names() {
        assert_eq!(api3_region("gz").as_deref(), Some("ap-guangzhou"));
        assert_eq!(api3_region("usw").as_deref(), Some("na-siliconvalley"));
        assert_eq!(api3_region("ap-nanjing").as_deref(), Some("ap-nanjing"));
        assert_eq!(api3_region("nowhere"), None);
        assert_eq!(api3_region(""), None);
    }

    #[test]
    fn data_plane_defaults() {
        let cases = [
            (
                "https://cmq-gz.public.tencenttdmq.com",
                Some("https://tdmq.tencentcloudapi.com/"),
                Some("ap-guangzhou"),
            ),
            (
                "https://cmq-ap-nanjing.public.tencenttdmq.com",
                Some("https://tdmq.tencentcloudapi.com/"),
                Some("ap-nanjing"),
            ),
            (
                "https://cmq-gz.public123.tencenttdmq.com",
                Some("https://tdmq.tencentcloudapi.com/"),
                Some("ap-guangzhou"),
            ),
            (
                "http://sh.mqadapter.cmq.tencentyun.com",
                Some("https://tdmq.tencentcloudapi.com/"),
                Some("ap-shanghai"),
            ),
            (
                "https://cmq-xx.public.tencenttdmq.com",
                Some("https://tdmq.tencentcloudapi.com/"),
                None,
            ),
            ("https://cmq-queue-gz.api.qcloud.com", None, None),
            ("http://cmq-topic-bj.api.tencentyun.com", None, None),
            (
                "http://127.0.0.1:8641",
                Some("http://127.0.0.1:8641/"),
                None,
            ),
            (
                "https://gw.example.com:8443/cmq/",
                Some("https://gw.example.com:8443/"),
                None,
            ),
        ];
        for (url, control, region) in cases {
            let data = ep(url);
            assert_eq!(
                default_control_endpoint(&data).map(|e| e.url().to_owned()),
                control.map(str::to_owned),
                "{url}"
            );
            assert_eq!(region_of(&data).as_deref(), region, "{url}");
        }
    }
}
