//! Convergence conditions as property tests: generate scenarios within bounds, run them, state what
//! must hold, and let proptest hunt for a counterexample — which comes back as a scenario file that
//! `neuragent run` replays.
//!
//! Behind the cargo feature `testing` (it brings in `proptest`); in a crate's tests:
//!
//! ```toml
//! [dev-dependencies]
//! neuragent = { version = "0.1", features = ["testing"] }
//! ```
//!
//! Three parts:
//!
//! * **Strategies** ([`Bounds`], [`strategies`]): proptest strategies for topologies, activations,
//!   delays, link models (drops, timeouts, per-link overrides), fault schedules, rules and whole
//!   scenarios, each within bounds the caller sets. Every generated scenario is valid: it passes
//!   `neuragent validate`, and its RON text parses back to the same value.
//! * **Trajectories** ([`Trajectory`], [`states`], [`message_trace`]): run a scenario and read what
//!   it did — the metrics of every checkpoint, the final weights and message counts, the weights at
//!   every checkpoint, every message and its fate; [`reference_states`] — the dense oracle of a rule
//!   (exact attention: backprop) on the same samples.
//! * **Replayable failures** ([`Property`], [`check`]): runs a property over generated cases; when
//!   one fails, proptest shrinks it, and the panic message is the smallest failing scenario as a
//!   complete RON file (its seed included), also saved under `target/counterexamples/`. `neuragent
//!   run FILE` reproduces it exactly. Proptest's seeds go to its regression file as usual.
//!
//! ## A convergence property in a dozen lines
//!
//! Exact attention learns separable blobs through links that delay messages and drop a few:
//!
//! ```
//! use neuragent::scenario::RuleSpec;
//! use neuragent::testing::{check, prop_assert, Bounds, Trajectory};
//!
//! let bounds = Bounds::blobs()
//!     .rules([RuleSpec::Attention])
//!     .drop_probability(0.0..=0.1)
//!     .mean_delay(0.5..=2.0);
//! check("attention-learns-blobs", 4, bounds.scenarios(), |scenario| {
//!     let run = Trajectory::of(&scenario)?;
//!     let accuracy = run.final_accuracy().unwrap_or(0.0);
//!     prop_assert!(accuracy >= 0.8, "final test accuracy {accuracy}");
//!     Ok(())
//! });
//! ```
//!
//! `PROPTEST_CASES` overrides the number of cases (4 here). `docs/convergence.md` lists the
//! project's own conditions, the sweeps that measured where each stops holding, and their tests;
//! `examples/convergence_property.rs` states the same for estimated attention, as a program.

mod check;
pub mod strategies;
mod trajectory;

pub use check::{check, config, Counterexample, Property, Replay};
pub use strategies::{Bounds, DelayKind, FaultKind, RuleKind, Shape};
pub use trajectory::{
    message_trace, reference_states, states, Fate, State, TracedMessage, Trajectory,
};

pub use proptest;
pub use proptest::prelude::{any, prop, Just, Strategy};
pub use proptest::test_runner::{TestCaseError, TestCaseResult};
pub use proptest::{prop_assert, prop_assert_eq, prop_assert_ne, prop_assume};
