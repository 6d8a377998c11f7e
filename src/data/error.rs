//! [`DataError`]: why a dataset could not be loaded.

use std::path::PathBuf;

use super::{BUILTIN_NAMES, MAX_CLASSES};
use crate::memory::{Bytes, Limit};

/// Why a dataset could not be loaded. Messages name the file, line (1-based, header = line 1),
/// column and value at fault, and say what is accepted.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// No bundled dataset has this name.
    #[error("unknown builtin dataset \"{name}\"; accepted: {}", BUILTIN_NAMES.join(", "))]
    UnknownBuiltin {
        /// The name asked for.
        name: String,
    },
    /// The file is missing or unreadable.
    #[error("cannot read data file {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error. It is part of the message, not the error's `source()`, so that a report of
        /// the chain of causes does not print it twice.
        error: std::io::Error,
    },
    /// The file is larger than a data file may be.
    #[error(
        "{}: {} ({bytes} bytes); a data file may be at most {} ({max} bytes)",
        path.display(),
        Bytes(*bytes),
        Bytes(*max)
    )]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        bytes: u64,
        /// The largest size accepted, [`crate::data::MAX_FILE_BYTES`].
        max: u64,
    },
    /// The data would not fit in the memory the run may use.
    #[error(
        "{source_name}: the data needs about {} ({samples} samples × {features} features, \
         {outputs} outputs), more than the {limit} that may be used",
        Bytes(*bytes)
    )]
    TooLarge {
        /// The file or dataset name.
        source_name: String,
        /// Samples (read so far, for a file).
        samples: usize,
        /// Features per sample.
        features: usize,
        /// Outputs per sample.
        outputs: usize,
        /// Bytes needed.
        bytes: u64,
        /// The limit.
        limit: Limit,
    },
    /// The memory limit could not be read from the environment.
    #[error("{0}")]
    MemoryLimit(String),
    /// The file has no header row.
    #[error(
        "{}:1: empty file; expected a header row naming the columns, then one sample per line",
        path.display()
    )]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file has a header but no data rows.
    #[error("{}:1: header only, no data rows follow; expected one sample per line", path.display())]
    NoRows {
        /// The file.
        path: PathBuf,
    },
    /// The CSV reader could not read a row (for instance, invalid UTF-8).
    #[error("{}:{line}: unreadable row: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The line of the row.
        line: u64,
        /// What the reader said.
        message: String,
    },
    /// A row has a different number of fields than the header.
    #[error(
        "{}:{line}: row has {fields} fields but the header has {expected}; every row needs one \
         value per header column",
        path.display()
    )]
    Ragged {
        /// The file.
        path: PathBuf,
        /// The line of the row.
        line: u64,
        /// Fields in the row.
        fields: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A feature value is not a finite number.
    #[error(
        "{}:{line}: column \"{column}\": \"{value}\" is not a finite number; features must be \
         numbers like 3, -0.5 or 1e-3",
        path.display()
    )]
    BadFeature {
        /// The file.
        path: PathBuf,
        /// The line of the row.
        line: u64,
        /// The column name.
        column: String,
        /// The value found.
        value: String,
    },
    /// A label is not a non-negative integer below [`MAX_CLASSES`].
    #[error(
        "{}:{line}: label column \"{column}\": \"{value}\" is not a class; labels must be integers \
         0..={} written without a decimal point",
        path.display(),
        MAX_CLASSES - 1
    )]
    BadLabel {
        /// The file.
        path: PathBuf,
        /// The line of the row.
        line: u64,
        /// The label column name.
        column: String,
        /// The value found.
        value: String,
    },
    /// The label column is not in the header.
    #[error(
        "{}:1: label column \"{column}\" not in the header; columns found: {}",
        path.display(),
        found.join(", ")
    )]
    MissingLabelColumn {
        /// The file.
        path: PathBuf,
        /// The label column asked for.
        column: String,
        /// The header's columns.
        found: Vec<String>,
    },
    /// A column name appears more than once in the header.
    #[error(
        "{}:1: column \"{column}\" appears more than once in the header (columns {first} and \
         {second}); column names must be unique",
        path.display()
    )]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The column name.
        column: String,
        /// Its first position, from 1.
        first: usize,
        /// Its next position, from 1.
        second: usize,
    },
    /// Every row has the same label: there is nothing to classify.
    #[error(
        "{}: every one of the {rows} rows has label {label} in column \"{column}\"; a \
         classification needs at least 2 classes",
        path.display()
    )]
    SingleClass {
        /// The file.
        path: PathBuf,
        /// The label column.
        column: String,
        /// The only label.
        label: usize,
        /// Rows in the file.
        rows: usize,
    },
    /// Several rows are wrong: each is listed (up to [`crate::data::MAX_ROW_PROBLEMS`]).
    #[error(
        "{}: {total} rows are wrong{}:\n{}",
        path.display(),
        if *total > problems.len() { format!(" (the first {} are listed)", problems.len()) } else { String::new() },
        problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n")
    )]
    Rows {
        /// The file.
        path: PathBuf,
        /// The first problems, one per row, each a `Ragged`, `BadFeature`, `BadLabel` or `Malformed`.
        problems: Vec<DataError>,
        /// Rows with a problem in the whole file.
        total: usize,
    },
    /// The header has no column besides the label.
    #[error(
        "{}:1: the header has only the label column \"{column}\"; at least one feature column is \
         needed",
        path.display()
    )]
    NoFeatures {
        /// The file.
        path: PathBuf,
        /// The label column.
        column: String,
    },
    /// Too few samples for both splits to hold at least 2.
    #[error(
        "{source_name}: {samples} samples with test_fraction {test_fraction} give {train} training \
         and {test} test samples; each split needs at least 2"
    )]
    TooFewSamples {
        /// The file or dataset name.
        source_name: String,
        /// Samples in the dataset.
        samples: usize,
        /// The test fraction asked for.
        test_fraction: f64,
        /// Samples that would be in the training split.
        train: usize,
        /// Samples that would be in the test split.
        test: usize,
    },
    /// A generator or split parameter is out of range.
    #[error("{dataset}: {parameter} = {value} is not accepted; expected {accepted}")]
    InvalidParameter {
        /// The dataset name.
        dataset: String,
        /// The parameter.
        parameter: &'static str,
        /// The value given.
        value: String,
        /// What is accepted.
        accepted: &'static str,
    },
    /// The tasks of a `Tasks` source do not fit its base data (a class it lacks, a class count that
    /// does not divide, a mode that needs classes): every problem, each naming its field.
    #[error(
        "{source_name}: the tasks do not fit the data:\n{}",
        problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
    )]
    Tasks {
        /// The base data's name.
        source_name: String,
        /// Each problem, with its field path (`data.split[1][0]`, `data.mode`).
        problems: Vec<crate::scenario::Problem>,
    },
}
