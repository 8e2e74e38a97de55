//! Command-line types.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use crate::rules::Severity;

/// initlint: will the container's PID 1 get the stop signal and reap zombies?
///
/// Reads a Dockerfile and its build context, works out the process that becomes PID 1
/// (shell-form strings, entrypoint scripts, wrappers like gosu, interpreters), and explains
/// every reason `docker stop` or Kubernetes would have to SIGKILL it.
///
/// Exit codes: 0 no finding at or above the failure threshold, 1 findings at or above it,
/// 2 usage error or input that could not be read.
#[derive(Debug, Parser)]
#[command(
    name = "initlint",
    version,
    after_help = "Rules: see `initlint --list-rules`, and rules/ILnnn.md for each.\nExamples:\n  initlint Dockerfile\n  initlint --format json --failure-threshold error services/api/\n  cat Dockerfile | initlint --context . -"
)]
pub struct Cli {
    /// Dockerfiles (or directories containing one); `-` reads a Dockerfile from stdin.
    #[arg(required_unless_present = "list_rules")]
    pub targets: Vec<String>,

    /// Build context to read COPY/ADD sources from (default: the Dockerfile's directory).
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,

    /// Stage to lint, by name or index (default: the last stage).
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// Build argument, as for `docker build --build-arg` (repeatable).
    #[arg(long = "build-arg", value_name = "KEY=VALUE")]
    pub build_args: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = Severity::Warning, env = "INITLINT_FAILURE_THRESHOLD")]
    pub failure_threshold: Severity,

    /// Rule codes to ignore, comma separated (e.g. IL104,IL106).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,

    /// Colours in human output (NO_COLOR is honoured in auto mode).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    /// List all rules and exit.
    #[arg(long)]
    pub list_rules: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}
