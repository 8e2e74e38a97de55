//! initlint: static analysis of what becomes PID 1 in a container, and whether it will get the
//! stop signal. Pipeline: source → dockerfile → model → launch → rules → report.

pub mod cli;
pub mod config;
pub mod dockerfile;
pub mod elf;
pub mod engine;
pub mod error;
#[doc(hidden)]
pub mod fuzz;
pub mod image;
pub mod knowledge;
pub mod launch;
pub mod model;
pub mod report;
pub mod rules;
pub mod shell;
pub mod source;
pub mod target;
pub mod verdict;

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use cli::{Cli, Color, Format};
use dockerfile::context::{display, ContextView};
use error::{Error, Result};
use model::{Base, Container};
use rules::{Code, Finding};
use source::SourceMap;
use target::Target;

/// The analysis of one Dockerfile.
pub struct Analysis {
    pub name: String,
    pub stage: Option<String>,
    /// Image mode: where the image came from and what reading it took.
    pub image: Option<report::ImageInfo>,
    pub verdict: verdict::Verdict,
    pub sources: SourceMap,
    pub container: Container,
    pub chain: launch::Chain,
    pub findings: Vec<Finding>,
    /// Image mode with `--dockerfile`: the Dockerfile instructions behind the config.
    pub home: Option<report::ConfigHome>,
}

impl Analysis {
    /// What every output format renders.
    pub fn report(&self) -> report::Report<'_> {
        report::Report {
            target: &self.name,
            stage: self.stage.clone(),
            image: self.image.as_ref(),
            verdict: &self.verdict,
            container: &self.container,
            chain: &self.chain,
            findings: &self.findings,
            sources: &self.sources,
            home: self.home.as_ref(),
        }
    }
}

/// Analyse a Dockerfile text; `context` is the build context directory, if any.
pub fn analyse_dockerfile(
    name: String,
    text: String,
    context: Option<&Path>,
    opts: &dockerfile::Options,
    settings: &config::Settings,
) -> Result<Analysis> {
    if text.trim().is_empty() {
        return Err(Error::Empty { path: name });
    }
    let mut sources = SourceMap::default();
    let file = sources.add(name.clone(), text);
    let loaded = dockerfile::load(&sources, file, opts)?;
    let scratch = matches!(loaded.base, Base::Scratch);
    let container = Container {
        entrypoint: loaded.entrypoint,
        cmd: loaded.cmd,
        env: loaded.env,
        workdir: loaded.workdir,
        stop_signal: loaded.stop_signal,
        shell: loaded.shell,
        base: loaded.base,
        files: Box::new(ContextView {
            context: context.map(Path::to_path_buf),
            fs: loaded.fs,
            scratch,
        }),
    };
    let chain = launch::build(&container, &mut sources, &settings.extras());
    let facts = loaded.facts;
    let stage = facts
        .stages
        .get(facts.target)
        .map(|s| s.name.clone().unwrap_or_else(|| facts.target.to_string()));
    let verdict = verdict::judge(&container, &chain);
    let ctx = rules::Context {
        container: &container,
        chain: &chain,
        facts: Some(&facts),
        sources: &sources,
        verdict: &verdict,
    };
    let findings = engine::run(&ctx, settings);
    Ok(Analysis {
        name,
        stage,
        image: None,
        verdict,
        sources,
        container,
        chain,
        findings,
        home: None,
    })
}

/// Dockerfiles read at most: real ones are a few KiB; a huge one would cost memory in
/// proportion (about 45 bytes per byte) for no real file.
pub const MAX_DOCKERFILE: u64 = 4 << 20;

fn read_text(path: &Path, name: &str) -> Result<String> {
    let read = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_DOCKERFILE + 1).read_to_end(&mut bytes))
        .map_err(read)?;
    too_large(&bytes, name)?;
    into_text(bytes, name)
}

fn too_large(bytes: &[u8], name: &str) -> Result<()> {
    if bytes.len() as u64 > MAX_DOCKERFILE {
        return Err(Error::Limit {
            path: name.to_string(),
            line: 1,
            column: 1,
            message: format!(
                "the Dockerfile is larger than {} MiB; initlint does not read it",
                MAX_DOCKERFILE >> 20
            ),
        });
    }
    Ok(())
}

fn into_text(bytes: Vec<u8>, name: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| Error::NotText {
        path: name.to_string(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// Run the command line; returns the process exit code.
pub fn run(cli: &Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    match &cli.command {
        Some(cli::Command::Rules) => return list_rules(stdout),
        Some(cli::Command::Rule { code }) => return print_rule(code, stdout, stderr),
        Some(cli::Command::Completions { shell }) => return completions(*shell, stdout),
        Some(cli::Command::Manpage) => return manpage(stdout, stderr),
        None if cli.list_rules => return list_rules(stdout),
        None => {}
    }
    let fail = |stderr: &mut dyn Write, msg: String| {
        let _ = writeln!(stderr, "initlint: error: {msg}");
        2
    };
    let mut cli_ignore = Vec::new();
    for c in &cli.ignore {
        match c.parse::<Code>() {
            Ok(code) => cli_ignore.push(code),
            Err(e) => return fail(stderr, format!("--ignore: {e}")),
        }
    }
    let mut build_args = Vec::new();
    for a in &cli.build_args {
        match a.split_once('=') {
            Some((k, v)) if !k.is_empty() => build_args.push((k.to_string(), v.to_string())),
            _ => return fail(stderr, Error::BuildArg(a.clone()).to_string()),
        }
    }
    // An explicit --config must exist and parse; a found .initlint.toml must parse too.
    let explicit = match (&cli.config, cli.isolated) {
        (Some(p), false) => match config::Config::load(p) {
            Ok(c) => Some(c),
            Err(e) => return fail(stderr, e),
        },
        _ => None,
    };
    let opts = dockerfile::Options {
        target_stage: cli.target.clone(),
        build_args,
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
    for t in &expand_targets(cli, stderr) {
        let cfg = match (&explicit, cli.isolated) {
            (Some(c), _) => c.clone(),
            (None, true) => config::Config::default(),
            (None, false) => match config::Config::find(&config_start(t)) {
                Some(p) => match source::confined(&p).and_then(|()| config::Config::load(&p)) {
                    Ok(c) => c,
                    Err(e) => {
                        code = fail(stderr, e);
                        continue;
                    }
                },
                None => config::Config::default(),
            },
        };
        let target_path = Path::new(t);
        let mut settings = cfg.settings_for(target_path.exists().then_some(target_path));
        settings.ignore.extend(cli_ignore.iter().copied());
        settings.severity.extend(cli.severity.iter().copied());
        let threshold = match cli.no_fail {
            true => rules::Threshold::None,
            false => cli
                .failure_threshold
                .or(settings.failure_threshold)
                .unwrap_or(rules::Threshold::Warning),
        };
        let analysed = analyse_target(t, cli, &opts, &settings).and_then(|mut a| {
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
    let reports: Vec<report::Report<'_>> = done.iter().map(Analysis::report).collect();
    let anchor = report::Anchor::new(cli.sarif_root.as_deref());
    for o in &cli.outputs {
        let written = match o.split_once('=') {
            Some((f, path)) if !path.is_empty() => {
                match <Format as clap::ValueEnum>::from_str(f, true) {
                    Ok(fmt) => {
                        std::fs::write(path, render(fmt, &reports, (false, cli.explain), &anchor))
                            .map_err(|e| format!("--output {o}: cannot write {path}: {e}"))
                    }
                    Err(_) => Err(format!(
                        "--output {o}: unknown format {f:?} ({})",
                        format_names()
                    )),
                }
            }
            _ => Err(format!("--output {o:?}: expected FORMAT=PATH")),
        };
        if let Err(e) = written {
            code = fail(stderr, e);
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

fn format_names() -> String {
    <Format as clap::ValueEnum>::value_variants()
        .iter()
        .filter_map(clap::ValueEnum::to_possible_value)
        .map(|v| v.get_name().to_string())
        .collect::<Vec<_>>()
        .join(", ")
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
fn expand_targets(cli: &Cli, stderr: &mut dyn Write) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
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
        let archive = [".tar", ".tar.gz", ".tgz", ".tar.zst"]
            .iter()
            .any(|ext| t.ends_with(ext));
        if t == "-" || !path.is_file() || archive || dockerfile::repo::is_dockerfile(path) {
            push(t.clone(), &mut out);
            continue;
        }
        let root = dockerfile::repo::root_of(path);
        let users = dockerfile::repo::copied_by(path, &root, cli.context.as_deref());
        let shown = |p: &Path| match display(p) {
            s if s.is_empty() => ".".to_string(),
            s => s,
        };
        if users.is_empty() {
            let _ = writeln!(
                stderr,
                "initlint: {t} is not a Dockerfile, and no Dockerfile under {} copies it: nothing to lint",
                shown(&root)
            );
        }
        for df in users {
            let _ = writeln!(
                stderr,
                "initlint: {t} is copied by {}: linting it",
                shown(&df)
            );
            push(display(&df), &mut out);
        }
    }
    out
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
            let _ = writeln!(stderr, "initlint: error: {e}");
            2
        }
    }
}

fn analyse_target(
    t: &str,
    cli: &Cli,
    opts: &dockerfile::Options,
    settings: &config::Settings,
) -> Result<Analysis> {
    let target =
        target::resolve_target(t, cli.context.as_deref()).map_err(|message| Error::Target {
            target: t.to_string(),
            message,
        })?;
    match target {
        Target::Dockerfile { path, context } => {
            let name = display(&path);
            source::confined(&path).map_err(|message| Error::Target {
                target: t.to_string(),
                message,
            })?;
            let text = read_text(&path, &name)?;
            analyse_dockerfile(name, text, Some(&context), opts, settings)
        }
        Target::Stdin { context } => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(MAX_DOCKERFILE + 1)
                .read_to_end(&mut bytes)
                .map_err(|source| Error::Read {
                    path: "<stdin>".into(),
                    source,
                })?;
            too_large(&bytes, "<stdin>")?;
            let text = into_text(bytes, "<stdin>")?;
            analyse_dockerfile("<stdin>".into(), text, context.as_deref(), opts, settings)
        }
        Target::Image(arg) => {
            let err = |message: String| Error::Target {
                target: t.to_string(),
                message,
            };
            let target = match image::parse_target(&arg) {
                Some(r) => r.map_err(err)?,
                None => image::ImageTarget::Bare {
                    reference: image::reference::Reference::parse(&arg).map_err(err)?,
                    written: arg.clone(),
                },
            };
            let opts = image_options(cli, &target)?;
            analyse_image(t, &target, &opts, settings)
        }
    }
}

fn image_options(cli: &Cli, target: &image::ImageTarget) -> Result<image::Options> {
    let mut opts = image::Options::default();
    if let Some(p) = &cli.platform {
        opts.platform = image::store::Platform::parse(p).map_err(|message| Error::Target {
            target: "--platform".into(),
            message,
        })?;
    }
    opts.insecure_registries = cli.insecure_registries.clone();
    opts.config = cli.image_config.clone();
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
    if let Some(list) = &cli.image_src {
        opts.image_sources = list
            .split(',')
            .map(image::ImageSource::parse)
            .collect::<std::result::Result<_, _>>()
            .map_err(|message| Error::Target {
                target: "--image-src".into(),
                message,
            })?;
    }
    opts.progress = matches!(
        target,
        image::ImageTarget::Registry(_) | image::ImageTarget::Bare { .. }
    ) && std::io::stderr().is_terminal();
    Ok(opts)
}

/// Analyse an image: its config is the launch, its merged layers are the filesystem.
pub fn analyse_image(
    name: &str,
    target: &image::ImageTarget,
    opts: &image::Options,
    settings: &config::Settings,
) -> Result<Analysis> {
    let loaded = image::load(target, name, opts).map_err(|e| {
        let msg = e.to_string();
        Error::Image(if msg.starts_with(name) {
            msg
        } else {
            format!("{name}: {msg}")
        })
    })?;
    let info = report::ImageInfo {
        source: loaded.kind,
        platform: loaded.platform.clone(),
        manifest_digest: loaded.manifest_digest.clone(),
        stats: Default::default(),
    };
    let mut sources = SourceMap::default();
    let container = image::container(loaded, &mut sources);
    let chain = launch::build(&container, &mut sources, &settings.extras());
    let verdict = verdict::judge(&container, &chain);
    let ctx = rules::Context {
        container: &container,
        chain: &chain,
        facts: None,
        sources: &sources,
        verdict: &verdict,
    };
    let findings = engine::run(&ctx, settings);
    let stats = container.files.stats();
    Ok(Analysis {
        name: name.to_string(),
        stage: None,
        image: Some(report::ImageInfo { stats, ..info }),
        verdict,
        sources,
        container,
        chain,
        findings,
        home: None,
    })
}
