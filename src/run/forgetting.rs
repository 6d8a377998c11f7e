//! Continual learning: the accuracy matrix of a run over tasks, and the forgetting figures read off
//! it.
//!
//! `R[i][j]` is the test score on task `j` (accuracy, or R² for a regression) once task `i` has been
//! trained: the first checkpoint at or after the end of task `i` (checkpoints fall on every task's
//! end, so that is its end unless samples of the next task completed in the same event). From the
//! `T × T` matrix, with tasks numbered from 0:
//!
//! * `average_accuracy = (1/T) Σ_j R[T−1][j]`: the final model on every task;
//! * `learning_accuracy = (1/T) Σ_j R[j][j]`: each task just after it was learned;
//! * `backward_transfer = (1/(T−1)) Σ_{j<T−1} (R[T−1][j] − R[j][j])`: negative when the tasks
//!   learned later erased earlier ones (undefined with one task);
//! * `first_task_drop = R[0][0] − R[T−1][0]`: how much of the first task was lost.
//!
//! Low forgetting means little when a task was barely learned, so `learning_accuracy` is always
//! reported beside the others. Every figure is a fraction (0.169 is 16.9 points).

use serde::Serialize;

use crate::data::TaskSet;
use crate::scenario::TaskMode;

/// What a run over tasks measured: per-task scores at every checkpoint and the matrix `R`.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskOutcome {
    /// How the tasks share the outputs.
    pub mode: TaskMode,
    /// Whether the tasks are feature permutations of one dataset.
    pub permuted: bool,
    /// The base classes of each task, in output order (empty lists for a regression).
    pub classes: Vec<Vec<usize>>,
    /// Training samples of each task (per epoch).
    pub samples: Vec<usize>,
    /// The schedule position where each task ends.
    pub ends: Vec<usize>,
    /// `"accuracy"` for a classification, `"r2"` for a regression.
    pub score: &'static str,
    /// Per checkpoint (the untrained network first): samples seen and each task's test score.
    pub curve: Vec<(usize, Vec<f64>)>,
    /// `R[i][j]`, one row per task trained (fewer than the tasks when the run stopped early).
    pub matrix: Vec<Vec<f64>>,
}

impl TaskOutcome {
    /// The outcome of `tasks` whose schedule ends each task at `ends`, from the per-task scores at
    /// every checkpoint (`curve`).
    pub fn new(
        tasks: &TaskSet,
        ends: &[usize],
        classification: bool,
        curve: Vec<(usize, Vec<f64>)>,
    ) -> TaskOutcome {
        let matrix = ends
            .iter()
            .map_while(|&end| curve.iter().find(|(seen, _)| *seen >= end))
            .map(|(_, scores)| scores.clone())
            .collect();
        TaskOutcome {
            mode: tasks.mode,
            permuted: tasks.permuted,
            classes: tasks.classes.clone(),
            samples: tasks.train.iter().map(|r| r.len()).collect(),
            ends: ends.to_vec(),
            score: if classification { "accuracy" } else { "r2" },
            curve,
            matrix,
        }
    }

    /// Number of tasks.
    pub fn tasks(&self) -> usize {
        self.ends.len()
    }

    /// The forgetting figures, each `None` when it is undefined: the run stopped before the last
    /// task ended, a score is not finite, or (backward transfer) there is one task.
    pub fn forgetting(&self) -> Forgetting {
        let t = self.tasks();
        let r = &self.matrix;
        if t == 0 || r.len() < t || r.iter().flatten().any(|v| !v.is_finite()) {
            return Forgetting::default();
        }
        let last = &r[t - 1];
        let mean = |values: &mut dyn Iterator<Item = f64>| {
            let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
            (n > 0).then(|| sum / n as f64)
        };
        Forgetting {
            average_accuracy: mean(&mut last.iter().copied()),
            learning_accuracy: mean(&mut (0..t).map(|j| r[j][j])),
            backward_transfer: mean(&mut (0..t - 1).map(|j| last[j] - r[j][j])),
            first_task_drop: Some(r[0][0] - last[0]),
        }
    }

    /// `accuracy.csv`: the matrix `R`, one row per task trained.
    pub fn matrix_csv(&self, name: &str, seed: u64) -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<String> = ["name", "seed", "after_task", "samples_seen"]
            .map(String::from)
            .to_vec();
        header.extend((0..self.tasks()).map(|j| format!("task{j}")));
        w.write_record(&header)?;
        for (i, row) in self.matrix.iter().enumerate() {
            let mut record = vec![
                name.to_string(),
                seed.to_string(),
                i.to_string(),
                self.ends[i].to_string(),
            ];
            record.extend(row.iter().map(|&v| cell(v)));
            w.write_record(&record)?;
        }
        w.into_inner().map_err(|e| e.into_error().into())
    }

    /// `task_accuracy.csv`: every checkpoint's score on every task, one row per checkpoint.
    pub fn curve_csv(&self, name: &str, seed: u64) -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<String> = ["name", "seed", "samples_seen", "training_task"]
            .map(String::from)
            .to_vec();
        header.extend((0..self.tasks()).map(|j| format!("task{j}")));
        w.write_record(&header)?;
        for (seen, scores) in &self.curve {
            // The task being trained when the checkpoint was taken (the last one at the end).
            let training = self
                .ends
                .iter()
                .position(|&end| *seen < end)
                .unwrap_or(self.tasks().saturating_sub(1));
            let mut record = vec![
                name.to_string(),
                seed.to_string(),
                seen.to_string(),
                training.to_string(),
            ];
            record.extend(scores.iter().map(|&v| cell(v)));
            w.write_record(&record)?;
        }
        w.into_inner().map_err(|e| e.into_error().into())
    }

    /// The `tasks` object of `summary.json`.
    pub fn summary(&self) -> TaskSummary {
        TaskSummary {
            mode: format!("{:?}", self.mode),
            permuted: self.permuted,
            classes: self.classes.clone(),
            samples: self.samples.clone(),
            ends: self.ends.clone(),
            score: self.score,
            matrix: self
                .matrix
                .iter()
                .map(|row| row.iter().map(|&v| v.is_finite().then_some(v)).collect())
                .collect(),
        }
    }
}

/// A CSV cell: the value, or empty when it is not a finite number.
fn cell(v: f64) -> String {
    if v.is_finite() {
        v.to_string()
    } else {
        String::new()
    }
}

/// The forgetting figures of a run over tasks (see the module documentation), as fractions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Forgetting {
    /// Mean of the last row of `R`.
    pub average_accuracy: Option<f64>,
    /// Mean of the diagonal of `R`.
    pub learning_accuracy: Option<f64>,
    /// Mean over the tasks before the last of `R[T−1][j] − R[j][j]`.
    pub backward_transfer: Option<f64>,
    /// `R[0][0] − R[T−1][0]`.
    pub first_task_drop: Option<f64>,
}

/// The `tasks` object of `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskSummary {
    /// `Domain`, `Class` or `Task`.
    pub mode: String,
    /// Whether the tasks are feature permutations of one dataset.
    pub permuted: bool,
    /// The base classes of each task, in output order.
    pub classes: Vec<Vec<usize>>,
    /// Training samples of each task (per epoch).
    pub samples: Vec<usize>,
    /// The schedule position (samples seen) where each task ends.
    pub ends: Vec<usize>,
    /// What the matrix holds: `"accuracy"`, or `"r2"` for a regression.
    pub score: &'static str,
    /// `R[i][j]`: the test score on task `j` after training task `i` (`null` where undefined).
    pub matrix: Vec<Vec<Option<f64>>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(matrix: Vec<Vec<f64>>) -> TaskOutcome {
        let t = matrix.len();
        TaskOutcome {
            mode: TaskMode::Domain,
            permuted: false,
            classes: vec![vec![0, 1]; t],
            samples: vec![10; t],
            ends: (1..=t).map(|i| 10 * i).collect(),
            score: "accuracy",
            curve: Vec::new(),
            matrix,
        }
    }

    #[test]
    fn figures_follow_their_definitions() {
        let r = outcome(vec![
            vec![0.9, 0.5, 0.4],
            vec![0.7, 0.8, 0.5],
            vec![0.6, 0.7, 0.95],
        ]);
        let f = r.forgetting();
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-12;
        assert!(close(f.average_accuracy, (0.6 + 0.7 + 0.95) / 3.0));
        assert!(close(f.learning_accuracy, (0.9 + 0.8 + 0.95) / 3.0));
        assert!(close(
            f.backward_transfer,
            ((0.6 - 0.9) + (0.7 - 0.8)) / 2.0
        ));
        assert!(close(f.first_task_drop, 0.9 - 0.6));
        // One task: no backward transfer, no drop.
        let one = outcome(vec![vec![0.8]]).forgetting();
        assert_eq!(one.backward_transfer, None);
        assert_eq!(one.first_task_drop, Some(0.0));
        // A run that stopped early has no figures.
        let mut cut = outcome(vec![vec![0.9, 0.5], vec![0.7, 0.8]]);
        cut.matrix.pop();
        assert_eq!(cut.forgetting(), Forgetting::default());
    }

    #[test]
    fn rows_are_the_first_checkpoints_at_each_task_end() {
        let tasks = TaskSet {
            mode: TaskMode::Task,
            permuted: false,
            classes: vec![vec![0, 1], vec![2, 3]],
            train: vec![0..5, 5..9],
            test: vec![0..2, 2..4],
        };
        let curve = vec![
            (0, vec![0.5, 0.5]),
            (10, vec![0.9, 0.4]),
            (14, vec![0.8, 0.6]),
            (19, vec![0.7, 0.9]),
        ];
        let o = TaskOutcome::new(&tasks, &[10, 18], true, curve);
        assert_eq!(o.matrix, vec![vec![0.9, 0.4], vec![0.7, 0.9]]);
        assert_eq!(o.samples, vec![5, 4]);
        let csv = String::from_utf8(o.matrix_csv("r", 3).unwrap()).unwrap();
        assert_eq!(
            csv,
            "name,seed,after_task,samples_seen,task0,task1\nr,3,0,10,0.9,0.4\nr,3,1,18,0.7,0.9\n"
        );
        let curve = String::from_utf8(o.curve_csv("r", 3).unwrap()).unwrap();
        assert_eq!(curve.lines().nth(3), Some("r,3,14,1,0.8,0.6"));
        assert_eq!(curve.lines().nth(4), Some("r,3,19,1,0.7,0.9"));
    }
}
