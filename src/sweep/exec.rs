//! Running many independent runs on every core: a work queue on a `rayon` pool, a stop flag that
//! SIGINT and SIGTERM set, and progress bars.
//!
//! Runs share nothing, so each is computed exactly as it would be alone: the results are the same
//! bytes for any number of threads. When a stop is requested no new run starts, and the caller
//! returns at once; runs in progress are abandoned (their results are never written).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static STOP: AtomicBool = AtomicBool::new(false);

/// Asks every running sweep, check, edge search or comparison to stop (what SIGINT does).
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// Whether a stop was requested.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// The work was stopped before it finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("interrupted after {done} of {total} runs")]
pub struct Interrupted {
    /// Items finished.
    pub done: usize,
    /// Items in all.
    pub total: usize,
}

/// The number of threads for `jobs` (0: one per core).
pub fn threads(jobs: usize) -> usize {
    if jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        jobs
    }
}

/// Applies `work` to every item on `jobs` threads (0: every core), items started in order, calling
/// `done` on the calling thread as each finishes. Returns the results in item order, or
/// [`Interrupted`] as soon as a stop is requested.
pub fn parallel<I, T, W, D>(
    items: Vec<I>,
    jobs: usize,
    work: W,
    mut done: D,
) -> Result<Vec<T>, Interrupted>
where
    I: Send + 'static,
    T: Send + 'static,
    W: Fn(I) -> T + Send + Sync + 'static,
    D: FnMut(&T),
{
    let total = items.len();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads(jobs))
        .thread_name(|i| format!("neuragent-worker-{i}"))
        .build()
        .expect("a thread pool can be built");
    let work = Arc::new(work);
    let (tx, rx) = mpsc::channel();
    for (i, item) in items.into_iter().enumerate() {
        let (tx, work) = (tx.clone(), Arc::clone(&work));
        pool.spawn_fifo(move || {
            if stop_requested() {
                return;
            }
            // A panic (a bug, never bad input) is carried to the caller's thread rather than
            // aborting the process from a pool thread.
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(item)));
            let _ = tx.send((i, out));
        });
    }
    drop(tx);
    let mut results: Vec<Option<T>> = (0..total).map(|_| None).collect();
    let mut received = 0;
    while received < total {
        if stop_requested() {
            return Err(Interrupted {
                done: received,
                total,
            });
        }
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok((_, Err(panic))) => std::panic::resume_unwind(panic),
            Ok((i, Ok(out))) => {
                done(&out);
                results[i] = Some(out);
                received += 1;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(Interrupted {
                    done: received,
                    total,
                });
            }
        }
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every item reported"))
        .collect())
}

/// A progress bar on stderr, or nothing when `quiet` or when stderr is not a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar over `total` runs.
    pub fn runs(total: usize, what: &str, quiet: bool) -> Progress {
        Progress::new(
            total as u64,
            &format!("{{spinner}} {what} [{{bar:30}}] {{pos}}/{{len}} runs, {{msg}} {{elapsed}} (ETA {{eta}})"),
            quiet,
        )
    }

    /// A bar over the `total` training samples of one run.
    pub fn samples(total: usize, quiet: bool) -> Progress {
        Progress::new(
            total as u64,
            "{spinner} [{bar:30}] {human_pos}/{human_len} samples, {msg} {elapsed} (ETA {eta})",
            quiet,
        )
    }

    fn new(total: u64, template: &str, quiet: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar: Some(bar) }
    }

    /// Moves the bar to `pos` with the message `msg`.
    pub fn set(&self, pos: u64, msg: String) {
        if let Some(bar) = &self.bar {
            bar.set_position(pos);
            bar.set_message(msg);
        }
    }

    /// Advances the bar by one with the message `msg`.
    pub fn inc(&self, msg: String) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(msg);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
