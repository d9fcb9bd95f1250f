//! Which API a handle manages queues, topics and subscriptions with.
//!
//! TDMQ for CMQ serves the data plane (send, receive, delete, publish) over API 2.0 and the
//! management of queues, topics and subscriptions over Tencent Cloud API 3.0 (the API 2.0
//! control plane was retired on 2022-12-31); legacy CMQ hosts speak API 2.0 for everything, and
//! `cmq-mock` serves API 2.0. A handle's data-plane calls always use API 2.0; its management
//! calls use the API [`Client::management_api`] names.

use crate::{Client, Error, region};

/// The API a client's handles manage queues, topics and subscriptions with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ManagementApi {
    /// CMQ HTTP API 2.0 (`CreateQueue`, `GetQueueAttributes`, …) on the data-plane endpoint.
    Api2,
    /// Tencent Cloud API 3.0 (`CreateCmqQueue`, `DescribeCmqQueueDetail`, …) on the client's
    /// control-plane endpoint, with its region.
    Api3,
}

impl Client {
    /// The API this client's handles manage queues, topics and subscriptions with:
    ///
    /// * a legacy CMQ endpoint (`*.api.qcloud.com`, `*.api.tencentyun.com`; no control-plane
    ///   endpoint) → [`ManagementApi::Api2`];
    /// * a TDMQ endpoint (`cmq-{region}.public.tencenttdmq.com`,
    ///   `{region}.mqadapter.cmq.tencentyun.com`) → [`ManagementApi::Api3`] (a region the host
    ///   does not name must be set with [`ClientBuilder::region`](crate::ClientBuilder::region),
    ///   or the calls fail with [`Error::Config`]);
    /// * any other endpoint (`cmq-mock`, a gateway) → API 3.0 when the client has a control-plane
    ///   endpoint and a region ([`ClientBuilder::region`](crate::ClientBuilder::region)), else
    ///   API 2.0.
    ///
    /// ```
    /// use cmq_sdk::{Client, Credentials, handles::ManagementApi};
    /// let creds = || Credentials::new("AKIDexample", "secret");
    /// let tdmq = Client::new("https://cmq-gz.public.tencenttdmq.com", creds()).unwrap();
    /// assert_eq!(tdmq.management_api(), ManagementApi::Api3);
    /// let legacy = Client::new("https://cmq-queue-gz.api.qcloud.com", creds()).unwrap();
    /// assert_eq!(legacy.management_api(), ManagementApi::Api2);
    /// let mock = Client::new("http://127.0.0.1:8641", creds()).unwrap();
    /// assert_eq!(mock.management_api(), ManagementApi::Api2);
    /// ```
    pub fn management_api(&self) -> ManagementApi {
        if self.control_endpoint().is_none() {
            ManagementApi::Api2
        } else if region::is_tdmq_host(self.endpoint().host()) || self.api3_region().is_some() {
            ManagementApi::Api3
        } else {
            ManagementApi::Api2
        }
    }

    /// True when handles manage over API 3.0.
    pub(crate) fn manages_with_api3(&self) -> bool {
        self.management_api() == ManagementApi::Api3
    }
}

/// The error of a management call that only API 3.0 offers, on a client that manages over API
/// 2.0.
pub(crate) fn api3_only(what: &str) -> Error {
    Error::Config(format!(
        "{what} exists only in Tencent Cloud API 3.0, and this client manages over API 2.0 (a legacy CMQ host, or a local endpoint without a region: set ClientBuilder::region)"
    ))
}
