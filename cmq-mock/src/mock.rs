//! The in-process mock: `CmqMock::start().await` binds `127.0.0.1:0`, is ready when it returns,
//! and keeps no global state, so parallel tests are safe. A builder sets the port, accounts,
//! clock, strict or relaxed limits, and queues, topics and subscriptions to create at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cmq_sdk::generated::actions::Action;
use cmq_sdk::generated::errors::ErrorId;
use cmq_sdk::generated::profiles::Profile;
use serde::Deserialize;
use serde_json::Value;

use crate::admin::Admin;
use crate::budgets::Budgets;
use crate::clock::Clock;
use crate::engine::{DeliveryLog, Engine, Limits, PushConfig, QueueSnapshot};
use crate::faults::Faults;
use crate::journal::Journal;
use crate::protocol::v2::auth::{AuthMode, Verifier};
use crate::protocol::v2::backend::Backend;
use crate::protocol::v2::service::{RequestContext, ServiceError};
use crate::protocol::v2::wire::WireParams;
use crate::protocol::v3::backend::Api3Backend;
use crate::server::{AdminAccess, RunningServer, Server};
use crate::store::{Store, StoreError};

/// The SecretId of the account every mock has unless told otherwise.
pub const DEFAULT_SECRET_ID: &str = "AKIDcmqmockdefault";
/// The SecretKey of that account.
pub const DEFAULT_SECRET_KEY: &str = "cmq-mock-default-secret-key";

/// Resources to create at start, as the actions' own wire parameters (validated exactly like a
/// request): `{"accounts": [{"secret_id": …, "secret_key": …}], "queues": [{"queueName": "q",
/// "visibilityTimeout": 60}], "topics": [{"topicName": "t", "filterType": 2}], "subscriptions":
/// [{"topicName": "t", "subscriptionName": "s", "protocol": "queue", "endpoint": "q"}]}`. An item
/// may name its account with `"account": "<SecretId>"` (default: the first account). Optional
/// `"budgets"` ([`Budgets`]) and `"admin"` ([`AdminAccess`]) objects replace the builder's.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MockConfig {
    /// Accounts (SecretId/SecretKey pairs).
    #[serde(default)]
    pub accounts: Vec<AccountConfig>,
    /// CreateQueue parameters, one object per queue.
    #[serde(default)]
    pub queues: Vec<serde_json::Map<String, Value>>,
    /// CreateTopic parameters, one object per topic.
    #[serde(default)]
    pub topics: Vec<serde_json::Map<String, Value>>,
    /// Subscribe parameters, one object per subscription.
    #[serde(default)]
    pub subscriptions: Vec<serde_json::Map<String, Value>>,
    /// Budgets (every field optional; the defaults otherwise).
    #[serde(default)]
    pub budgets: Option<Budgets>,
    /// Who may reach the admin API.
    #[serde(default)]
    pub admin: Option<AdminAccess>,
}

/// One account. Its SecretId must start with `AKID` (the service refuses any other with
/// 4000/10450, so the mock refuses to start with one). `Debug` does not show the key.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// The SecretId.
    pub secret_id: String,
    /// The SecretKey.
    pub secret_key: String,
}

impl std::fmt::Debug for AccountConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountConfig")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &crate::journal::REDACTED)
            .finish()
    }
}

/// Why the mock could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Binding the port failed.
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
    /// The data directory could not be used (see [`CmqMockBuilder::data_dir`]).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The configuration cannot work (e.g. a SecretId that does not start with `AKID`).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A resource in the configuration was refused.
    #[error("cannot create {what}: {error}")]
    Create {
        /// Which resource.
        what: String,
        /// The CMQ answer.
        error: ServiceError,
    },
}

/// Builds a [`CmqMock`]. `Debug` shows no secret (keys and the admin token are redacted).
#[derive(Debug)]
pub struct CmqMockBuilder {
    addr: SocketAddr,
    clock: Option<Clock>,
    relaxed: bool,
    auth: AuthMode,
    config: MockConfig,
    push: PushConfig,
    route_addrs: Vec<String>,
    data_dir: Option<PathBuf>,
    profile: Profile,
    https_endpoints: bool,
    recreate_block: Option<Duration>,
    budgets: Budgets,
    access: AdminAccess,
}

impl Default for CmqMockBuilder {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            clock: None,
            relaxed: false,
            auth: AuthMode::Verify,
            config: MockConfig::default(),
            push: PushConfig::default(),
            route_addrs: Vec::new(),
            data_dir: None,
            profile: Profile::DEFAULT,
            https_endpoints: false,
            recreate_block: None,
            budgets: Budgets::default(),
            access: AdminAccess::default(),
        }
    }
}

fn object(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

impl CmqMockBuilder {
    /// The address to listen on (default `127.0.0.1:0`, a random free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Listen on `127.0.0.1:port`.
    pub fn port(mut self, port: u16) -> Self {
        self.addr = SocketAddr::from(([127, 0, 0, 1], port));
        self
    }

    /// Adds an account (the first one added replaces the default account).
    pub fn account(mut self, secret_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        self.config.accounts.push(AccountConfig {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
        });
        self
    }

    /// The clock (default: the system clock). Use [`Clock::manual_now`] to drive time by hand.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// A manual clock starting now: shorthand for `.clock(Clock::manual_now())`.
    pub fn manual_clock(self) -> Self {
        self.clock(Clock::manual_now())
    }

    /// Relaxed limits: no quotas, no re-create block, no batch total or delayed-message caps.
    /// Default: strict (the profile's documented limits).
    pub fn relaxed(mut self, relaxed: bool) -> Self {
        self.relaxed = relaxed;
        self
    }

    /// The service generation to emulate (default [`Profile::DEFAULT`], `tdmq`): its name rule,
    /// delay rules, quotas and re-create block, and the constraint table requests are
    /// validated with. [`CmqMock::client`] gives clients of the same profile.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// Accept `https://` endpoints for `http` subscriptions (default: refused with 4000/10500,
    /// as the spec decides for every profile: no source documents them).
    pub fn allow_https_endpoints(mut self, allow: bool) -> Self {
        self.https_endpoints = allow;
        self
    }

    /// How long a deleted queue's or topic's name stays blocked (default: the profile's, 30 s
    /// on tdmq and 10 s on legacy; [`relaxed`](Self::relaxed) makes it zero).
    pub fn recreate_block(mut self, block: Duration) -> Self {
        self.recreate_block = Some(block);
        self
    }

    /// Verify signatures (default) or accept unsigned requests.
    pub fn auth(mut self, mode: AuthMode) -> Self {
        self.auth = mode;
        self
    }

    /// A queue to create at start with the default attributes.
    pub fn queue(self, name: &str) -> Self {
        self.queue_with(serde_json::json!({ "queueName": name }))
    }

    /// A queue to create at start: CreateQueue's wire parameters as a JSON object.
    pub fn queue_with(mut self, params: Value) -> Self {
        self.config.queues.push(object(params));
        self
    }

    /// A topic to create at start: CreateTopic's wire parameters as a JSON object.
    pub fn topic_with(mut self, params: Value) -> Self {
        self.config.topics.push(object(params));
        self
    }

    /// A subscription to create at start: Subscribe's wire parameters as a JSON object.
    pub fn subscription_with(mut self, params: Value) -> Self {
        self.config.subscriptions.push(object(params));
        self
    }

    /// Merges a whole configuration: its accounts and resources are added; its budgets and
    /// admin settings, when present, replace the builder's.
    pub fn config(mut self, config: MockConfig) -> Self {
        self.config.accounts.extend(config.accounts);
        self.config.queues.extend(config.queues);
        self.config.topics.extend(config.topics);
        self.config.subscriptions.extend(config.subscriptions);
        if let Some(b) = config.budgets {
            self.budgets = b;
        }
        if let Some(a) = config.admin {
            self.access = a;
        }
        self
    }

    /// Every budget at once (default [`Budgets::default`]).
    pub fn budgets(mut self, budgets: Budgets) -> Self {
        self.budgets = budgets;
        self
    }

    /// The budgets set so far (the single-budget methods below change one field each).
    pub fn current_budgets(&self) -> &Budgets {
        &self.budgets
    }

    /// Parameters one request may carry (default 256); more answer 4000/10000.
    pub fn max_params(mut self, n: usize) -> Self {
        self.budgets.max_params = n;
        self
    }

    /// Connections served at once (default 1024). At the cap the connection idle the longest is
    /// closed to make room; when none is idle, new connections wait in the listen backlog.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.budgets.max_connections = n;
        self
    }

    /// How long a client may take from the first byte of a request to the end of its headers
    /// (default 30 s).
    pub fn header_timeout(mut self, d: std::time::Duration) -> Self {
        self.budgets.header_timeout = d;
        self
    }

    /// How long a request body may take to arrive (default 60 s).
    pub fn body_timeout(mut self, d: std::time::Duration) -> Self {
        self.budgets.body_timeout = d;
        self
    }

    /// How long a keep-alive connection may sit idle (default 120 s; keep it above your HTTP
    /// client's pool idle timeout, 90 s for reqwest).
    pub fn idle_timeout(mut self, d: std::time::Duration) -> Self {
        self.budgets.idle_timeout = d;
        self
    }

    /// The journal's budgets: records (default 10,000), bytes (default 32 MiB; 0 turns it off)
    /// and the longest value kept whole (default 4 KiB).
    pub fn journal_budget(mut self, records: usize, bytes: u64, value_bytes: u64) -> Self {
        self.budgets.journal_records = records;
        self.budgets.journal_bytes = bytes;
        self.budgets.journal_value_bytes = value_bytes;
        self
    }

    /// Messages one `http` subscription's push backlog holds (default 10,000; the oldest is
    /// dropped beyond it). Overrides [`PushConfig::max_backlog`].
    pub fn push_backlog(mut self, n: usize) -> Self {
        self.budgets.push_backlog = n;
        self
    }

    /// Messages all queues may store together (default 10,000,000); sends beyond answer 4410.
    pub fn max_messages(mut self, n: u64) -> Self {
        self.budgets.max_messages = n;
        self
    }

    /// Bytes all queues may store together, each message counting its body plus 160 B (default
    /// 2 GiB); sends beyond answer 4410.
    pub fn max_memory(mut self, bytes: u64) -> Self {
        self.budgets.max_memory = bytes;
        self
    }

    /// Serve the admin API (`/_mock/…`, default on).
    pub fn admin(mut self, enabled: bool) -> Self {
        self.access.enabled = enabled;
        self
    }

    /// Require `Authorization: Bearer <token>` on every admin request (default: no token).
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.access.token = Some(token.into());
        self
    }

    /// Accept this `Host` name for admin requests besides the loopback names and the listen
    /// address (`*`: any name; use a token then). Repeatable.
    pub fn admin_host(mut self, name: impl Into<String>) -> Self {
        self.access.hosts.push(name.into());
        self
    }

    /// Push settings (timeouts, retry schedule, a seed for BACKOFF_RETRY jitter).
    pub fn push_config(mut self, push: PushConfig) -> Self {
        self.push = push;
        self
    }

    /// Addresses QueryQueueRoute and QueryTopicRoute answer with (default none: the mock serves
    /// no TCP broker protocol).
    pub fn route_addrs(mut self, addrs: Vec<String>) -> Self {
        self.route_addrs = addrs;
        self
    }

    /// Keeps everything in `dir` (created if missing): the mock starts with what a previous
    /// run left there, and a request answered with code 0 is on disk before its answer leaves.
    /// Resources the configuration names that already exist there are left as they are. See
    /// the README (persistence) for what survives and how time resumes.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Starts the mock; it is serving when this returns.
    ///
    /// # Errors
    /// [`StartError::Config`] for an account whose SecretId does not start with `AKID` (the
    /// service answers every request of such an id with 4000/10450, so it could never be used),
    /// [`StartError::Io`] when the address cannot be bound, [`StartError::Create`] when a
    /// resource of the configuration is refused.
    pub async fn start(self) -> Result<CmqMock, StartError> {
        let clock = self.clock.unwrap_or_else(Clock::system);
        let mut limits = Limits::for_profile(self.profile);
        if self.relaxed {
            limits = limits.relax();
        }
        limits.recreate_block = self.recreate_block.unwrap_or(limits.recreate_block);
        limits.https_endpoints |= self.https_endpoints;
        limits.max_messages = self.budgets.max_messages;
        limits.max_memory = self.budgets.max_memory;
        let mut push = self.push;
        push.max_backlog = self.budgets.push_backlog;
        let mut accounts = self.config.accounts.clone();
        if accounts.is_empty() {
            accounts.push(AccountConfig {
                secret_id: DEFAULT_SECRET_ID.into(),
                secret_key: DEFAULT_SECRET_KEY.into(),
            });
        }
        if let Some(bad) = accounts.iter().find(|a| !a.secret_id.starts_with("AKID")) {
            return Err(StartError::Config(format!(
                "SecretId {:?} does not start with AKID: Tencent Cloud refuses such ids (4000/10450 \"secret id dosen't begin with AKID\"), and so does the mock; use e.g. AKID{}",
                bad.secret_id, bad.secret_id
            )));
        }
        let engine = Engine::with_config(clock.clone(), limits, push);
        let mut store = match &self.data_dir {
            Some(dir) => Some(crate::store::attach(&engine, &clock, dir)?),
            None => None,
        };
        for a in &accounts {
            engine.add_account(&a.secret_id, &a.secret_key);
        }
        let default_account = accounts[0].secret_id.clone();
        let backend = Arc::new(Backend::new(engine.clone(), self.route_addrs));
        let faults = Arc::new(Faults::new());
        let journal = Arc::new(self.budgets.journal());
        // Clients sign with their own wall-clock Timestamp (the SDK, the Python SDK, …), so the
        // ±300 s window is checked against the wall clock even when the mock runs on a manual
        // clock; otherwise every signed request would fail once a test moved virtual time more
        // than five minutes away from real time.
        let verifier = Arc::new(
            Verifier::new(Clock::system())
                .with_mode(self.auth)
                .with_default_account(default_account.clone()),
        );
        let admin = Arc::new(Admin::new(
            backend.clone(),
            clock.clone(),
            faults.clone(),
            journal.clone(),
            verifier.clone(),
        ));
        let extras = store.as_mut().map(|s| s.take_extras()).unwrap_or_default();
        let api3 = Arc::new(Api3Backend::restored(engine.clone(), extras));
        let dashboard = self.access.enabled;
        let server = Server::new(backend.clone(), Arc::new(engine), clock.clone())
            .with_api3(api3)
            .with_verifier(verifier)
            .with_faults(faults)
            .with_journal(journal)
            .with_admin(admin)
            .with_admin_access(self.access)
            .with_limits(self.budgets.server_limits())
            .with_store_log(store.as_ref().map(|s| s.log().clone()));
        let running = server.bind(self.addr).await?;
        let mock = CmqMock {
            server: running,
            backend,
            clock,
            accounts,
            dashboard,
            store,
        };
        mock.create_all(&self.config, &default_account).await?;
        if let Some(url) = mock.dashboard_url() {
            tracing::info!("cmq-mock dashboard: {url}");
        }
        Ok(mock)
    }
}

/// The API 3.0 region [`CmqMock::client`] names (`X-TC-Region`). The mock serves every region
/// alike (spec decision U16): any region, or none, reaches the same accounts.
pub const MOCK_REGION: &str = "ap-guangzhou";

/// A running mock. Dropping it stops the server without blocking.
#[derive(Debug)]
pub struct CmqMock {
    server: RunningServer,
    backend: Arc<Backend>,
    clock: Clock,
    accounts: Vec<AccountConfig>,
    /// The admin API, and with it the dashboard, is served.
    dashboard: bool,
    /// With a data directory.
    store: Option<Store>,
}

/// One resource of a [`MockConfig`]: wire parameters as a JSON object.
type Params = serde_json::Map<String, Value>;

/// CreateQueue, CreateTopic or Subscribe refused because the resource exists.
fn already_exists(e: &ServiceError) -> bool {
    matches!(
        e.error,
        ErrorId::QueueAlreadyExists
            | ErrorId::TopicAlreadyExists
            | ErrorId::SubscriptionAlreadyExists
    )
}

/// Turns a JSON object of wire parameters into form parameters (arrays become `name.1…`).
fn wire_params(params: &serde_json::Map<String, Value>) -> WireParams {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for (k, v) in params {
        if k == "account" {
            continue;
        }
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    pairs.push((format!("{k}.{}", i + 1), text(item)));
                }
            }
            other => pairs.push((k.clone(), text(other))),
        }
    }
    WireParams::from_pairs(pairs)
}

impl CmqMock {
    /// Starts a mock with the defaults: `127.0.0.1:0`, the system clock, strict limits, one
    /// account ([`DEFAULT_SECRET_ID`] / [`DEFAULT_SECRET_KEY`]).
    ///
    /// # Panics
    /// Only if no port can be bound on loopback (the test machine is broken); use
    /// [`CmqMock::builder`] and handle the error to avoid that.
    pub async fn start() -> CmqMock {
        match CmqMock::builder().start().await {
            Ok(m) => m,
            Err(e) => panic!("cmq-mock could not start: {e}"),
        }
    }

    /// A builder.
    pub fn builder() -> CmqMockBuilder {
        CmqMockBuilder::default()
    }

    async fn create_all(
        &self,
        config: &MockConfig,
        default_account: &str,
    ) -> Result<(), StartError> {
        let groups: [(&str, Action, &[Params]); 3] = [
            ("queue", Action::CreateQueue, &config.queues),
            ("topic", Action::CreateTopic, &config.topics),
            ("subscription", Action::Subscribe, &config.subscriptions),
        ];
        for (what, action, items) in groups {
            for item in items {
                let account = item
                    .get("account")
                    .and_then(Value::as_str)
                    .unwrap_or(default_account);
                let answer = self.call(account, action, &wire_params(item)).await;
                if self.store.is_some() && answer.as_ref().is_err_and(already_exists) {
                    continue; // kept from the data directory
                }
                answer.map_err(|error| StartError::Create {
                    what: format!("{what} {}", Value::Object(item.clone())),
                    error,
                })?;
            }
        }
        Ok(())
    }

    /// Runs one action as `account` without HTTP (validated exactly like a request); returns the
    /// answer's JSON body.
    pub async fn call(
        &self,
        account: &str,
        action: Action,
        params: &WireParams,
    ) -> Result<Vec<u8>, ServiceError> {
        let ctx = RequestContext {
            action,
            account_id: account.to_owned(),
            request_id: "local".into(),
            client_request_id: None,
        };
        let answer =
            crate::generated::dispatch::dispatch(&*self.backend, &ctx, action, params).await;
        if let Some(store) = &self.store {
            store.log().durable().await.map_err(|why| {
                tracing::error!("cmq-mock: not acknowledged, the data store failed: {why}");
                ServiceError::new(ErrorId::InternalError)
            })?;
        }
        answer
    }

    /// `http://127.0.0.1:PORT` (the SDK adds `/v2/index.php`).
    pub fn endpoint(&self) -> String {
        self.server.endpoint()
    }

    /// The dashboard's address, `http://127.0.0.1:PORT/_mock/ui/` (open it in a browser while
    /// a test holds the mock); `None` when the admin API is off
    /// ([`CmqMockBuilder::admin`]`(false)`), which turns the dashboard off too.
    pub fn dashboard_url(&self) -> Option<String> {
        let mut addr = self.addr();
        if addr.ip().is_unspecified() {
            // Listening on every interface: loopback reaches it, and passes the Host check.
            addr.set_ip(match addr.ip() {
                std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        self.dashboard
            .then(|| format!("http://{addr}{}", crate::admin::ui::UI_PATH))
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The first account's SecretId.
    pub fn secret_id(&self) -> &str {
        &self.accounts[0].secret_id
    }

    /// The first account's SecretKey.
    pub fn secret_key(&self) -> &str {
        &self.accounts[0].secret_key
    }

    /// The first account's credentials for the SDK.
    pub fn credentials(&self) -> cmq_sdk::Credentials {
        cmq_sdk::Credentials::new(self.secret_id(), self.secret_key())
    }

    /// An SDK client for the first account, validating with the mock's profile, configured as
    /// for the live service of that profile: on `tdmq` (API 3.0 available) with the region
    /// [`MOCK_REGION`], so its handles manage queues, topics and subscriptions over API 3.0 on
    /// the mock's port and send, receive and publish over API 2.0, exactly as against TDMQ; on
    /// `legacy`, without a region (API 2.0 for everything).
    pub fn client(&self) -> Result<cmq_sdk::Client, cmq_sdk::Error> {
        let builder = cmq_sdk::Client::builder()
            .endpoint(self.endpoint())
            .credentials(self.credentials())
            .profile(self.profile());
        let builder = if cmq_sdk::generated::v3::available(self.profile()) {
            builder.region(MOCK_REGION)
        } else {
            builder
        };
        builder.build()
    }

    /// The service generation the mock emulates.
    pub fn profile(&self) -> Profile {
        self.engine().limits().profile
    }

    /// The clock: `clock().advance(d)` moves a manual clock and wakes everything due.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The engine behind the server (not part of the public API: for this crate's tests and
    /// benchmarks).
    #[doc(hidden)]
    pub fn engine(&self) -> &Engine {
        self.backend.engine()
    }

    /// A side-effect-free snapshot of a queue of the first account: messages by state and
    /// counters.
    pub fn queue_snapshot(&self, queue: &str) -> Option<QueueSnapshot> {
        self.engine()
            .account(self.secret_id())?
            .inspect_queue(queue)
            .ok()
    }

    /// With a data directory: how many groups the store has committed so far (one fsync
    /// each). Not part of the public API: for this crate's benchmarks.
    #[doc(hidden)]
    pub fn store_commits(&self) -> Option<u64> {
        self.store.as_ref().map(|s| s.log().commits())
    }

    /// With a data directory: the committed groups by size (entry `n` counts the groups of
    /// `n` records, one SendMessage being one record; the last entry counts that many or
    /// more). Not part of the public API: for this crate's benchmarks.
    #[doc(hidden)]
    pub fn store_group_sizes(&self) -> Option<Vec<u64>> {
        self.store.as_ref().map(|s| s.log().group_sizes())
    }

    /// Every push and queue fan-out attempt, with `wait_for` / `expect_none`.
    pub fn deliveries(&self) -> &Arc<DeliveryLog> {
        self.engine().deliveries()
    }

    /// Waits until no push can happen before the clock moves (every push worker finished, or
    /// asleep until a time the clock has not reached); false when `guard` (real time, a hang
    /// guard only) passed first. With a manual clock, checking `deliveries()` after it proves
    /// that nothing was pushed, retried or dropped at the clock's current time, without
    /// watching a window of real time.
    pub async fn pushes_idle(&self, guard: Duration) -> bool {
        tokio::time::timeout(guard, self.engine().pushes_idle())
            .await
            .is_ok()
    }

    /// Fault injection (next N calls answer a code, latency, dropped connections).
    pub fn faults(&self) -> &Arc<Faults> {
        self.server.faults()
    }

    /// The journal of requests.
    pub fn journal(&self) -> &Arc<Journal> {
        self.server.journal()
    }

    /// Deletes every queue, topic, subscription and message, clears faults, the journal and the
    /// delivery log; accounts stay.
    pub fn reset(&self) {
        self.engine().reset();
        self.faults().clear();
        self.journal().clear();
    }

    /// Stops the server, letting in-flight requests finish; with a data directory, then commits
    /// what is pending and closes the store (another mock may open it once this returns).
    pub async fn shutdown(self) {
        self.server.shutdown().await;
        if let Some(store) = self.store {
            let _ = tokio::task::spawn_blocking(move || store.close()).await;
        }
    }
}
