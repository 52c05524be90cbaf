//! XPath evaluation on a worker thread with a time limit.
//!
//! `xee` has no work budget and cannot be interrupted, so the only bound on the time of
//! one evaluation is to run it elsewhere and stop waiting: an evaluation that has not
//! finished after [`XPATH_TIME_LIMIT`] fails with a limit error, and the run goes on (or
//! stops at its own time limit, which it checks between criteria).
//!
//! A thread cannot be killed, so the abandoned evaluation ("a straggler") keeps its
//! thread until it ends by itself. To bound the CPU stragglers take, at most
//! [`MAX_XPATH_STRAGGLERS`] exist at a time; while that many run, a new XPath evaluation
//! fails at once with a limit error instead of starting. In the CLI, a straggler ends
//! with the process. Most queries that could run long are refused before they start
//! (see `policy.rs`), so a straggler is a query whose cost grows with a large XML text.
//!
//! The worker has its own stack of [`WORKER_STACK`] bytes, so the depth `xee` may
//! recurse to does not depend on the thread the caller runs on (a tokio worker has
//! 2 MiB). Parsing a query (`xee`'s parser, a chumsky combinator, takes about 260 KiB
//! of stack for `count(//a) > 0` in a debug build) runs on such a thread too, through
//! [`on_own_stack`], without the time limit: the bounds checked before it bound its
//! work.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};

use crate::limits::{MAX_XPATH_STRAGGLERS, XPATH_TIME_LIMIT};

/// The stack of an XPath worker thread.
const WORKER_STACK: usize = 8 << 20;

/// Abandoned evaluations still running.
static STRAGGLERS: AtomicUsize = AtomicUsize::new(0);

const RUNNING: u8 = 0;
const DONE: u8 = 1;
const ABANDONED: u8 = 2;

/// Why an evaluation on the worker produced no value.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A bound of [`crate::limits`] was reached.
    Limit(String),
    /// The query failed (a dynamic error, a bad context).
    Query(String),
}

/// Runs `job` on a thread with a stack of [`WORKER_STACK`] bytes and waits for it.
/// `Err` only when the thread cannot start or `job` panics.
pub(crate) fn on_own_stack<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    std::thread::Builder::new()
        .name("arazzo-xpath-parse".into())
        .stack_size(WORKER_STACK)
        .spawn(job)
        .map_err(|e| format!("cannot start a thread to parse XPath: {e}"))?
        .join()
        .map_err(|_| "the XPath parser panicked".to_owned())
}

/// Runs `job` on a worker thread and waits at most [`XPATH_TIME_LIMIT`] for it.
pub(crate) fn run<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    let running = STRAGGLERS.load(Ordering::Acquire);
    if running >= MAX_XPATH_STRAGGLERS {
        return Err(Failure::Limit(format!(
            "an earlier XPath evaluation is still running past the time limit of {} s; \
             XPath is not evaluated until it ends",
            XPATH_TIME_LIMIT.as_secs_f64()
        )));
    }
    let state = Arc::new(AtomicU8::new(RUNNING));
    let (tx, rx) = mpsc::sync_channel(1);
    let worker_state = Arc::clone(&state);
    let spawned = std::thread::Builder::new()
        .name("arazzo-xpath".into())
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let out = catch_unwind(AssertUnwindSafe(job))
                .unwrap_or_else(|_| Err(Failure::Query("the XPath evaluator panicked".into())));
            // Nobody may be waiting any more; the value is then dropped.
            let _ = tx.send(out);
            if worker_state.swap(DONE, Ordering::AcqRel) == ABANDONED {
                STRAGGLERS.fetch_sub(1, Ordering::AcqRel);
            }
        });
    let worker = match spawned {
        Ok(handle) => handle,
        Err(e) => {
            return Err(Failure::Limit(format!(
                "cannot start a thread to evaluate XPath: {e}"
            )));
        }
    };
    match rx.recv_timeout(XPATH_TIME_LIMIT) {
        Ok(out) => {
            // The value is sent; wait for the thread's own teardown too, so that a
            // finished evaluation leaves no thread behind (only a straggler does).
            let _ = worker.join();
            out
        }
        Err(RecvTimeoutError::Timeout) => {
            // Count the straggler before marking it, so that its own decrement (which
            // only happens after it sees the mark) never comes first.
            STRAGGLERS.fetch_add(1, Ordering::AcqRel);
            if state.swap(ABANDONED, Ordering::AcqRel) == DONE {
                // It finished in between: not a straggler, and its value is there.
                STRAGGLERS.fetch_sub(1, Ordering::AcqRel);
                let _ = worker.join();
                return rx
                    .recv()
                    .unwrap_or_else(|_| Err(Failure::Query("the XPath evaluator stopped".into())));
            }
            Err(Failure::Limit(format!(
                "the XPath evaluation did not finish within the time limit of {} s",
                XPATH_TIME_LIMIT.as_secs_f64()
            )))
        }
        Err(RecvTimeoutError::Disconnected) => {
            let _ = worker.join();
            Err(Failure::Query("the XPath evaluator stopped".into()))
        }
    }
}
