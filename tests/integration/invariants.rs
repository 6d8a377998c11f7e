//! The simulator's own conditions over generated scenarios, through the public testing API: common
//! random numbers, determinism, message conservation under any faults, and no panic or non-finite
//! output however hostile the scenario. Equivalence with the dense oracle over whole runs is in
//! `equivalence.rs`; `docs/convergence.md` gives the theory of each condition and its test.

use std::collections::BTreeMap;
use std::process::Command;

use neuragent::plan::Plan;
use neuragent::scenario::{Delay, Fault, Scenario};
use neuragent::testing::{
    message_trace, prop_assert, prop_assert_eq, prop_assume, Bounds, Fate, Property, Strategy,
    Trajectory,
};
use proptest::prelude::*;

use crate::common::{cases, fails_somewhere};

/// Another link model, drop probability or set of faults for the same seed.
fn other_links() -> impl Strategy<Value = (f64, Delay, Delay, Vec<Fault>)> {
    let b = Bounds::default();
    let fault = prop_oneof![
        (0.0f64..0.05, 1.0f64..20.0, any::<bool>()).prop_map(|(r, m, lose)| {
            Fault::RandomCrashes {
                rate_per_sample: r,
                mean_downtime_samples: m,
                lose_state: lose,
            }
        }),
        (0.0f64..0.05, 1.0f64..20.0).prop_map(|(r, m)| Fault::RandomCuts {
            rate_per_sample: r,
            mean_downtime_samples: m,
        }),
    ];
    (
        0.0f64..=1.0,
        neuragent::testing::strategies::delay(&b),
        neuragent::testing::strategies::delay(&b),
        prop::collection::vec(fault, 0..=2),
    )
}

/// Common random numbers, first half: changing the drop probability, the faults or the delay model
/// changes neither the initial weights, the feedback weights, the data nor its order.
#[test]
fn the_link_model_and_faults_change_neither_weights_nor_data_order() {
    Property::new("crn-streams").cases(cases(64)).check(
        (Bounds::default().scenarios(), other_links()),
        |(s, (p, forward, attention, faults))| {
            let mut t = s.clone();
            t.links.drop_probability = p;
            t.links.forward_delay = forward;
            t.links.attention_delay = attention;
            t.links.wait_timeout = Some(s.links.wait_timeout.unwrap_or(5));
            t.faults = faults;
            let (a, b) = (Plan::new(&s)?, Plan::new(&t)?);
            prop_assert!(a.initial() == b.initial(), "initial weights differ");
            prop_assert!(a.schedule == b.schedule, "data order differs");
            prop_assert!(a.feedback == b.feedback, "feedback weights differ");
            prop_assert!(a.dataset == b.dataset, "data differs");
            Ok(())
        },
    );
}

/// A scenario without faults (drops up to 0.6, any link model and overrides, pipelining, every
/// rule) and how much to raise its drop probability.
fn monotone_cases() -> impl Strategy<Value = (Scenario, f64)> {
    (
        Bounds::default()
            .faults(0..=0, [])
            .drop_probability(0.0..=0.6)
            .scenarios(),
        0.01f64..=0.4,
    )
}

/// Every message dropped at `s`'s drop probability is dropped, suppressed or never sent at `p'`
/// (the run with `p'` may be `other` with another seed, to show the check can fail). Returns how
/// many of the messages dropped at p were sent at p' too: the ones the check compared. (Not all of
/// them are: more drops upstream at p' leave fewer messages to send downstream.)
fn dropped_again(s: &Scenario, other: &Scenario) -> Result<usize, TestCaseError> {
    let (small, _) = message_trace(s)?;
    let (big, _) = message_trace(other)?;
    let fate: BTreeMap<(&str, usize, usize), Fate> = big.iter().map(|m| (m.id(), m.fate)).collect();
    let mut both = 0;
    for m in small.iter().filter(|m| m.fate == Fate::Dropped) {
        match fate.get(&m.id()) {
            None | Some(Fate::Dropped) | Some(Fate::Suppressed(_)) => {}
            Some(f) => prop_assert!(
                false,
                "{} {} of sample {} on link {} dropped at p = {} but {f:?} at p' = {}",
                m.kind,
                m.from,
                m.sample,
                m.link,
                s.links.drop_probability,
                other.links.drop_probability
            ),
        }
        both += usize::from(fate.contains_key(&m.id()));
    }
    Ok(both)
}

/// Common random numbers, second half, on message-level traces: a message dropped at p is dropped
/// at every p' > p (monotone coupling). Over the cases, thousands of messages dropped at p are sent
/// at p' too: the check is not vacuous.
#[test]
fn a_message_dropped_at_p_is_dropped_at_every_larger_p() {
    let compared = std::sync::atomic::AtomicUsize::new(0);
    let n = cases(48);
    Property::new("crn-monotone")
        .cases(n)
        .check(monotone_cases(), |(s, delta)| {
            let mut t = s.clone();
            t.links.drop_probability = (s.links.drop_probability + delta).min(1.0);
            let both = dropped_again(&s, &t)?;
            compared.fetch_add(both, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        });
    let compared = compared.into_inner();
    assert!(
        compared >= 10 * n as usize,
        "only {compared} dropped messages compared over {n} cases"
    );
}

/// Without common random numbers (another seed at p') the check above fails.
#[test]
fn another_seed_breaks_the_monotone_coupling() {
    let failed = fails_somewhere(
        "crn-monotone-other-seed",
        32,
        monotone_cases(),
        |(s, delta)| {
            prop_assume!(s.links.drop_probability > 0.1);
            let mut t = s.clone();
            t.links.drop_probability = (s.links.drop_probability + delta).min(1.0);
            t.seed = s.seed.wrapping_add(1);
            dropped_again(&s, &t).map(|_| ())
        },
    );
    assert!(failed, "independent draws are not monotone");
}

/// Everything a run writes except its wall time, and its final weights to the bit.
fn fingerprint(run: &Trajectory) -> (Vec<(&'static str, Vec<u8>)>, Vec<u64>) {
    let mut files = run.outputs().expect("outputs render");
    for (name, bytes) in &mut files {
        if *name == "summary.json" {
            let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            v.as_object_mut().unwrap().remove("wall_seconds");
            *bytes = serde_json::to_vec(&v).unwrap();
        }
    }
    let p = &run.params;
    (
        files,
        p.weights
            .iter()
            .chain(&p.biases)
            .map(|v| v.to_bits())
            .collect(),
    )
}

/// Determinism: the same scenario and seed, run again and on two threads at once, give the same
/// files byte for byte and the same weights bit for bit, faults and all.
#[test]
fn runs_repeat_exactly_on_any_thread() {
    let bounds = Bounds::default().faults(0..=3, Bounds::hostile().fault_kinds);
    Property::new("determinism")
        .cases(cases(24))
        .check(bounds.scenarios(), |s| {
            let first = fingerprint(&Trajectory::of(&s)?);
            let (a, b) = std::thread::scope(|scope| {
                let a = scope.spawn(|| Trajectory::of(&s).map(|t| fingerprint(&t)));
                let b = scope.spawn(|| Trajectory::of(&s).map(|t| fingerprint(&t)));
                (a.join().unwrap(), b.join().unwrap())
            });
            prop_assert!(a? == first, "a second run on another thread differs");
            prop_assert!(b? == first, "a third run differs");
            Ok(())
        });
}

/// Determinism over `--jobs`: a sweep over generated scenarios gives the same tables with one
/// worker and with two.
#[test]
fn sweeps_of_generated_scenarios_repeat_over_jobs() {
    let bin = env!("CARGO_BIN_EXE_neuragent");
    let bounds = Bounds::default().faults(0..=2, Bounds::hostile().fault_kinds);
    Property::new("determinism-jobs")
        .cases(cases(2))
        .check(bounds.scenarios(), |s| {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("base.ron"), s.to_ron()).unwrap();
            std::fs::write(
                dir.path().join("g.sweep.ron"),
                "Sweep(name: \"g\", base: \"base.ron\", seeds: Range(start: 0, end: 3), \
                 grid: [(\"learning.epochs\", [1, 2])])",
            )
            .unwrap();
            let tables = |jobs: &str| {
                let out = dir.path().join(format!("jobs{jobs}"));
                let status = Command::new(bin)
                    .args(["sweep", "--quiet", "--jobs", jobs, "--out"])
                    .arg(&out)
                    .arg(dir.path().join("g.sweep.ron"))
                    .output()
                    .unwrap();
                assert!(status.status.code() != Some(2), "{status:?}");
                ["results.csv", "points.csv"].map(|f| std::fs::read(out.join(f)).unwrap())
            };
            prop_assert!(tables("1") == tables("2"), "--jobs 1 and --jobs 2 differ");
            Ok(())
        });
}

/// Message conservation under any generated faults: for each kind and layer, the counters agree
/// with the message trace, and `sent = delivered + dropped + in flight at the end`.
#[test]
fn every_message_is_delivered_dropped_or_in_flight_per_kind_and_layer() {
    let mut bounds = Bounds::hostile();
    bounds.lr = 0.01..=0.1;
    bounds.mean_delay = 0.0..=20.0;
    bounds.wait_timeout = Some(1..=12);
    Property::new("conservation")
        .cases(cases(48))
        .check(bounds.scenarios(), |s| {
            let (messages, report) = message_trace(&s)?;
            let m = &report.messages;
            let total = m.total();
            prop_assert_eq!(
                total.sent,
                total.delivered + total.dropped + report.in_flight_at_end
            );
            if report.diverged.is_some() {
                // The run stopped with samples unfinished: fates of their messages are not all
                // written.
                return Ok(());
            }
            let mut traced: BTreeMap<(usize, usize), [u64; 6]> = BTreeMap::new();
            for msg in &messages {
                let kind = match msg.kind.as_str() {
                    "forward" => 0,
                    "attention" => 1,
                    _ => 2,
                };
                let c = traced.entry((msg.layer, kind)).or_default();
                let i = match msg.fate {
                    Fate::OnTime(_) => 0,
                    Fate::Late(_) => 1,
                    Fate::Dropped => 2,
                    Fate::Suppressed(_) => 3,
                    Fate::InFlight(_) => 4,
                };
                c[i] += 1;
            }
            let mut in_flight = 0;
            for layer in 0..m.layers() {
                for (kind, counts) in m.layer(layer).iter().enumerate() {
                    let [on_time, late, dropped, suppressed, flying, _] =
                        traced.get(&(layer, kind)).copied().unwrap_or_default();
                    let at = format!("layer {layer}, kind {kind}: {counts:?}");
                    prop_assert_eq!(
                        counts.sent,
                        counts.delivered + counts.dropped + flying,
                        "{}",
                        at
                    );
                    prop_assert_eq!(counts.delivered, on_time + late, "{}", at);
                    prop_assert_eq!(counts.late, late, "{}", at);
                    prop_assert_eq!(counts.dropped, dropped, "{}", at);
                    prop_assert_eq!(counts.suppressed, suppressed, "{}", at);
                    in_flight += flying;
                }
            }
            prop_assert_eq!(in_flight, report.in_flight_at_end);
            Ok(())
        });
}

/// No panic and no non-finite number in any output, however hostile the scenario: every neuron
/// crashed, every synapse cut, drop probability 1, delays thousands of times the timeout, learning
/// rates that diverge.
#[test]
fn hostile_scenarios_never_panic_nor_write_non_finite_numbers() {
    Property::new("hostile")
        .cases(cases(48))
        .check(Bounds::hostile().scenarios(), |s| {
            let run = Trajectory::of(&s)?;
            let bad = run.non_finite_outputs()?;
            prop_assert!(bad.is_empty(), "{}", bad.join("\n"));
            Ok(())
        });
}

/// The generators of the two properties above reach the cases that make them bite: messages in
/// flight at the end, drops, every neuron crashed, every synapse cut, drop probability 1, delays
/// beyond the timeout, divergence.
#[test]
fn the_hostile_generator_reaches_the_extremes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = Bounds::hostile().scenarios();
    let (mut in_flight, mut dropped, mut everything_down, mut p1, mut diverged) = (0, 0, 0, 0, 0);
    for _ in 0..100 {
        let s = strategy.new_tree(&mut runner).unwrap().current();
        let crashed = s
            .faults
            .iter()
            .filter(|f| matches!(f, Fault::Crash { .. }))
            .count();
        let neurons = 3 + s.network.hidden.iter().sum::<usize>() + 3;
        everything_down += usize::from(crashed >= neurons);
        p1 += usize::from(s.links.drop_probability == 1.0);
        let run = Trajectory::of(&s).unwrap();
        in_flight += usize::from(run.summary.messages.in_flight_at_end > 0);
        dropped += usize::from(run.summary.messages.total.dropped > 0);
        diverged += usize::from(run.summary.diverged.is_some());
    }
    for (what, n) in [
        ("messages in flight at the end", in_flight),
        ("drops", dropped),
        ("every neuron crashed", everything_down),
        ("drop probability 1", p1),
        ("divergence", diverged),
    ] {
        assert!(n >= 2, "{what}: {n} of 100");
    }
}

/// The output check sees a number that is not finite where the summary must hold one.
#[test]
fn the_output_check_finds_a_non_finite_loss() {
    use proptest::strategy::ValueTree;
    let s = Bounds::default()
        .scenarios()
        .new_tree(&mut proptest::test_runner::TestRunner::deterministic())
        .unwrap()
        .current();
    let mut run = Trajectory::of(&s).unwrap();
    assert!(run.non_finite_outputs().unwrap().is_empty());
    run.summary.final_test_loss = f64::NAN;
    run.summary.final_alignment = vec![Some(f64::INFINITY)];
    let bad = run.non_finite_outputs().unwrap();
    assert!(bad.iter().any(|b| b.contains("final_test_loss")), "{bad:?}");
}
