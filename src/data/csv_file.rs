//! Classification CSV files: a header row, numeric feature columns and one integer label column.

use std::path::Path;

use super::{DataError, Table};

/// Labels must be below this: the targets are one-hot rows, so a stray huge label would otherwise
/// ask for an enormous allocation.
pub const MAX_CLASSES: usize = 1000;

/// Reads the CSV file at `path`, whose class is in the column named `label_column`.
pub(super) fn load(path: &Path, label_column: &str) -> Result<Table, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut table = parse(&bytes, path, label_column)?;
    table.name = path
        .file_stem()
        .map_or_else(|| "csv".to_string(), |s| s.to_string_lossy().into_owned());
    Ok(table)
}

/// Parses CSV text; `path` only names the source in messages. The table's name is left empty.
pub(super) fn parse(bytes: &[u8], path: &Path, label_column: &str) -> Result<Table, DataError> {
    // Spreadsheets often write a UTF-8 byte order mark, which the csv crate keeps in the first name.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true) // ragged rows are reported by us, with the line
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let malformed = |e: csv::Error| DataError::Malformed {
        path: path.to_path_buf(),
        line: e.position().map_or(1, |p| p.line()),
        message: e.to_string(),
    };

    let header: Vec<String> = reader
        .headers()
        .map_err(malformed)?
        .iter()
        .map(str::to_string)
        .collect();
    if header.is_empty() || header == [""] {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut label_positions = header
        .iter()
        .enumerate()
        .filter(|(_, h)| *h == label_column);
    let label_at = match (label_positions.next(), label_positions.next()) {
        (Some((at, _)), None) => at,
        (Some(_), Some(_)) => {
            return Err(DataError::DuplicateLabelColumn {
                path: path.to_path_buf(),
                column: label_column.to_string(),
            })
        }
        (None, _) => {
            return Err(DataError::MissingLabelColumn {
                path: path.to_path_buf(),
                column: label_column.to_string(),
                found: header,
            })
        }
    };
    if header.len() == 1 {
        return Err(DataError::NoFeatures {
            path: path.to_path_buf(),
            column: label_column.to_string(),
        });
    }

    let mut features = Vec::new();
    let mut labels = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(malformed)? {
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            return Err(DataError::Ragged {
                path: path.to_path_buf(),
                line,
                fields: record.len(),
                expected: header.len(),
            });
        }
        for (j, value) in record.iter().enumerate() {
            if j == label_at {
                labels.push(parse_label(value).ok_or_else(|| DataError::BadLabel {
                    path: path.to_path_buf(),
                    line,
                    column: header[j].clone(),
                    value: value.to_string(),
                })?);
            } else {
                features.push(parse_feature(value).ok_or_else(|| DataError::BadFeature {
                    path: path.to_path_buf(),
                    line,
                    column: header[j].clone(),
                    value: value.to_string(),
                })?);
            }
        }
    }
    if labels.is_empty() {
        return Err(DataError::NoRows {
            path: path.to_path_buf(),
        });
    }

    let feature_names = header
        .into_iter()
        .enumerate()
        .filter(|&(j, _)| j != label_at)
        .map(|(_, h)| h)
        .collect();
    Ok(Table {
        name: String::new(),
        feature_names,
        features,
        labels,
        n_targets: 0,
        targets: Vec::new(),
    })
}

/// A finite number; NaN or infinity would poison standardization and training.
fn parse_feature(value: &str) -> Option<f64> {
    value.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// A plain non-negative integer below [`MAX_CLASSES`]: `3`, not `3.0` or `-1`.
fn parse_label(value: &str) -> Option<usize> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<usize>().ok().filter(|&c| c < MAX_CLASSES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::load as load_dataset;
    use crate::rng::Streams;
    use crate::scenario::DataSpec;
    use std::io::Write;

    /// Writes `text` to a temporary `<stem>.csv` and loads it as a dataset.
    fn load_text(
        stem: &str,
        text: &str,
    ) -> (tempfile::TempDir, Result<crate::data::Dataset, DataError>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{stem}.csv"));
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let spec = DataSpec::Csv {
            path,
            label_column: "label".to_string(),
            test_fraction: 0.5,
            standardize: true,
        };
        let result = load_dataset(&spec, &Streams::new(0));
        (dir, result)
    }

    fn error(stem: &str, text: &str) -> String {
        let (_dir, result) = load_text(stem, text);
        let err = result.expect_err("expected an error");
        err.to_string()
    }

    const GOOD: &str = "a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n";

    #[test]
    fn good_file_loads() {
        let (_dir, result) = load_text("tiny", GOOD);
        let d = result.unwrap();
        assert_eq!(d.name, "tiny");
        assert_eq!(d.feature_names, ["a", "b"]);
        assert_eq!(d.n_outputs(), 2);
        assert_eq!(d.train.len(), 2);
        assert_eq!(d.test.len(), 2);
    }

    #[test]
    fn label_column_may_be_anywhere_and_whitespace_crlf_and_bom_are_fine() {
        let text = "\u{feff}cls, x ,y\r\n2, 1.5 ,-3e-1\r\n0,2,1\r\n\r\n1,3,4\r\n0,1,1\r\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spaced.csv");
        std::fs::write(&path, text).unwrap();
        let t = load(&path, "cls").unwrap();
        assert_eq!(t.feature_names, ["x", "y"]);
        assert_eq!(t.labels, [2, 0, 1, 0]);
        assert_eq!(&t.features[..2], &[1.5, -0.3]);
    }

    #[test]
    fn missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.csv");
        let spec = DataSpec::Csv {
            path,
            label_column: "label".into(),
            test_fraction: 0.2,
            standardize: true,
        };
        let err = load_dataset(&spec, &Streams::new(0)).unwrap_err();
        assert!(matches!(err, DataError::Read { .. }), "{err}");
        assert!(err.to_string().contains("absent.csv"), "{err}");
    }

    #[test]
    fn empty_file() {
        let (_d, r) = load_text("empty", "");
        let err = r.unwrap_err();
        assert!(matches!(err, DataError::Empty { .. }), "{err}");
        assert!(err.to_string().contains("empty.csv:1:"), "{err}");
    }

    #[test]
    fn header_only() {
        let (_d, r) = load_text("hdr", "a,b,label\n");
        let err = r.unwrap_err();
        assert!(matches!(err, DataError::NoRows { .. }), "{err}");
        assert!(err.to_string().contains("hdr.csv:1:"), "{err}");
    }

    #[test]
    fn ragged_row_names_its_line() {
        let (_d, r) = load_text("ragged", "a,b,label\n1,2,0\n3,4,1\n5,0\n7,8,1\n");
        let err = r.unwrap_err();
        assert!(
            matches!(
                err,
                DataError::Ragged {
                    line: 4,
                    fields: 2,
                    expected: 3,
                    ..
                }
            ),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains("ragged.csv:4:"), "{msg}");
        assert!(msg.contains("2 fields") && msg.contains("has 3"), "{msg}");
    }

    #[test]
    fn non_numeric_feature() {
        let msg = error("feat", "a,b,label\n1,2,0\n3,abc,1\n5,6,0\n7,8,1\n");
        assert!(msg.contains("feat.csv:3:"), "{msg}");
        assert!(msg.contains("\"b\"") && msg.contains("\"abc\""), "{msg}");
        let (_d, r) = load_text("nan", "a,b,label\n1,2,0\n3,4,1\n5,NaN,0\n7,8,1\n");
        let err = r.unwrap_err();
        assert!(
            matches!(err, DataError::BadFeature { line: 4, .. }),
            "{err}"
        );
    }

    #[test]
    fn bad_labels() {
        for bad in ["3.0", "-1", "one", "", "1000", "99999999999999999999999"] {
            let text = format!("a,b,label\n1,2,0\n3,4,1\n5,6,{bad}\n7,8,1\n");
            let (_d, r) = load_text("lab", &text);
            let err = r.unwrap_err();
            assert!(
                matches!(err, DataError::BadLabel { line: 4, .. }),
                "{bad}: {err}"
            );
            let msg = err.to_string();
            assert!(msg.contains("lab.csv:4:"), "{msg}");
            assert!(msg.contains(&format!("\"{bad}\"")), "{msg}");
        }
    }

    #[test]
    fn label_column_not_in_header_lists_columns() {
        let (_d, r) = load_text("nolabel", "a,b,class\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n");
        let err = r.unwrap_err();
        assert!(matches!(err, DataError::MissingLabelColumn { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("nolabel.csv:1:"), "{msg}");
        assert!(msg.contains("a, b, class"), "{msg}");
    }

    #[test]
    fn duplicate_label_or_label_only_header() {
        let (_d, r) = load_text("dup", "label,a,label\n0,2,0\n");
        let err = r.unwrap_err();
        assert!(
            matches!(err, DataError::DuplicateLabelColumn { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("dup.csv:1:"));
        let (_d, r) = load_text("only", "label\n0\n1\n0\n1\n");
        let err = r.unwrap_err();
        assert!(matches!(err, DataError::NoFeatures { .. }), "{err}");
        assert!(err.to_string().contains("only.csv:1:"));
    }

    #[test]
    fn too_few_samples_for_two_splits() {
        let (_d, r) = load_text("few", "a,label\n1,0\n2,1\n3,0\n");
        let err = r.unwrap_err();
        assert!(
            matches!(err, DataError::TooFewSamples { samples: 3, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("few.csv"), "{err}");
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bytes.csv");
        std::fs::write(&path, b"a,label\n1,0\n\xff\xfe,1\n").unwrap();
        let err = load(&path, "label").err().unwrap();
        assert!(matches!(err, DataError::Malformed { line: 3, .. }), "{err}");
        assert!(err.to_string().contains("bytes.csv:3:"), "{err}");
    }
}
