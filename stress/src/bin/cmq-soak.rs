//! `cmq-soak [--producers N] [--consumers M] [--messages K] [--crash-rate P] …`: see
//! `cmq_stress::soak`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match cmq_stress::soak::main_with(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("cmq-soak: messages lost, duplicated or redelivered early");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
