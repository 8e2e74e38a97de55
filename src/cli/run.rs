//! The command line as a process: config discovery, targets, colour and width, subcommands,
//! the report on stdout and the exit code. The analysis itself is [`crate::lint`].

use std::io::{IsTerminal, Write};
use std::path::Path;

use super::{Cli, Color, Format};
use crate::dockerfile::context::display;
use crate::error::{Error, Result};
use crate::rules::{self, Code};
use crate::target::{self, Target};
use crate::{config, dockerfile, image, report, Analysis};

/// Run the command line; returns the process exit code.
pub fn run(cli: &Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    match &cli.command {
        Some(super::Command::Rules) => return list_rules(stdout),
        Some(super::Command::Rule { code }) => return print_rule(code, stdout, stderr),
        Some(super::Command::Completions { shell }) => return completions(*shell, stdout),
        Some(super::Command::Manpage) => return manpage(stdout, stderr),
        Some(super::Command::Verify(args)) => return super::verify::verify(args, stdout, stderr),
        Some(super::Command::VerifyWatch { engine, container }) => {
            return super::verify::watch(*engine, container)
        }
        None if cli.list_rules => return list_rules(stdout),
        None => {}
    }
    // Messages quote input (paths, tar entry names, config text): escaped, so none can start
    // a line of its own (a workflow command) or drive the terminal.
    let fail = |stderr: &mut dyn Write, msg: String| {
        let _ = writeln!(stderr, "initlint: error: {}", report::clean(&msg));
        2
    };
    // An explicit --config must exist and parse; a found .initlint.toml must parse too.
    let explicit = match (&cli.config, cli.isolated) {
        (Some(p), false) => match config::Config::load(p) {
            Ok(c) => Some(c),
            Err(e) => return config_error(stderr, &e),
        },
        _ => None,
    };
    let opts = dockerfile::Options {
        target_stage: cli.target.clone(),
        build_args: cli.build_args.clone(),
        base: None,
    };
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    let mut code = 0u8;
    let mut done = Vec::new();
    let (targets, incomplete) = expand_targets(cli, stderr);
    if incomplete {
        code = 2;
    }
    for t in &targets {
        let cfg = match (&explicit, cli.isolated) {
            (Some(c), _) => c.clone(),
            (None, true) => config::Config::default(),
            (None, false) => match config::Config::find(&config_start(t)) {
                Some(p) => {
                    let loaded = crate::source::confined(&p)
                        .map_err(|message| config::ConfigError::Read {
                            path: p.display().to_string(),
                            message,
                        })
                        .and_then(|()| config::Config::load(&p));
                    match loaded {
                        Ok(c) => c,
                        Err(e) => {
                            code = config_error(stderr, &e);
                            continue;
                        }
                    }
                }
                None => config::Config::default(),
            },
        };
        let target_path = Path::new(t);
        let mut settings = cfg.settings_for(target_path.exists().then_some(target_path));
        settings.ignore.extend(cli.ignore.iter().copied());
        settings.severity.extend(cli.severity.iter().copied());
        let threshold = match cli.no_fail {
            true => rules::Threshold::None,
            false => cli
                .failure_threshold
                .or(settings.failure_threshold)
                .unwrap_or(rules::Threshold::Warning),
        };
        for analysed in analyse_target(t, cli, &opts, &settings) {
            let analysed = analysed.and_then(|mut a| {
                if let (Some(df), Some(_)) = (&cli.dockerfile, &a.image) {
                    a.home = Some(report::ConfigHome::load(df, &mut a.sources, &opts).map_err(
                        |message| Error::Target {
                            target: t.to_string(),
                            message,
                        },
                    )?);
                }
                Ok(a)
            });
            match analysed {
                Ok(a) => {
                    if a.findings.iter().any(|f| threshold.fails(f.severity)) {
                        code = code.max(1);
                    }
                    done.push(a);
                }
                Err(e) => code = fail(stderr, e.to_string()),
            }
        }
    }
    let reports: Vec<report::Report<'_>> = done.iter().map(Analysis::report).collect();
    let anchor = report::Anchor::new(cli.sarif_root.as_deref());
    for (fmt, path) in &cli.outputs {
        let text = render(*fmt, &reports, (false, cli.explain), &anchor);
        if let Err(e) = std::fs::write(path, text) {
            code = fail(
                stderr,
                format!("--output: cannot write {}: {e}", path.display()),
            );
        }
    }
    // A report that cannot be written (a full disk, a closed pipe) is not a pass.
    let printed = write!(
        stdout,
        "{}",
        render(cli.format, &reports, (color, cli.explain), &anchor)
    )
    .and_then(|()| stdout.flush());
    if let Err(e) = printed {
        return fail(stderr, format!("cannot write the report to stdout: {e}"));
    }
    code
}

fn render(
    format: Format,
    reports: &[report::Report<'_>],
    (color, explain): (bool, bool),
    anchor: &report::Anchor,
) -> String {
    match format {
        Format::Human => {
            let style = report::Style {
                color,
                width: terminal_width(),
                explain,
            };
            reports.iter().map(|r| report::human(r, &style)).collect()
        }
        // One target prints one object (the contract); several, one array of them: always
        // one valid JSON document.
        Format::Json => {
            let mut docs: Vec<serde_json::Value> = reports.iter().map(report::json).collect();
            let doc = match docs.len() {
                1 => docs.remove(0),
                _ => serde_json::Value::Array(docs),
            };
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
        }
        Format::Sarif => format!(
            "{}\n",
            serde_json::to_string_pretty(&report::sarif(reports, anchor)).unwrap_or_default()
        ),
        Format::Jsonl => reports
            .iter()
            .map(|r| format!("{}\n", report::json(r)))
            .collect(),
        Format::Github => reports.iter().map(report::github).collect(),
        Format::Compact => reports.iter().map(report::compact).collect::<String>(),
        Format::Gitlab => format!(
            "{}\n",
            serde_json::to_string_pretty(&report::gitlab(reports, anchor)).unwrap_or_default()
        ),
        Format::Checkstyle => report::checkstyle(reports),
        Format::Junit => report::junit(reports),
    }
}

/// Human output's width: `COLUMNS` when set, else the terminal's, else 80 (a pipe, a CI log).
fn terminal_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return n;
    }
    match terminal_size::terminal_size_of(std::io::stdout()) {
        Some((terminal_size::Width(w), _)) if std::io::stdout().is_terminal() => usize::from(w),
        _ => 80,
    }
}

fn completions(shell: clap_complete::Shell, stdout: &mut dyn Write) -> u8 {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut cmd, "initlint", stdout);
    0
}

fn manpage(stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut page = Vec::new();
    let written = clap_mangen::Man::new(cmd)
        .render(&mut page)
        .and_then(|()| stdout.write_all(&page));
    match written {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(stderr, "initlint: error: cannot write the manual page: {e}");
            2
        }
    }
}

/// The targets to lint: a file of a build context (a script, an app source; not a Dockerfile
/// by name or content) stands for the repository's Dockerfiles that copy it, said on stderr.
/// A Dockerfile reached twice is linted once.
/// Also whether a repository walk stopped at its entry limit before it found a Dockerfile that
/// copies a named file (said on stderr; the run exits 2: "no Dockerfile copies it" would not
/// be known).
fn expand_targets(cli: &Cli, stderr: &mut dyn Write) -> (Vec<String>, bool) {
    let mut incomplete = false;
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Each repository is searched and its Dockerfiles read once, however many files name it.
    let mut repos = std::collections::HashMap::new();
    let mut push = |t: String, out: &mut Vec<String>| {
        let key = Path::new(&t)
            .canonicalize()
            .unwrap_or_else(|_| t.clone().into());
        if seen.insert(key) {
            out.push(t);
        }
    };
    for t in &cli.targets {
        let path = Path::new(t);
        let archive = target::is_archive_name(t);
        // A Compose file or Kubernetes manifest (or a YAML file that is neither, which gets
        // its error) is linted itself, not as a file Dockerfiles copy.
        let yaml = target::manifest_format(path).map_or(true, |f| f.is_some());
        if t == "-" || !path.is_file() || archive || yaml || dockerfile::repo::is_dockerfile(path) {
            push(t.clone(), &mut out);
            continue;
        }
        let root = dockerfile::repo::root_of(path);
        let copiers = repos
            .entry(root.clone())
            .or_insert_with(|| dockerfile::repo::Copiers::of(&root, cli.context.as_deref()));
        let users = copiers.of_file(path);
        let shown = |p: &Path| match display(p) {
            s if s.is_empty() => ".".to_string(),
            s => s,
        };
        if users.is_empty() && copiers.truncated() {
            incomplete = true;
            let _ = writeln!(
                stderr,
                "initlint: error: {} is not a Dockerfile, and the search of {} for Dockerfiles that copy it stopped after {} entries: name the Dockerfile instead",
                report::clean(t),
                report::clean(&shown(&root)),
                dockerfile::repo::MAX_ENTRIES
            );
        } else if users.is_empty() {
            let _ = writeln!(
                stderr,
                "initlint: {} is not a Dockerfile, and no Dockerfile under {} copies it: nothing to lint",
                report::clean(t),
                report::clean(&shown(&root))
            );
        }
        for df in users {
            let _ = writeln!(
                stderr,
                "initlint: {} is copied by {}: linting it",
                report::clean(t),
                report::clean(&shown(&df))
            );
            push(display(&df), &mut out);
        }
    }
    (out, incomplete)
}

/// Where to look for `.initlint.toml`: the Dockerfile's directory, else the working directory.
fn config_start(target: &str) -> std::path::PathBuf {
    let p = Path::new(target);
    if p.is_dir() {
        p.to_path_buf()
    } else if p.is_file() {
        p.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| ".".into(), Path::to_path_buf)
    } else {
        ".".into()
    }
}

fn list_rules(stdout: &mut dyn Write) -> u8 {
    for r in rules::ALL {
        let m = r.meta();
        let _ = writeln!(
            stdout,
            "{}  {:<34} {:<8} {}",
            m.code,
            m.name,
            m.severity.as_str(),
            m.summary
        );
    }
    0
}

fn print_rule(code: &str, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    match code.parse::<Code>() {
        Ok(c) => {
            let _ = write!(stdout, "{}", rules::meta(c).doc);
            0
        }
        Err(e) => {
            let _ = writeln!(stderr, "initlint: error: {}", report::clean(&e));
            2
        }
    }
}

fn analyse_target(
    t: &str,
    cli: &Cli,
    opts: &dockerfile::Options,
    settings: &config::Settings,
) -> Vec<Result<Analysis>> {
    let target = match target::resolve_target(t, cli.context.as_deref()) {
        Ok(Target::Manifest {
            path,
            format: crate::manifest::Format::Compose,
            with,
        }) => Target::Manifest {
            path,
            format: crate::manifest::Format::Compose,
            with: match cli.compose_files.is_empty() {
                true => with,
                false => cli.compose_files.clone(),
            },
        },
        Ok(Target::Dockerfile { path, context }) if cli.context.is_none() => Target::Dockerfile {
            context: dockerfile::repo::infer_context(&path, &context).unwrap_or(context),
            path,
        },
        Ok(target) => target,
        Err(source) => {
            return vec![Err(Error::NoTarget {
                target: t.to_string(),
                source,
            })]
        }
    };
    let offline = cli.offline || settings.offline;
    let (image, bases) = match &target {
        Target::Image { image, .. } => (
            image_options(cli, image_progress(image), offline),
            crate::BaseImages::default(),
        ),
        // A manifest (a file, or a Kubernetes stream on standard input) names images, read as
        // image mode reads them, and builds, read as Dockerfile mode does.
        _ if cli.no_base => (
            image_options(cli, false, offline),
            crate::BaseImages::default(),
        ),
        _ => (
            image_options(cli, false, offline),
            crate::BaseImages::Read(image_options(cli, false, offline)),
        ),
    };
    let opts = crate::Options {
        dockerfile: opts.clone(),
        image,
        run: cli.run_flags(),
        bases,
        manifest: None,
        image_for: cli.image_for.clone(),
    };
    crate::lint_all(&target, &opts, settings)
}

/// A pull from a registry shows its progress on a terminal.
fn image_progress(target: &image::ImageTarget) -> bool {
    matches!(
        target,
        image::ImageTarget::Registry(_) | image::ImageTarget::Bare { .. }
    ) && std::io::stderr().is_terminal()
}

/// The image options the flags set; `offline` keeps only the local engines as sources.
fn image_options(cli: &Cli, progress: bool, offline: bool) -> image::Options {
    let mut opts = image::Options::default();
    if let Some(p) = &cli.platform {
        opts.platform = p.clone();
    }
    opts.insecure_registries = cli.insecure_registries.clone();
    opts.config = cli.image_config.clone();
    opts.command_given = cli.entrypoint.is_some() || cli.cmd.is_some();
    opts.all_layers = cli.all_layers;
    if let Some(bytes) = cli.max_image_size {
        opts.limits.max_image_bytes = bytes;
    }
    if let Some(n) = cli.max_ratio {
        opts.limits.max_ratio = n;
    }
    if let Some(secs) = cli.network_timeout {
        opts.network_timeout = std::time::Duration::from_secs(secs);
    }
    if let Some(bytes) = cli.max_layer_size {
        opts.limits.max_layer_bytes = bytes;
    }
    if !cli.image_src.is_empty() {
        opts.image_sources = cli.image_src.clone();
    }
    if offline {
        opts.image_sources = image::base::offline(&opts.image_sources);
    }
    if !cli.no_cache {
        opts.cache = image::cache::default_dir().map(image::cache::Cache::new);
    }
    opts.progress = progress;
    opts
}

/// A config error, and where it is: the line of the file with the spot underlined.
fn config_error(stderr: &mut dyn Write, e: &config::ConfigError) -> u8 {
    let _ = writeln!(stderr, "initlint: error: {}", report::clean(&e.to_string()));
    if let config::ConfigError::Invalid { path, text, at, .. } = e {
        let _ = write!(
            stderr,
            "{}",
            report::snippet(path, text, at.clone(), "here")
        );
    }
    2
}
