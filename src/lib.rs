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
pub mod verify;

use std::path::Path;

use dockerfile::context::display;
use error::{Error, Result};
use model::Container;
use rules::Finding;
use source::SourceMap;
use target::Target;

pub use cli::run;

/// The analysis of one target (a Dockerfile or an image).
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

/// How to read a target: the Dockerfile front door's options (stage, build args), the image
/// front door's (platform, registries, limits), and the run-time layer both put on top
/// (`--entrypoint`, `--cmd`, `--stop-signal`, `--env`).
#[derive(Default)]
pub struct Options {
    pub dockerfile: dockerfile::Options,
    pub image: image::Options,
    pub run: model::flags::RunFlags,
}

/// Lint one target: the entry point both front doors share.
pub fn lint(target: &Target, opts: &Options, settings: &config::Settings) -> Result<Analysis> {
    match target {
        Target::Dockerfile { path, context } => {
            let name = display(path);
            source::confined(path).map_err(|message| Error::Target {
                target: name.clone(),
                message,
            })?;
            let text = dockerfile::input::read_file(path, &name)?;
            analyse_dockerfile(name, text, Some(context), opts, settings)
        }
        Target::Stdin { context } => {
            let text = dockerfile::input::read_stdin()?;
            let name = source::STDIN.to_string();
            analyse_dockerfile(name, text, context.as_deref(), opts, settings)
        }
        Target::Image { image, written } => analyse_image(written, image, opts, settings),
    }
}

/// The pipeline after a front door: the launch chain, the verdict, the findings.
fn judge(
    container: &Container,
    sources: &mut SourceMap,
    facts: Option<&dockerfile::Facts>,
    settings: &config::Settings,
) -> (launch::Chain, verdict::Verdict, Vec<Finding>) {
    let chain = launch::build(container, sources, &settings.extras());
    let verdict = verdict::judge(container, &chain);
    let ctx = rules::Context {
        container,
        chain: &chain,
        facts,
        sources,
        verdict: &verdict,
    };
    let findings = engine::run(&ctx, settings);
    (chain, verdict, findings)
}

/// Analyse a Dockerfile text; `context` is the build context directory, if any.
pub fn analyse_dockerfile(
    name: String,
    text: String,
    context: Option<&Path>,
    opts: &Options,
    settings: &config::Settings,
) -> Result<Analysis> {
    if text.trim().is_empty() {
        return Err(Error::Empty { path: name });
    }
    let mut sources = SourceMap::default();
    let file = sources.add(name.clone(), text);
    let loaded = dockerfile::load(&sources, file, &opts.dockerfile)?;
    let (mut container, facts) = dockerfile::container(loaded, context);
    container.apply(opts.run.overrides(&mut sources));
    let stage = facts
        .stages
        .get(facts.target)
        .map(|s| s.name.clone().unwrap_or_else(|| facts.target.to_string()));
    let (chain, verdict, findings) = judge(&container, &mut sources, Some(&facts), settings);
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

/// Analyse an image: its config is the launch, its merged layers are the filesystem. The
/// layers are read from the top down; the pipeline runs on each partial view until every path
/// the launch chain looked up is settled (or the base is in), and its last run is the answer.
pub fn analyse_image(
    name: &str,
    target: &image::ImageTarget,
    opts: &Options,
    settings: &config::Settings,
) -> Result<Analysis> {
    let failed = |source| Error::Image {
        image: name.to_string(),
        source,
    };
    let mut reading = image::open(target, name, &opts.image).map_err(failed)?;
    let mut unread = Vec::new();
    loop {
        let loaded = reading.next(&unread).map_err(failed)?;
        let complete = loaded.complete();
        let info = report::ImageInfo {
            source: loaded.kind,
            platform: loaded.platform.clone(),
            manifest_digest: loaded.manifest_digest.clone(),
            stats: Default::default(),
        };
        let mut sources = SourceMap::default();
        let mut container = image::container(loaded, &mut sources);
        container.apply(opts.run.overrides(&mut sources));
        let (chain, verdict, findings) = judge(&container, &mut sources, None, settings);
        unread = container.files.unread();
        if complete || unread.is_empty() {
            let stats = container.files.stats();
            return Ok(Analysis {
                name: name.to_string(),
                stage: None,
                image: Some(report::ImageInfo { stats, ..info }),
                verdict,
                sources,
                container,
                chain,
                findings,
                home: None,
            });
        }
    }
}
