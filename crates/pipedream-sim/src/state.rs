//! The simulator's server-side state, shared by every connection behind one mutex.
//!
//! Handlers never hold the lock across an `await` (they are synchronous), so a plain
//! `std::sync::Mutex` is enough and keeps the state easy to inspect from tests.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use crate::model::{Account, ConnectToken, Operation, RecordedRequest, SimConfig};

/// An OAuth access token the simulator issued.
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub expires_at: SystemTime,
    pub scopes: Vec<String>,
}

/// Failures queued by `Simulator::fail_next`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlannedFailure {
    pub status: u16,
    pub retry_after_secs: Option<u64>,
    pub remaining: usize,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    /// Added to the wall clock, so tests can jump past expiry without sleeping.
    pub clock_offset: Duration,
    pub access_tokens: HashMap<String, AccessToken>,
    /// In creation order.
    pub connect_tokens: Vec<ConnectToken>,
    /// In creation order.
    pub accounts: Vec<Account>,
    /// The creation sequence number of every account id ever issued, deleted ones included, so a
    /// cursor naming a deleted account still has a position.
    pub account_seq: HashMap<String, u64>,
    pub next_seq: u64,
    pub failures: HashMap<Operation, VecDeque<PlannedFailure>>,
    pub recorded: Vec<RecordedRequest>,
}

impl State {
    /// The simulator's notion of now.
    pub fn now(&self) -> SystemTime {
        SystemTime::now()
            .checked_add(self.clock_offset)
            .unwrap_or_else(SystemTime::now)
    }

    /// Takes the next queued failure for `op`, if any.
    pub fn take_failure(&mut self, op: Operation) -> Option<PlannedFailure> {
        let queue = self.failures.get_mut(&op)?;
        let front = queue.front_mut()?;
        let planned = *front;
        front.remaining = front.remaining.saturating_sub(1);
        if front.remaining == 0 {
            queue.pop_front();
        }
        Some(planned)
    }

    pub fn connect_token_mut(&mut self, token: &str) -> Option<&mut ConnectToken> {
        self.connect_tokens.iter_mut().find(|t| t.token == token)
    }

    pub fn connect_token(&self, token: &str) -> Option<&ConnectToken> {
        self.connect_tokens.iter().find(|t| t.token == token)
    }
}

/// The state plus the configuration it was created with.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: SimConfig,
    /// The `sub` claim of issued access tokens: the simulated workspace.
    pub workspace_id: String,
    state: Mutex<State>,
}

impl Shared {
    pub fn new(config: SimConfig) -> Shared {
        Shared {
            config,
            workspace_id: crate::ids::prefixed_alnum("o_", 7),
            state: Mutex::new(State::default()),
        }
    }

    /// Locks the state. A panic elsewhere while the lock was held (which the handlers are written
    /// never to cause) would poison it; the data is still consistent enough for a test double, so
    /// the poison is ignored rather than propagated as another panic.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
