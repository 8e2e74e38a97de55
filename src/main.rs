use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = initlint::cli::Cli::parse();
    let code = initlint::cli::run(
        &cli,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}
