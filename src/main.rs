use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(pipelint::cli::run(std::env::args_os()))
}
