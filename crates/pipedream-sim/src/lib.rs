//! A loopback simulator of the Pipedream Connect API.
//!
//! The flagship Arazzo workflow (Pipedream Connect account onboarding) must be testable end to
//! end without Pipedream credentials or network access. [`Simulator`] is an in-process HTTP
//! server on `127.0.0.1` that behaves like `https://api.pipedream.com` for the operations the
//! Pipedream workflows use: the OAuth client-credentials token endpoint, Connect tokens
//! (`createToken`, `validateToken`) and connected accounts (`createAccount`, `listAccounts`,
//! `retrieveAccount`, `deleteAccount`). It enforces what the real service enforces (bearer kinds
//! and scopes, the `x-pd-environment` partition, single-use expiring Connect tokens, pagination
//! bounds) and answers with the bodies, headers and status codes that
//! `specs/pipedream/openapi/pipedream-openapi.yml` declares.
//!
//! Tests drive it over real HTTP, then inspect what a client sent ([`Simulator::requests`]) and
//! what the server now holds ([`Simulator::accounts`]). Failures such as rate limiting are
//! injected with [`Simulator::fail_next`], and expiry is tested by moving the simulator's clock
//! ([`Simulator::advance_clock`]) instead of sleeping.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use pipedream_sim::{Operation, SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::default()).await?;
//! sim.fail_next(Operation::CreateToken, 429, Some(1), 1);
//! // … point the client at sim.base_url() and run it …
//! assert_eq!(sim.requests()[0].response.status, 429);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod accounts;
mod apps;
mod guards;
mod http;
mod ids;
mod model;
mod oauth;
mod router;
mod server;
mod state;
mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use model::{
    Account, App, ConnectToken, Environment, Operation, RecordedRequest, RecordedResponse,
    SimConfig, UnknownOperation,
};

use state::{PlannedFailure, Shared};

/// A running simulator. Dropping it stops the server too; [`Simulator::shutdown`] also waits for
/// the server task to finish.
#[derive(Debug)]
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: arazzo_serve::Server,
}

impl Simulator {
    /// Starts a simulator on an ephemeral loopback port (`127.0.0.1:0`).
    pub async fn start(config: SimConfig) -> std::io::Result<Simulator> {
        Simulator::start_on_port(config, 0).await
    }

    /// Starts a simulator on a chosen loopback port (0 picks a free one), for the binary and for
    /// setups that need a fixed URL.
    pub async fn start_on_port(config: SimConfig, port: u16) -> std::io::Result<Simulator> {
        let shared = Arc::new(Shared::new(config));
        let server = server::start(Arc::clone(&shared), port).await?;
        Ok(Simulator {
            shared,
            addr: server.local_addr(),
            server,
        })
    }

    /// The origin to use in place of `https://api.pipedream.com`, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration the simulator runs with.
    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// Every request received so far, oldest first, with the response it got.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().recorded.clone()
    }

    /// Forgets the recorded requests, so a test can look at one phase at a time.
    pub fn clear_requests(&self) {
        self.shared.lock().recorded.clear();
    }

    /// The connected accounts that exist now, in creation order, across every environment.
    pub fn accounts(&self) -> Vec<Account> {
        self.shared.lock().accounts.clone()
    }

    /// Every Connect token minted so far, in creation order, used or not.
    pub fn connect_tokens(&self) -> Vec<ConnectToken> {
        self.shared.lock().connect_tokens.clone()
    }

    /// Makes the next `count` requests routed to `operation` fail with `status` before any other
    /// check. A 429 carries `Retry-After` (when `retry_after_secs` is given), `X-RateLimit-Limit`,
    /// `X-RateLimit-Remaining: 0` and `X-RateLimit-Reset`, and the body `{"error":"Throttled"}`;
    /// other statuses carry `{"error": <reason phrase>}` and `Retry-After` when given. Statuses
    /// outside 200..=599 become 500. Calls queue up: two calls fail the next `a + b` requests.
    pub fn fail_next(
        &self,
        operation: Operation,
        status: u16,
        retry_after_secs: Option<u64>,
        count: usize,
    ) {
        if count == 0 {
            return;
        }
        self.shared
            .lock()
            .failures
            .entry(operation)
            .or_default()
            .push_back(PlannedFailure {
                status,
                retry_after_secs,
                remaining: count,
            });
    }

    /// Moves the simulator's clock forward, so access and Connect tokens expire without waiting.
    /// Timestamps in responses move with it.
    pub fn advance_clock(&self, by: Duration) {
        let mut state = self.shared.lock();
        state.clock_offset = state.clock_offset.saturating_add(by);
    }

    /// Stops accepting connections, closes open ones and waits for the server task to end.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
