//! A user's own convergence condition as a property test, the example of `neuragent::testing`:
//! estimated attention learns separable blobs through links that drop up to 10% of the messages and
//! delay them by up to 3 ticks on average. Proptest generates the scenarios within these bounds,
//! runs each, and on a failure prints the smallest failing one as a scenario file that
//! `neuragent run` replays.
//!
//! ```sh
//! cargo run --release --example convergence_property
//! PROPTEST_CASES=100 cargo run --release --example convergence_property
//! ```

use neuragent::scenario::{Estimator, RuleSpec, SendPolicy, Step};
use neuragent::testing::{prop_assert, Bounds, Property, Trajectory};

fn main() {
    let estimated = RuleSpec::EstimatedAttention {
        estimator: Estimator::LastValue,
        send: SendPolicy::Always,
        step: Step::Gradient,
    };
    let bounds = Bounds::blobs()
        .rules([estimated])
        .drop_probability(0.0..=0.1)
        .mean_delay(0.5..=3.0);
    Property::new("estimated-attention-learns-blobs")
        .cases(8)
        .check(bounds.scenarios(), |scenario| {
            let run = Trajectory::of(&scenario)?;
            let accuracy = run.final_accuracy().unwrap_or(0.0);
            prop_assert!(accuracy >= 0.85, "final test accuracy {accuracy}");
            Ok(())
        });
    println!("estimated attention reached 85% on every generated scenario");
}
