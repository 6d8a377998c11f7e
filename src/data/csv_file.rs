//! Classification CSV files: a header row, numeric feature columns and one integer label column.
//!
//! The file is read as a stream, row by row, so memory holds the parsed numbers only, and the load
//! stops as soon as they would not fit the memory limit. Every bad row is reported, up to
//! [`MAX_ROW_PROBLEMS`] of them, in one error.

use std::io::{BufRead, Read};
use std::path::Path;

use super::{check_fits, DataError, Table};
use crate::memory::Limit;

/// Labels must be below this: the targets are one-hot rows, so a stray huge label would otherwise
/// ask for an enormous allocation.
pub const MAX_CLASSES: usize = 1000;

/// Largest data file read, in bytes (1 GiB): a file this size already holds some 10⁸ numbers, far more
/// than a simulated network can learn from in a run.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// Most bad rows listed in one error; the rest are counted.
pub const MAX_ROW_PROBLEMS: usize = 20;

/// Reads the CSV file at `path`, whose class is in the column named `label_column`.
pub(super) fn load(
    path: &Path,
    label_column: &str,
    limit: Option<Limit>,
) -> Result<Table, DataError> {
    let read_error = |error| DataError::Read {
        path: path.to_path_buf(),
        error,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let metadata = file.metadata().map_err(read_error)?;
    if !metadata.is_file() {
        // A directory, a device such as /dev/zero, a pipe: nothing a table can be read from, or
        // something that never ends.
        return Err(read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let bytes = metadata.len();
    if bytes > MAX_FILE_BYTES {
        return Err(DataError::FileTooLarge {
            path: path.to_path_buf(),
            bytes,
            max: MAX_FILE_BYTES,
        });
    }
    let mut table = parse(file, path, label_column, limit)?;
    table.name = path
        .file_stem()
        .map_or_else(|| "csv".to_string(), |s| s.to_string_lossy().into_owned());
    Ok(table)
}

/// Parses CSV text from `input`; `path` only names the source in messages. The table's name is left
/// empty.
pub(super) fn parse(
    input: impl Read,
    path: &Path,
    label_column: &str,
    limit: Option<Limit>,
) -> Result<Table, DataError> {
    // Spreadsheets often write a UTF-8 byte order mark, which the csv crate would keep in the first
    // column's name.
    let mut input = std::io::BufReader::new(input);
    let start = input.fill_buf().map_err(|error| DataError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    if start.starts_with(b"\xEF\xBB\xBF") {
        input.consume(3);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true) // ragged rows are reported by us, with the line
        .trim(csv::Trim::All)
        .from_reader(input);
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
    for (second, name) in header.iter().enumerate() {
        if let Some(first) = header[..second].iter().position(|h| h == name) {
            return Err(DataError::DuplicateColumn {
                path: path.to_path_buf(),
                column: name.clone(),
                first: first + 1,
                second: second + 1,
            });
        }
    }
    let Some(label_at) = header.iter().position(|h| h == label_column) else {
        return Err(DataError::MissingLabelColumn {
            path: path.to_path_buf(),
            column: label_column.to_string(),
            found: header,
        });
    };
    if header.len() == 1 {
        return Err(DataError::NoFeatures {
            path: path.to_path_buf(),
            column: label_column.to_string(),
        });
    }
    let n_features = header.len() - 1;

    let mut features = Vec::new();
    let mut labels = Vec::new();
    let mut problems = Vec::new();
    let mut bad_rows = 0;
    let mut record = csv::ByteRecord::new();
    let mut row = Vec::with_capacity(n_features);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // The reader cannot go on after an I/O or syntax error.
                bad_rows += 1;
                push_problem(&mut problems, malformed(e));
                break;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        match parse_row(&record, &header, label_at, path, line, &mut row) {
            Ok(label) => {
                features.extend_from_slice(&row);
                labels.push(label);
            }
            Err(problem) => {
                bad_rows += 1;
                push_problem(&mut problems, problem);
            }
        }
        // Stop reading a file whose numbers would not fit; the table is at most half of the peak.
        if labels.len() % 4096 == 0 {
            check_fits(
                &path.display().to_string(),
                labels.len(),
                n_features,
                1,
                limit,
            )?;
        }
    }
    match bad_rows {
        0 => {}
        1 => return Err(problems.remove(0)),
        total => {
            return Err(DataError::Rows {
                path: path.to_path_buf(),
                problems,
                total,
            })
        }
    }
    let Some(&first) = labels.first() else {
        return Err(DataError::NoRows {
            path: path.to_path_buf(),
        });
    };
    if labels.iter().all(|&l| l == first) {
        return Err(DataError::SingleClass {
            path: path.to_path_buf(),
            column: label_column.to_string(),
            label: first,
            rows: labels.len(),
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

fn push_problem(problems: &mut Vec<DataError>, problem: DataError) {
    if problems.len() < MAX_ROW_PROBLEMS {
        problems.push(problem);
    }
}

/// Reads one row into `features` and returns its label, or the first thing wrong with it.
fn parse_row(
    record: &csv::ByteRecord,
    header: &[String],
    label_at: usize,
    path: &Path,
    line: u64,
    features: &mut Vec<f64>,
) -> Result<usize, DataError> {
    if record.len() != header.len() {
        return Err(DataError::Ragged {
            path: path.to_path_buf(),
            line,
            fields: record.len(),
            expected: header.len(),
        });
    }
    features.clear();
    let mut label = 0;
    for (j, bytes) in record.iter().enumerate() {
        let value = std::str::from_utf8(bytes).map_err(|e| DataError::Malformed {
            path: path.to_path_buf(),
            line,
            message: format!("column \"{}\" is not valid UTF-8: {e}", header[j]),
        })?;
        if j == label_at {
            label = parse_label(value).ok_or_else(|| DataError::BadLabel {
                path: path.to_path_buf(),
                line,
                column: header[j].clone(),
                value: value.to_string(),
            })?;
        } else {
            features.push(parse_feature(value).ok_or_else(|| DataError::BadFeature {
                path: path.to_path_buf(),
                line,
                column: header[j].clone(),
                value: value.to_string(),
            })?);
        }
    }
    Ok(label)
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
    use crate::data::{load_within, Dataset};
    use crate::memory::LimitSource;
    use crate::rng::Streams;
    use crate::scenario::{DataSource, DataSpec, SplitOptions};

    fn spec(path: std::path::PathBuf) -> DataSpec {
        DataSpec {
            source: DataSource::Csv {
                path,
                label_column: "label".to_string(),
            },
            split: SplitOptions {
                test_fraction: 0.5,
                standardize: true,
            },
        }
    }

    /// Writes `text` to a temporary `<stem>.csv` and loads it as a dataset.
    fn load_text(stem: &str, text: &str) -> (tempfile::TempDir, Result<Dataset, DataError>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{stem}.csv"));
        std::fs::write(&path, text).unwrap();
        let result = load_within(&spec(path), &Streams::new(0), None);
        (dir, result)
    }

    fn error(stem: &str, text: &str) -> DataError {
        let (_dir, result) = load_text(stem, text);
        result.expect_err("expected an error")
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
        let t = load(&path, "cls", None).unwrap();
        assert_eq!(t.feature_names, ["x", "y"]);
        assert_eq!(t.labels, [2, 0, 1, 0]);
        assert_eq!(&t.features[..2], &[1.5, -0.3]);
    }

    #[test]
    fn missing_file_says_why_once() {
        let dir = tempfile::tempdir().unwrap();
        let err =
            load_within(&spec(dir.path().join("absent.csv")), &Streams::new(0), None).unwrap_err();
        assert!(matches!(err, DataError::Read { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("absent.csv"), "{msg}");
        assert_eq!(msg.matches("os error 2").count(), 1, "{msg}");
        // The OS error is in the message, not repeated as a cause.
        assert!(std::error::Error::source(&err).is_none());
    }

    #[test]
    fn empty_file_and_header_only() {
        let err = error("empty", "");
        assert!(matches!(err, DataError::Empty { .. }), "{err}");
        assert!(err.to_string().contains("empty.csv:1:"), "{err}");
        let err = error("hdr", "a,b,label\n");
        assert!(matches!(err, DataError::NoRows { .. }), "{err}");
        assert!(err.to_string().contains("hdr.csv:1:"), "{err}");
    }

    #[test]
    fn ragged_row_names_its_line() {
        let err = error("ragged", "a,b,label\n1,2,0\n3,4,1\n5,0\n7,8,1\n");
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
    fn non_numeric_nan_and_infinite_features() {
        let msg = error("feat", "a,b,label\n1,2,0\n3,abc,1\n5,6,0\n7,8,1\n").to_string();
        assert!(msg.contains("feat.csv:3:"), "{msg}");
        assert!(msg.contains("\"b\"") && msg.contains("\"abc\""), "{msg}");
        for bad in ["NaN", "nan", "inf", "-inf", "infinity", "1e999", ""] {
            let err = error(
                "nan",
                &format!("a,b,label\n1,2,0\n3,4,1\n5,{bad},0\n7,8,1\n"),
            );
            assert!(
                matches!(err, DataError::BadFeature { line: 4, ref value, .. } if value == bad),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains("is not a finite number"), "{err}");
        }
    }

    #[test]
    fn bad_labels() {
        for bad in [
            "3.0",
            "-1",
            "one",
            "",
            "1000",
            "99999999999999999999999",
            "1e2",
        ] {
            let err = error(
                "lab",
                &format!("a,b,label\n1,2,0\n3,4,1\n5,6,{bad}\n7,8,1\n"),
            );
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
    fn every_bad_row_is_reported_at_once() {
        let err = error(
            "three",
            "a,b,label\n1,2,0\n3,x,1\n5,6,0\n7,8\n9,10,1.5\n11,12,1\n",
        );
        let DataError::Rows {
            problems, total, ..
        } = &err
        else {
            panic!("expected Rows, got {err}");
        };
        assert_eq!(*total, 3);
        let lines: Vec<u64> = problems
            .iter()
            .map(|p| match p {
                DataError::BadFeature { line, .. }
                | DataError::Ragged { line, .. }
                | DataError::BadLabel { line, .. } => *line,
                other => panic!("{other}"),
            })
            .collect();
        assert_eq!(lines, [3, 5, 6]);
        let msg = err.to_string();
        assert!(msg.starts_with(&format!("{}: 3 rows are wrong:\n", problems_path(&err))));
        for line in ["three.csv:3:", "three.csv:5:", "three.csv:6:"] {
            assert!(msg.contains(line), "{line} not in {msg}");
        }
        // Beyond the cap the rows are counted, not listed.
        let mut text = String::from("a,label\n1,0\n2,1\n");
        for _ in 0..30 {
            text.push_str("x,0\n");
        }
        let err = error("many", &text);
        let DataError::Rows {
            problems, total, ..
        } = &err
        else {
            panic!("expected Rows, got {err}");
        };
        assert_eq!((problems.len(), *total), (MAX_ROW_PROBLEMS, 30));
        assert!(err
            .to_string()
            .contains("30 rows are wrong (the first 20 are listed)"));
    }

    fn problems_path(err: &DataError) -> String {
        match err {
            DataError::Rows { path, .. } => path.display().to_string(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn label_column_not_in_header_lists_columns() {
        let err = error("nolabel", "a,b,class\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n");
        assert!(matches!(err, DataError::MissingLabelColumn { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("nolabel.csv:1:"), "{msg}");
        assert!(msg.contains("a, b, class"), "{msg}");
    }

    #[test]
    fn duplicate_columns_and_label_only_header() {
        let err = error("dup", "label,a,label\n0,2,0\n");
        assert!(
            matches!(
                err,
                DataError::DuplicateColumn {
                    first: 1,
                    second: 3,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("dup.csv:1:"));
        // Any repeated name, not only the label's.
        let err = error("dupfeat", "a,b,a,label\n1,2,3,0\n4,5,6,1\n");
        assert!(
            matches!(err, DataError::DuplicateColumn { ref column, first: 1, second: 3, .. } if column == "a"),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("column \"a\" appears more than once in the header (columns 1 and 3)"),
            "{err}"
        );
        let err = error("only", "label\n0\n1\n0\n1\n");
        assert!(matches!(err, DataError::NoFeatures { .. }), "{err}");
        assert!(err.to_string().contains("only.csv:1:"));
    }

    #[test]
    fn a_single_class_is_an_error() {
        let err = error("one", "a,label\n1,3\n2,3\n3,3\n4,3\n");
        assert!(
            matches!(
                err,
                DataError::SingleClass {
                    label: 3,
                    rows: 4,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string().rsplit("one.csv: ").next().unwrap(),
            "every one of the 4 rows has label 3 in column \"label\"; a classification needs \
             at least 2 classes"
        );
    }

    #[test]
    fn too_few_samples_for_two_splits() {
        let err = error("few", "a,label\n1,0\n2,1\n3,0\n");
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
        let err = load(&path, "label", None).err().unwrap();
        assert!(matches!(err, DataError::Malformed { line: 3, .. }), "{err}");
        assert!(err.to_string().contains("bytes.csv:3:"), "{err}");
    }

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        for path in [dir.path(), std::path::Path::new("/dev/zero")] {
            if !path.exists() {
                continue;
            }
            let err = load(path, "label", None).err().unwrap();
            assert!(err.to_string().ends_with(": not a regular file"), "{err}");
        }
    }

    #[test]
    fn a_file_of_several_gigabytes_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.csv");
        // A sparse file: nothing is written, the size is what counts.
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(5 << 30).unwrap();
        let started = std::time::Instant::now();
        let err = load(&path, "label", None).err().unwrap();
        assert!(started.elapsed().as_secs() < 5);
        assert!(
            matches!(err, DataError::FileTooLarge { bytes, max: MAX_FILE_BYTES, .. } if bytes == 5 << 30),
            "{err}"
        );
        assert_eq!(
            err.to_string().rsplit("huge.csv: ").next().unwrap(),
            "5.4 GB (5368709120 bytes); a data file may be at most 1.1 GB (1073741824 bytes)"
        );
    }

    #[test]
    fn rows_beyond_the_memory_limit_stop_the_load() {
        let mut text = String::from("a,b,c,d,label\n");
        for i in 0..10_000 {
            text.push_str(&format!("{i},1,2,3,{}\n", i % 2));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        std::fs::write(&path, &text).unwrap();
        let limit = Limit {
            bytes: 100_000,
            source: LimitSource::Environment,
        };
        let err = load(&path, "label", Some(limit)).err().unwrap();
        let DataError::TooLarge {
            samples, features, ..
        } = err
        else {
            panic!("expected TooLarge, got {err}");
        };
        // Stopped after the first block of rows, not at the end of the file.
        assert_eq!((samples, features), (4096, 4));
        // The whole file fits a larger limit.
        let limit = Limit {
            bytes: 10_000_000,
            ..limit
        };
        assert_eq!(load(&path, "label", Some(limit)).unwrap().rows(), 10_000);
    }

    /// docs/datasets.md shows actual output.
    #[test]
    fn docs_examples_are_actual_output() {
        let doc = include_str!("../../docs/datasets.md");
        let block = |start: &str| -> String {
            let at = doc
                .find(start)
                .unwrap_or_else(|| panic!("no {start} block"));
            let body = &doc[at + start.len()..];
            body[..body.find("```").unwrap()].to_string()
        };
        let parse = |text: &str| {
            let split = SplitOptions {
                test_fraction: 0.2,
                standardize: true,
            };
            crate::data::from_csv(
                text.as_bytes(),
                "my-data.csv",
                "label",
                split,
                &Streams::new(0),
                None,
            )
            .unwrap_err()
            .to_string()
        };
        let csv = block("```csv\n");
        let shown = block("loading gives (actual output):\n\n```text\n");
        assert_eq!(parse(&csv) + "\n", shown);
        let whole_file = block("one at a time, each on line 1 or naming the file:\n\n```text\n");
        let missing = load(Path::new("my-data.csv"), "label", None).err().unwrap();
        let got = [
            parse("a,b,class\n1,2,0\n"),
            parse("a,b,a,label\n1,2,3,0\n"),
            parse("a,label\n1,2\n3,2\n4,2\n5,2\n"),
            parse(""),
            parse("a,b,label\n"),
            missing.to_string(),
        ];
        assert_eq!(got.join("\n") + "\n", whole_file);
    }
}
