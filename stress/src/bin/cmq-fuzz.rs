//! `cmq-fuzz [--cases N] [--target NAME]... [--seed S]`: see `cmq_stress::fuzz`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match cmq_stress::fuzz::main_with(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("cmq-fuzz: failing cases found (their seeds are above)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
