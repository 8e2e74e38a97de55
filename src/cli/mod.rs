//! The command line: its arguments (here, with their value parsers) and the process that
//! runs them (`run`).

mod run;
mod verify;

pub use run::run;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::rules::{Code, Severity, Threshold};

/// initlint: will the container's PID 1 get the stop signal and reap zombies?
///
/// Reads a Dockerfile and its build context, or a built image (its config and its merged
/// layers, streamed, never unpacked), works out the process that becomes PID 1 (shell-form
/// strings, entrypoint scripts, wrappers like gosu, interpreters), and explains every reason
/// `docker stop` or Kubernetes would have to SIGKILL it.
///
/// Registry credentials come from DOCKER_CONFIG or ~/.docker/config.json (auths,
/// credHelpers, credsStore); without them the pull is anonymous. A registry is asked only for
/// an image target that names one, and for a Dockerfile's base image that no local engine has
/// (30 s at most; the output says where each base came from): --offline asks no registry,
/// --no-base reads no base image.
///
/// Exit codes: 0 no finding at or above the failure threshold (or --no-fail), 1 findings at
/// or above it, 2 usage error or input that could not be read.
#[derive(Debug, Parser)]
#[command(
    name = "initlint",
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Rules: `initlint rules` lists them, `initlint rule IL101` prints a rule's page.\nExamples:\n  initlint Dockerfile\n  initlint --format json --failure-threshold error services/api/\n  cat Dockerfile | initlint --context . -\n  initlint alpine:3.20\n  initlint docker-archive:app.tar\n  initlint --platform linux/arm64 ghcr.io/org/app:1.2\n  initlint dir:./bundle   (umoci unpack output: config.json + rootfs/)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Dockerfiles (or directories containing one), Compose files (`compose.yaml`,
    /// `docker-compose.yml`, …) and Kubernetes manifests (`.yaml`/`.yml`, multi-document), `-`
    /// for a Dockerfile or a manifest on stdin (`helm template … | initlint -`), files of a
    /// build context (a script: every Dockerfile of the repository that copies it), or images:
    /// NAME[:TAG|@DIGEST] or docker://… (a registry), docker-archive:PATH[:TAG] or a `docker
    /// save` .tar, oci:DIR[:NAME], oci-archive:PATH[:NAME], dir:ROOTFS.
    #[arg(required_unless_present = "list_rules")]
    pub targets: Vec<String>,

    /// Build context to read COPY/ADD sources from (default: the Dockerfile's directory, or
    /// the nearest parent up to the repository root that holds every COPY/ADD source).
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,

    /// Stage to lint, by name or index (default: the last stage).
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// Build argument, as for `docker build --build-arg` (repeatable).
    #[arg(long = "build-arg", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub build_args: Vec<(String, String)>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Also write the report in another format to a file, e.g. `--output sarif=results.sarif`
    /// (repeatable; FORMAT is one of --format's).
    #[arg(long = "output", value_name = "FORMAT=PATH", value_parser = parse_output)]
    pub outputs: Vec<(Format, PathBuf)>,

    /// Lowest severity that makes the exit code 1; `none` never does [default: warning, or
    /// the config's].
    #[arg(long, value_enum, env = "INITLINT_FAILURE_THRESHOLD")]
    pub failure_threshold: Option<Threshold>,

    /// Report findings but exit 0 whatever they are (as hadolint's --no-fail; the same as
    /// `--failure-threshold none`); input that cannot be read still exits 2.
    #[arg(long)]
    pub no_fail: bool,

    /// Change a rule's severity, e.g. `--severity IL205=info` (repeatable; wins over the
    /// config's [severity] table).
    #[arg(long = "severity", value_name = "CODE=LEVEL", value_parser = parse_severity)]
    pub severity: Vec<(Code, Severity)>,

    /// SARIF and GitLab reports: the repository root that file paths are relative to
    /// (`%SRCROOT%` in SARIF) [default: the git top level above the working directory, else
    /// the working directory].
    #[arg(long = "sarif-root", value_name = "DIR")]
    pub sarif_root: Option<PathBuf>,

    /// Image mode: the Dockerfile the image was built from. SARIF and GitLab reports place
    /// findings about the image's config (Entrypoint, Cmd, SignalFate) on its instructions
    /// instead of on the config, which is no file of the repository.
    #[arg(long = "dockerfile", value_name = "PATH")]
    pub dockerfile: Option<PathBuf>,

    /// Config file to use instead of the nearest .initlint.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore every .initlint.toml (and --config).
    #[arg(long)]
    pub isolated: bool,

    /// Rule codes to ignore, comma separated (e.g. IL104,IL106).
    #[arg(long, value_delimiter = ',', value_name = "CODES", value_parser = parse_code)]
    pub ignore: Vec<Code>,

    /// Human output: each finding's whole "why" chain (stop signal → PID 1 → missing handler →
    /// consequence) instead of one sentence. Human output wraps to the terminal's width
    /// (COLUMNS when set; 80 when not a terminal).
    #[arg(long)]
    pub explain: bool,

    /// Colours in human output (NO_COLOR is honoured in auto mode).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    /// Image mode: platform to pick from a multi-platform image (default: linux and this
    /// machine's architecture).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", value_parser = crate::image::store::Platform::parse)]
    pub platform: Option<crate::image::store::Platform>,

    /// Image mode: talk plain HTTP to this registry (localhost registries always are).
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    pub insecure_registries: Vec<String>,

    /// Image mode: the image config for a `dir:ROOTFS` target (an image config, a bare
    /// {"Entrypoint": …} object, or an OCI runtime config.json); without it, --entrypoint or
    /// --cmd says what runs.
    #[arg(long = "image-config", value_name = "FILE")]
    pub image_config: Option<PathBuf>,

    /// Image mode: read every layer whole. By default layers are read from the top down, the
    /// lower ones are skipped once the layers above settle every path the launch chain looks
    /// up (they cannot change the answer), and a zstd:chunked layer is read by its table of
    /// contents; with this, every layer is streamed whole and its digest checked, and a
    /// broken lower layer is an error.
    #[arg(long = "all-layers")]
    pub all_layers: bool,

    /// Image mode: stop reading a layer that expands beyond this many bytes (decompression
    /// bombs). Default 32 GiB.
    #[arg(long = "max-layer-size", value_name = "BYTES")]
    pub max_layer_size: Option<u64>,

    /// Image mode: stop reading an image whose layers together expand beyond this many bytes.
    /// Default 64 GiB.
    #[arg(long = "max-image-size", value_name = "BYTES")]
    pub max_image_size: Option<u64>,

    /// Image mode: stop reading a layer that expands more than this many times its stored size
    /// (checked after its first 256 MiB). Default 1000.
    #[arg(long = "max-ratio", value_name = "N")]
    pub max_ratio: Option<u64>,

    /// Registry pulls: give up on the whole pull after this many seconds (a registry that
    /// answers byte by byte, or never). Connecting times out after 15 s and a read that
    /// receives nothing after 60 s (or this, if shorter). Default 600.
    #[arg(long = "network-timeout", value_name = "SECONDS")]
    pub network_timeout: Option<u64>,

    /// Image mode: where a bare NAME[:TAG] is looked for, in order: `docker` (the local
    /// daemon: DOCKER_HOST, the docker context, /var/run/docker.sock), `podman` (its API
    /// socket), `cache` (images read online before, see --no-cache), `remote` (the registry;
    /// it uses the cache too, by digest). An engine that is not running is passed over.
    /// Default docker,podman,remote (--offline: docker,podman,cache). `docker-daemon:NAME`,
    /// `podman:NAME` and `docker://NAME`
    /// name one source.
    #[arg(long = "image-src", value_name = "LIST", value_delimiter = ',', value_parser = crate::image::ImageSource::parse)]
    pub image_src: Vec<crate::image::ImageSource>,

    /// Contact no registry: a Dockerfile's base image, and an image target, are read from the
    /// local engines (docker, podman) and initlint's cache only. Also `offline = true` in
    /// .initlint.toml.
    #[arg(long, env = "INITLINT_OFFLINE", value_parser = clap::builder::FalseyValueParser::new())]
    pub offline: bool,

    /// Keep nothing from registry reads, and read nothing kept. By default the manifests,
    /// configs and whole layers read from a registry are kept by digest in
    /// $INITLINT_CACHE_DIR (else $XDG_CACHE_HOME/initlint, else ~/.cache/initlint): a later
    /// read of the same digest needs no download, and --offline reads a tag as it was last
    /// read online.
    #[arg(long = "no-cache", env = "INITLINT_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,

    /// Dockerfile mode: do not read the base image at all; judge only what the Dockerfile and
    /// its build context show (what comes from the base is `unknown`).
    #[arg(long = "no-base", env = "INITLINT_NO_BASE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_base: bool,

    /// Run-time override, as `docker run --entrypoint`: replaces the ENTRYPOINT (a JSON array,
    /// or one word); without --cmd it also drops the CMD, as the runtime does.
    #[arg(long, value_name = "JSON|WORD", value_parser = parse_argv, help_heading = "Run-time overrides (docker run)")]
    pub entrypoint: Option<Argv>,

    /// Run-time override: replaces the CMD (a JSON array, or one word), as the arguments after
    /// the image in `docker run IMAGE ARG…`.
    #[arg(long, value_name = "JSON|WORD", value_parser = parse_argv, help_heading = "Run-time overrides (docker run)")]
    pub cmd: Option<Argv>,

    /// Compose: merge these files over each Compose target, in order, as `docker compose -f
    /// TARGET -f FILE…` does (repeatable). Without it, `compose.override.yaml` beside a
    /// `compose.yaml` is merged, as `docker compose` does by default.
    #[arg(long = "compose-file", value_name = "FILE")]
    pub compose_files: Vec<PathBuf>,

    /// Compose and Kubernetes: lint the image IMAGE (as a manifest names it) as built from
    /// this local Dockerfile (or directory with one) instead of reading the image. Repeatable.
    #[arg(long = "image-for", value_name = "IMAGE=PATH", value_parser = parse_image_for)]
    pub image_for: Vec<(String, PathBuf)>,

    /// Run-time override, as `docker run --init`: the engine's docker-init (tini) runs the
    /// entrypoint and command as its child, forwards the stop signal and reaps orphans.
    #[arg(long, help_heading = "Run-time overrides (docker run)")]
    pub init: bool,

    /// Run-time override, as `docker run --stop-signal`: the signal a stop sends.
    #[arg(
        long = "stop-signal",
        value_name = "SIGNAL",
        help_heading = "Run-time overrides (docker run)"
    )]
    pub stop_signal: Option<String>,

    /// Run-time environment variable, as `docker run --env` (repeatable; it can change PATH
    /// and what a shell-form string expands to).
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_key_value, help_heading = "Run-time overrides (docker run)")]
    pub env: Vec<(String, String)>,

    /// The same as `initlint rules` (kept for scripts written against earlier versions).
    #[arg(long, hide = true)]
    pub list_rules: bool,
}

impl Cli {
    /// The run-time layer the flags put over the Dockerfile or image.
    pub fn run_flags(&self) -> crate::model::flags::RunFlags {
        crate::model::flags::RunFlags {
            entrypoint: self.entrypoint.clone().map(|a| a.0),
            cmd: self.cmd.clone().map(|a| a.0),
            stop_signal: self.stop_signal.clone(),
            env: self.env.clone(),
            init: self.init,
        }
    }
}

fn parse_code(s: &str) -> Result<Code, String> {
    s.parse()
}

/// `IMAGE=PATH`: the image reference as the manifest writes it, and a local Dockerfile.
fn parse_image_for(s: &str) -> Result<(String, PathBuf), String> {
    match s.rsplit_once('=') {
        Some((image, path)) if !image.is_empty() && !path.is_empty() => {
            Ok((image.to_string(), PathBuf::from(path)))
        }
        _ => Err(format!(
            "expected IMAGE=PATH (e.g. app:dev=./Dockerfile), got {s:?}"
        )),
    }
}

/// `KEY=VALUE`, as `docker build --build-arg` takes it (the value may be empty).
fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

/// `sarif=results.sarif`.
fn parse_output(s: &str) -> Result<(Format, PathBuf), String> {
    let (format, path) = s
        .split_once('=')
        .filter(|(_, p)| !p.is_empty())
        .ok_or_else(|| format!("expected FORMAT=PATH (e.g. sarif=results.sarif), got {s:?}"))?;
    let format = <Format as ValueEnum>::from_str(format, true).map_err(|_| {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(ValueEnum::to_possible_value)
            .map(|v| v.get_name().to_string())
            .collect();
        format!("unknown format {format:?} ({})", names.join(", "))
    })?;
    Ok((format, PathBuf::from(path)))
}

/// `IL205=info`.
fn parse_severity(s: &str) -> Result<(Code, Severity), String> {
    let (code, level) = s
        .split_once('=')
        .ok_or_else(|| format!("expected CODE=LEVEL (e.g. IL205=info), got {s:?}"))?;
    let level = <Severity as ValueEnum>::from_str(level.trim(), true)
        .map_err(|_| format!("unknown severity {level:?} (error, warning, info)"))?;
    Ok((code.parse()?, level))
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The image, as the engine names it (NAME[:TAG] or an ID); with --build, the tag to
    /// give the image built.
    #[arg(required_unless_present = "build")]
    pub image: Option<String>,
    /// First build this (a directory with a Dockerfile, or a Dockerfile: its directory is
    /// the context) with the engine's CLI (`docker build`, `podman build`), then verify the
    /// image built.
    #[arg(long, value_name = "DIR|DOCKERFILE")]
    pub build: Option<PathBuf>,
    /// The engine whose API to use.
    #[arg(long, value_enum, default_value_t = EngineArg::Docker)]
    pub engine: EngineArg,
    /// Seconds to let the container run before looking (until healthy, at most 60 s, when
    /// the image has a HEALTHCHECK).
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS")]
    pub settle: f64,
    /// Seconds `docker stop` waits before SIGKILL.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub grace: u64,
    /// Override the image's entrypoint (a JSON array, or one word).
    #[arg(long, value_name = "JSON|WORD", value_parser = parse_argv)]
    pub entrypoint: Option<Argv>,
    /// Override the image's command (a JSON array, or one word).
    #[arg(long, value_name = "JSON|WORD", value_parser = parse_argv)]
    pub cmd: Option<Argv>,
    /// An environment variable for the container (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Run with the engine's init in front, as `docker run --init` (Compose `init: true`).
    #[arg(long)]
    pub init: bool,
    /// Stop with this signal, as `docker run --stop-signal` (Compose `stop_signal:`).
    #[arg(long = "stop-signal", value_name = "SIGNAL")]
    pub stop_signal: Option<String>,
    /// Run PID 1 as this user (NAME, UID or UID:GID) instead of the image's USER (root when
    /// it sets none). An entrypoint that switches users itself (gosu, su) needs root.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// A writable root filesystem (written to the engine's disk). By default the root is
    /// read-only, with 64 MiB tmpfs at /tmp, /run and /var/tmp: an image that writes
    /// elsewhere at start exits early and says "Read-only file system".
    #[arg(long)]
    pub writable: bool,
    /// Output: human, or json.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Human)]
    pub format: VerifyFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    Docker,
    Podman,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    Human,
    Json,
}

/// An argv given as one flag value. A type of its own: clap reads `Option<Vec<_>>` as a flag
/// taking many values, and its derive panics when the parser returns the whole vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argv(pub Vec<String>);

/// `["a", "b"]` or a single word.
fn parse_argv(s: &str) -> Result<Argv, String> {
    if s.trim_start().starts_with('[') {
        return serde_json::from_str(s)
            .map(Argv)
            .map_err(|e| format!("not a JSON array of strings: {e}"));
    }
    Ok(Argv(vec![s.to_string()]))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every rule: code, name, severity, summary.
    Rules,
    /// Print a rule's documentation page (e.g. `initlint rule IL101`).
    Rule {
        /// The rule code.
        code: String,
    },
    /// Print a shell completion script, e.g. `initlint completions bash >
    /// /etc/bash_completion.d/initlint`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `initlint manpage > initlint.1; man -l initlint.1`.
    Manpage,
    /// Prove the verdict: start a container of IMAGE in the local engine, sandboxed (no
    /// network, 256 MiB, 256 processes, 1 CPU, most capabilities dropped, no-new-privileges,
    /// read-only root with small tmpfs), leave two orphans to its PID 1, stop it as `docker
    /// stop` does, and show what happened next to the static verdict. Exit 1 when it needed
    /// SIGKILL or kept zombies. The container is removed afterwards, Ctrl-C and `kill -9`
    /// included (a watchdog process), and containers left by killed runs at the next start.
    Verify(VerifyArgs),
    /// verify's watchdog: remove CONTAINER once stdin closes.
    #[command(hide = true)]
    VerifyWatch {
        #[arg(long, value_enum, default_value_t = EngineArg::Docker)]
        engine: EngineArg,
        container: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Launch chain, verdict and each finding with its source snippet.
    Human,
    /// One JSON object per target (the output contract).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// One line per finding: `path:line:col: severity: CODE message`.
    Compact,
    /// One JSON object per target, one per line (JSON Lines).
    Jsonl,
    /// GitLab Code Quality report (a JSON array of issues).
    Gitlab,
    /// Checkstyle XML, for Jenkins' warnings plugin, reviewdog and others.
    Checkstyle,
    /// JUnit XML: a test suite per target, a failed test case per finding.
    Junit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}
