//! The `neuragent` binary: all logic lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    match neuragent::cli::main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(neuragent::cli::EXIT_ERROR)
        }
    }
}
