//! The dense trainer's two kinds of matrix products on one epoch of digits (64-32-10 and a wider
//! 64-256-256-10), at several batch sizes: where faer's GEMM starts to pay over nalgebra's
//! matrix-vector products, which `DenseTrainer::new` relies on to choose.
//!
//! `cargo bench --bench dense`

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neuragent::dense::{DenseTrainer, Products};
use neuragent::plan::Plan as Setup;
use neuragent::scenario::{Engine, RuleSpec};
use neuragent::trainer::{Trainer, Unobserved};

fn epoch(setup: &Setup, products: Products) {
    let s = &setup.scenario;
    let rule = s.learning.rule.build();
    let mut trainer = DenseTrainer::with_products(
        &setup.topology,
        rule.as_ref(),
        s.network.activation,
        s.network.output,
        setup.learning.sgd,
        s.learning.batch_size,
        &setup.initial(),
        &setup.feedback,
        products,
    );
    trainer.train(&setup.dataset.train, &setup.schedule, &mut Unobserved);
}

fn products(c: &mut Criterion) {
    for hidden in [vec![32], vec![256, 256]] {
        let name = format!(
            "dense_digits_{}",
            hidden
                .iter()
                .map(|h| h.to_string())
                .collect::<Vec<_>>()
                .join("_")
        );
        let mut group = c.benchmark_group(&name);
        group.sample_size(10);
        for batch in [2, 4, 8, 16, 32, 128] {
            let setup = common::bundled("digits.ron", |s| {
                s.learning.epochs = 1;
                s.learning.rule = RuleSpec::Backprop;
                s.learning.engine = Some(Engine::Dense);
                s.learning.batch_size = batch;
                s.network.hidden = hidden.clone();
            });
            group.throughput(Throughput::Elements(setup.schedule.len() as u64));
            for products in [Products::Portable, Products::Gemm] {
                group.bench_function(format!("{products:?}/batch{batch}"), |b| {
                    b.iter(|| epoch(&setup, products))
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, products);
criterion_main!(benches);
