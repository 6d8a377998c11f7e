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
//!  scenario.ron ──► scenario ──► Scenario (validated, defaults filled)
//!                                   │
//!           ┌───────────────────────┼──────────────────────────┐
//!           ▼                       ▼                          ▼
//!         data                  topology                     rng
//!   Dataset (train/test)   petgraph DAG → flat         one ChaCha stream
//!                          synapse arrays, Params      per purpose
//!           │                       │                          │
//!           └──────────► run::Setup (schedule, initial weights) ◄┘
//!                                   │
//!                 ┌─────────────────┴─────────────────┐
//!                 ▼                                   ▼
//!        engine::EventEngine                  dense::DenseTrainer
//!   neurons exchange forward, loss and     the same rule on block matrices
//!   attention messages over delayed links  (batches: faer GEMM): oracle, baseline
//!                 │      (both implement trainer::Trainer,      │
//!                 │       both follow rule::LearningRule)       │
//!                 └─────────────────┬─────────────────┘
//!                                   ▼ checkpoints (read-only)
//!                      evaluate ──► run::RunResult ──► output: resolved.ron,
//!                                                      metrics.csv, summary.json,
//!                                                      curves.svg
//! ```
//!
//! * [`scenario`] — the RON schema, defaults and validation (every problem reported at once).
//! * [`data`] — bundled datasets, CSV files, synthetic generators, split and standardization.
//! * [`topology`] — neurons and synapses as a `petgraph` graph, compiled so that every neuron's
//!   incoming weights are one contiguous slice; [`topology::Params`] holds weights and biases.
//! * [`rule`] — the [`rule::LearningRule`] trait (exact attention, greedy attention, feedback
//!   alignment) and the per-neuron SGD optimizer.
//! * [`engine`] — the discrete-event simulation; [`dense`] — the reference trainer.
//! * [`trainer`] — the schedule, checkpoints and message counts both engines share.
//! * [`run`], [`evaluate`], [`output`], [`plot`], [`cli`] — running a scenario and writing its folder.
//!
//! ## Determinism
//!
//! * Simulated time is an integer tick count. Events are ordered by `(time, seq)`, where `seq`
//!   increases at every insertion, so simultaneous events resolve in the order they were scheduled.
//! * Every random draw comes from a ChaCha stream keyed by the seed and a [`rng::Purpose`]; changing
//!   the delay model never changes the initial weights or the data order.
//! * Nothing on the simulation path iterates a hash map, and there is no parallelism inside a run.
//! * Observation (evaluation at checkpoints, message counts) reads state and draws nothing.
//!
//! Same scenario and seed therefore give byte-identical `metrics.csv`, on any machine — except the
//! dense trainer at batch sizes above 1: its matrix products (faer's GEMM) add up in an order that
//! follows the CPU's vector width and caches, so the same machine gives the same bits and another may
//! differ in the last ones. Evaluation and gradient alignment use portable products and never do.
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
pub mod output;
pub mod plot;
pub mod rng;
pub mod rule;
pub mod run;
pub mod scenario;
pub mod topology;
pub mod trainer;
