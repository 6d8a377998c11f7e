//! The timetable of a sample on untimed links with fixed delays.
//!
//! Without a `wait_timeout` nothing is dropped and no fault happens (validation refuses both), so
//! every message arrives and a neuron acts at its wave's last arrival. When no delay of a direction
//! is random, that moment is the same for every sample, counted from the sample's admission: neuron
//! `j` fires `fire[j]` ticks after it, and, when the backward wave is fixed too, learns `credit[j]`
//! ticks after it. The engine then plans each action once, at admission (or when the neuron fires),
//! instead of counting the messages of every wave down, one per synapse.
//!
//! The timetable also tells whether each neuron is paid its attention in the order of its outgoing
//! synapses (the order it adds it up in): a neuron's payers are its targets, and they learn in the
//! order of the timetable and, at one tick, of their credit rank. When that holds for every neuron,
//! the engine adds attention up as it is paid, one number per (sample, neuron), rather than keeping
//! one per (sample, synapse) until the neuron learns; the sum is the same, bit for bit.

use crate::plan::Plan;

/// When each neuron acts, counted from its sample's admission.
#[derive(Debug)]
pub(crate) struct Timetable {
    /// Ticks from admission to each neuron's `Fire` (inputs: 0, they send at admission).
    pub fire: Vec<u64>,
    /// Ticks from admission to each neuron's `Credit`, when the backward wave is fixed too.
    pub credit: Option<Vec<u64>>,
    /// Whether every neuron is paid in the order of its outgoing synapses (needs `credit`).
    pub in_order: bool,
}

impl Timetable {
    /// The timetable of `plan`, if its links have one: untimed, and no random forward delay. The
    /// backward wave has one too without random attention delays, held samples (`holds`) or
    /// estimated attention (`estimating`). `ranks` orders `Credit` actions at one tick.
    pub fn new(
        plan: &Plan,
        timed: bool,
        holds: bool,
        estimating: bool,
        ranks: &[u32],
    ) -> Option<Timetable> {
        let links = &plan.links;
        if timed || links.forward_random() {
            return None;
        }
        let t = &plan.topology;
        let n = t.neurons();
        // Neurons are numbered in a topological order: sources before targets.
        let mut fire = vec![0u64; n];
        for j in t.inputs().end..n {
            fire[j] = t
                .incoming(j)
                .map(|e| fire[t.source(e)] + links.synapse(e).forward.fate(0).delay())
                .max()
                .unwrap_or(0);
        }
        let backward_fixed = !links.attention_random() && !holds && !estimating;
        if !backward_fixed {
            return Some(Timetable {
                fire,
                credit: None,
                in_order: false,
            });
        }
        let loss = t
            .outputs()
            .map(|o| fire[o] + links.loss().forward.fate(0).delay())
            .max()
            .unwrap_or(0);
        let mut credit = vec![0u64; n];
        for o in t.outputs() {
            credit[o] = loss + links.loss().attention.fate(0).delay();
        }
        for i in (t.inputs().end..t.outputs().start).rev() {
            credit[i] = t
                .outgoing(i)
                .map(|e| credit[t.target(e)] + links.synapse(e).attention.fate(0).delay())
                .max()
                .unwrap_or(0);
        }
        // Targets are listed by increasing id: they must pay in that order.
        let in_order = (t.inputs().end..n).all(|i| {
            let order = |e: usize| (credit[t.target(e)], ranks[t.target(e)]);
            t.outgoing(i)
                .zip(t.outgoing(i).skip(1))
                .all(|(a, b)| order(a) < order(b))
        });
        Some(Timetable {
            fire,
            credit: Some(credit),
            in_order,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Timetable;
    use crate::engine::scheduler::credit_ranks;
    use crate::plan::Plan;
    use crate::scenario::Scenario;

    fn plan(network: &str, links: &str) -> Plan {
        let text = format!(
            "Scenario(name: \"t\", seed: 3,
                data: Blobs(samples: 20, classes: 3, features: 4, test_fraction: 0.2),
                network: ({network}, activation: Tanh, output: Softmax), learning: (rule: Attention, optimizer: Sgd(lr: 0.1)),
                links: ({links}))"
        );
        let s = Scenario::parse(&text, std::path::Path::new("t.ron")).expect("valid");
        Plan::new(&s).expect("plan")
    }

    fn timetable(p: &Plan) -> Option<Timetable> {
        Timetable::new(p, p.links.timed(), false, false, &credit_ranks(&p.topology))
    }

    #[test]
    fn fixed_delays_give_every_neuron_its_ticks() {
        // 4 inputs, 3 hidden, 3 outputs; forward 2 ticks, attention 5.
        let p = plan(
            "hidden: [3]",
            "forward_delay: Constant(2), attention_delay: Constant(5)",
        );
        let tt = timetable(&p).expect("a timetable");
        assert_eq!(tt.fire, [0, 0, 0, 0, 2, 2, 2, 4, 4, 4]);
        // Loss at 6, demands at 11, hidden neurons paid at 16.
        let credit = tt.credit.expect("backward too");
        assert_eq!(&credit[4..], [16, 16, 16, 11, 11, 11]);
        assert!(tt.in_order);
    }

    #[test]
    fn skip_connections_pay_out_of_synapse_order() {
        // The first hidden layer feeds the output layer (paid first) and the second hidden layer
        // (paid later) whose ids come first.
        let p = plan("hidden: [3, 2], skip: true", "");
        let tt = timetable(&p).expect("a timetable");
        assert!(tt.credit.is_some());
        assert!(!tt.in_order);
    }

    #[test]
    fn random_delays_or_a_timeout_have_no_timetable() {
        let random = plan("hidden: [3]", "forward_delay: Uniform(min: 1, max: 3)");
        assert!(timetable(&random).is_none());
        let timed = plan("hidden: [3]", "wait_timeout: 10");
        assert!(timetable(&timed).is_none());
        let attention = plan("hidden: [3]", "attention_delay: Uniform(min: 1, max: 3)");
        let tt = timetable(&attention).expect("a forward timetable");
        assert!(tt.credit.is_none() && !tt.in_order);
    }
}
