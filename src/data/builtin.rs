//! The datasets bundled in the binary: scikit-learn's copies of UCI `digits`, `iris` and `wine`.

use std::path::Path;

use super::{csv_file, DataError, Table};

/// Names accepted by `Builtin { name }`.
pub const BUILTIN_NAMES: [&str; 3] = ["digits", "iris", "wine"];

const DIGITS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv"));
const IRIS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/iris.csv"));
const WINE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/wine.csv"));

/// Parses the bundled dataset `name` through the same CSV code as user files.
pub(super) fn load(name: &str) -> Result<Table, DataError> {
    let text = match name {
        "digits" => DIGITS,
        "iris" => IRIS,
        "wine" => WINE,
        _ => {
            return Err(DataError::UnknownBuiltin {
                name: name.to_string(),
            })
        }
    };
    // The path only appears in messages; the bundled files always parse.
    let path = Path::new("data").join(format!("{name}.csv"));
    let mut table = csv_file::parse(text.as_bytes(), &path, "label", None)?;
    table.name = name.to_string();
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{load as load_dataset, Task};
    use crate::rng::Streams;
    use crate::scenario::{DataSource, DataSpec, SplitOptions};

    #[test]
    fn builtins_have_the_documented_shapes() {
        for (name, samples, features, classes) in [
            ("digits", 1797, 64, 10),
            ("iris", 150, 4, 3),
            ("wine", 178, 13, 3),
        ] {
            let spec = DataSpec {
                source: DataSource::Builtin {
                    name: name.to_string(),
                },
                split: SplitOptions::default(),
            };
            let d = load_dataset(&spec, &Streams::new(0)).unwrap();
            assert_eq!(d.name, name);
            assert_eq!(d.n_features(), features, "{name}");
            assert_eq!(d.feature_names.len(), features);
            assert_eq!(d.feature_names[0], "x0");
            assert_eq!(d.task, Task::Classification { classes }, "{name}");
            assert_eq!(d.n_outputs(), classes);
            assert_eq!(d.train.len() + d.test.len(), samples, "{name}");
            let expected_test = (samples as f64 * 0.2).round() as usize;
            assert_eq!(d.test.len(), expected_test, "{name}");
            for s in [&d.train, &d.test] {
                assert_eq!(s.n_features(), features);
                assert_eq!(s.n_outputs(), classes);
            }
        }
    }

    #[test]
    fn every_class_appears_in_the_raw_tables() {
        for name in BUILTIN_NAMES {
            let t = load(name).unwrap();
            let classes = t.labels.iter().max().unwrap() + 1;
            for c in 0..classes {
                assert!(t.labels.contains(&c), "{name} lacks class {c}");
            }
        }
    }

    #[test]
    fn unknown_builtin_lists_the_accepted_names() {
        let err = load("mnist").err().unwrap();
        assert!(matches!(err, DataError::UnknownBuiltin { .. }));
        let msg = err.to_string();
        for part in ["mnist", "digits", "iris", "wine"] {
            assert!(msg.contains(part), "{msg}");
        }
    }
}
