//! # neuragent
//!
//! A deterministic discrete-event simulator of neural networks as *societies of neuron agents*. Each
//! neuron owns its incoming weights and learns from a local objective — the attention its next-layer
//! neurons pay it (Soltani Moakhar et al., arXiv 2310.09952) — while the links between neurons delay
//! its messages. `docs/method.md` derives the rule and the conditions under which it equals backprop.
//!
//! ## Architecture
//!
//! ```text
//!  scenario.ron ──► scenario ──► Scenario (parsed, validated, defaults filled: every problem at once)
//!                                   │
//!                                   ▼ resolved once
//!                                plan::Plan ◄── data (train/test), topology (petgraph DAG compiled
//!                                   │           to flat arrays), link classes per synapse, faults as
//!                                   │           ids, rule, optimizer, schedule, rng streams
//!            ┌──────────────────────┼───────────────────────────┐
//!            ▼                      ▼                           ▼
//!    engine::EventEngine   reference::ReferenceEngine    dense::DenseTrainer
//!    one event per neuron  one queue entry per message,  the same rule on block matrices
//!    and wave, fates drawn no fast paths: the oracle     (batches: faer GEMM): the oracle of
//!    at admission; fixed  of the engine under faults    every rule, and the speed baseline
//!    delays: a timetable
//!            └──────────────────────┼───────────────────────────┘
//!                                   ▼ checkpoints (trainer::Observer, read-only)
//!                 run: evaluate, alignment ──► RunResult ──► output: resolved.ron, metrics.csv,
//!                                                            summary.json, curves.svg, trace
//! ```
//!
//! * [`scenario`] — the RON schema, defaults and validation.
//! * [`plan`] — the scenario resolved against its data: link classes and delay distributions per
//!   synapse ([`plan::Channel`]), the fault timeline ([`plan::FaultTimeline`]), everything the engines
//!   read. Nothing downstream looks at the scenario again.
//! * [`data`] — bundled datasets, CSV files, synthetic generators, split and standardization.
//! * [`memory`] — how much memory a run may use (refused up front when it would need more).
//! * [`topology`] — neurons and synapses as a `petgraph` graph (each node weighs its layer; checked
//!   acyclic and numbered in topological order, used for reachability), compiled from the graph alone
//!   so that every neuron's incoming weights are one contiguous slice; [`topology::Params`] holds
//!   weights and biases; [`topology::NeuronId`] and [`topology::SynapseId`] keep the fault plan's
//!   neurons and synapses apart.
//! * [`rule`] — the [`rule::LearningRule`] trait (exact attention, greedy attention, feedback
//!   alignment) and the per-neuron SGD optimizer.
//! * [`engine`] — the fast discrete-event simulation, split by noun (slots, inbox, learner, loss
//!   agent, accounting, estimates, health, trace, the calendar of events, and the timetable that
//!   plans every action when delays are fixed and nothing times out); [`reference`](mod@reference) —
//!   the plain one that checks it;
//!   [`dense`] — the matrix trainer.
//! * [`trainer`] — the schedule, checkpoints and message counts every engine shares.
//! * [`run`], [`evaluate`], [`alignment`], [`output`], [`plot`], [`cli`] — running a scenario and
//!   writing its folder; [`rng`] and [`math`] — the seeded streams and portable maths.
//! * [`sweep`] — stability analysis: seed × parameter sweeps on every core and across a cluster,
//!   convergence checks over seeds, edges by bisection and comparisons (`docs/experiments.md`);
//!   [`scenario::path`] names one field of a scenario for sweeps and `--set`.
//! * `testing` (cargo feature `testing`) — convergence conditions as property tests: proptest
//!   strategies for scenarios within bounds, trajectories, and counterexamples that `neuragent run`
//!   replays (`docs/convergence.md`).
//!
//! ## Determinism
//!
//! * Simulated time is an integer tick count. Events are ordered by a key derived from what they are
//!   — `(tick, class, sample position, stage)` — never by when they were scheduled, so the fast and
//!   the reference engine process the same events in the same order.
//! * Every random draw comes from a ChaCha stream keyed by the seed and a [`rng::Purpose`] with a
//!   fixed number. A message's drop and delay come from its own word of its purpose's stream,
//!   addressed by its sample and synapse ([`rng::MessageDraws`]): changing the delay model never
//!   changes the initial weights or the data order, and a larger drop probability drops a superset of
//!   the same messages.
//! * A neuron adds its inputs in synapse order and the attention it is paid in the order of its
//!   outgoing synapses, whatever the order of arrival.
//! * Nothing on the simulation path iterates a hash map, and there is no parallelism inside a run.
//!   Observation (evaluation at checkpoints, message counts, alignment) reads state and draws nothing.
//! * Transcendental functions come from the pure-Rust `libm` ([`math`]), never from the platform.
//!
//! Same scenario and seed therefore give byte-identical `metrics.csv` on any machine — except the
//! dense trainer at batch sizes above 1: its matrix products (faer's GEMM) add up in an order that
//! follows the CPU's vector width and caches, so the same machine gives the same bits and another may
//! differ in the last ones. Evaluation and gradient alignment use portable products and never do. A
//! test pins the SHA-256 of two bundled scenarios' metrics.
//!
//! ## Example
//!
//! ```
//! use std::path::Path;
//! use neuragent::scenario::Scenario;
//!
//! let scenario = Scenario::parse(
//!     r#"Scenario(
//!         name: "xor",
//!         seed: 1,
//!         data: Xor(samples: 200, noise: 0.1),
//!         network: (hidden: [8], activation: Tanh, output: Softmax),
//!         learning: (rule: Attention, optimizer: Sgd(lr: 0.1), epochs: 30),
//!         links: (forward_delay: Uniform(min: 1, max: 4)),
//!         expect: [FinalTestAccuracy(at_least: 0.9)],
//!     )"#,
//!     Path::new("xor.ron"),
//! )?;
//! let result = neuragent::run::run(&scenario)?;
//! assert!(result.summary.passed);
//! // Every synapse carried one forward message per sample.
//! let forward = result.summary.messages.forward.sent;
//! assert_eq!(forward, (result.summary.synapses * result.summary.samples_seen) as u64);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod activation;
pub mod alignment;
pub mod cli;
pub mod data;
pub mod dense;
pub mod engine;
pub mod evaluate;
mod loss;
pub mod math;
pub mod memory;
pub mod output;
pub mod plan;
pub mod plot;
pub mod reference;
pub mod rng;
pub mod rule;
pub mod run;
pub mod scenario;
pub mod sweep;
#[cfg(feature = "testing")]
pub mod testing;
pub mod topology;
pub mod trainer;
