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

use dockerfile::context::{display, BaseFiles};
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
    /// Dockerfile mode: the base image, read (where from, what reading it took) or not (why).
    pub base: Option<report::BaseInfo>,
}

impl Analysis {
    /// What every output format renders.
    pub fn report(&self) -> report::Report<'_> {
        report::Report {
            target: &self.name,
            stage: self.stage.clone(),
            image: self.image.as_ref(),
            base: self.base.as_ref(),
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
    /// Dockerfile mode: whether and how the base image is read.
    pub bases: BaseImages,
}

/// Dockerfile mode: the base image under the linted stage.
#[derive(Debug, Clone)]
pub enum BaseImages {
    /// Read it with these options (local engines first, then the registry unless offline).
    Read(image::Options),
    /// Do not read it, and why (said where a path would come from it).
    Off(Option<String>),
}

impl Default for BaseImages {
    /// Library callers and tests read nothing unless they ask to.
    fn default() -> Self {
        BaseImages::Off(None)
    }
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

/// Analyse a Dockerfile text; `context` is the build context directory, if any. The target
/// stage's base image is read when it can be (`Options.bases`): its config is what the stage
/// starts with, its files are what the Dockerfile does not copy.
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
    let other: Option<std::rc::Rc<dyn model::OtherImages>> = match &opts.bases {
        BaseImages::Read(image_opts) => {
            Some(std::rc::Rc::new(image::base::OnDemand::new(image_opts)))
        }
        BaseImages::Off(_) => None,
    };
    let lint = DockerfileLint {
        name,
        text,
        context,
        opts,
        settings,
        other,
    };
    let (sources, loaded) = lint.load(&opts.dockerfile)?;
    let Some(reference) = base_reference(&loaded) else {
        return Ok(lint.finish(sources, loaded, BaseFiles::Unread(None), None));
    };
    let reading = match &opts.bases {
        BaseImages::Read(image_opts) => image::base::open(&reference, image_opts),
        BaseImages::Off(None) => {
            return Ok(lint.finish(sources, loaded, BaseFiles::Unread(None), None))
        }
        BaseImages::Off(Some(why)) => Err(why.clone()),
    };
    match reading {
        Ok(reading) => lint.over_base(&reference, reading),
        Err(why) => Ok(lint.without_base(sources, loaded, &reference, why)),
    }
}

/// One Dockerfile being linted, loaded again for each view of its base.
struct DockerfileLint<'a> {
    name: String,
    text: String,
    context: Option<&'a Path>,
    opts: &'a Options,
    settings: &'a config::Settings,
    /// The images other stages are built on or copy from, read once for all views.
    other: Option<std::rc::Rc<dyn model::OtherImages>>,
}

impl DockerfileLint<'_> {
    /// A fresh source map with the Dockerfile first, and the Dockerfile loaded with `dopts`.
    fn load(&self, dopts: &dockerfile::Options) -> Result<(SourceMap, dockerfile::Loaded)> {
        let mut sources = SourceMap::default();
        let file = sources.add(self.name.clone(), self.text.clone());
        let loaded = dockerfile::load(&sources, file, dopts)?;
        Ok((sources, loaded))
    }

    /// The base could not be read: linted without it, and the reason said.
    fn without_base(
        &self,
        sources: SourceMap,
        loaded: dockerfile::Loaded,
        reference: &str,
        why: String,
    ) -> Analysis {
        let info = report::BaseInfo {
            reference: reference.to_string(),
            read: Err(why.clone()),
        };
        self.finish(sources, loaded, BaseFiles::Unread(Some(why)), Some(info))
    }

    /// The layers of the base are read from the top down; the Dockerfile is judged on each
    /// partial view until every path its launch chain looked up is settled.
    fn over_base(&self, reference: &str, mut reading: image::reading::Reading) -> Result<Analysis> {
        let mut unread = Vec::new();
        loop {
            let image = match reading.next(&unread) {
                Ok(image) => image,
                Err(e) => {
                    // A base that breaks mid-read: the Dockerfile is still linted, without it.
                    let (sources, loaded) = self.load(&self.opts.dockerfile)?;
                    let why = image::base::without_name(reference, &e);
                    return Ok(self.without_base(sources, loaded, reference, why));
                }
            };
            let complete = image.complete();
            let info = report::ImageInfo {
                source: image.kind,
                platform: image.platform.clone(),
                manifest_digest: image.manifest_digest.clone(),
                stats: None,
            };
            let mut sources = SourceMap::default();
            // The Dockerfile first, as in every other load, then the base's config.
            let file = sources.add(self.name.clone(), self.text.clone());
            let base = image::container(image, &mut sources);
            let mut dopts = self.opts.dockerfile.clone();
            dopts.base = Some(dockerfile::Inherited::of(reference, &base));
            let loaded = dockerfile::load(&sources, file, &dopts)?;
            let files = BaseFiles::Read {
                reference: reference.to_string(),
                files: base.files,
            };
            let info = report::BaseInfo {
                reference: reference.to_string(),
                read: Ok(info),
            };
            let a = self.finish(sources, loaded, files, Some(info));
            unread = a.container.files.unread();
            if complete || unread.is_empty() {
                return Ok(a);
            }
        }
    }

    /// The pipeline for the loaded Dockerfile over its base (read or not).
    fn finish(
        &self,
        mut sources: SourceMap,
        loaded: dockerfile::Loaded,
        base: BaseFiles,
        base_info: Option<report::BaseInfo>,
    ) -> Analysis {
        let (mut container, facts) =
            dockerfile::container(loaded, self.context, base, self.other.clone());
        container.apply(self.opts.run.overrides(&mut sources));
        let stage = facts
            .stages
            .get(facts.target)
            .map(|s| s.name.clone().unwrap_or_else(|| facts.target.to_string()));
        let (chain, verdict, findings) =
            judge(&container, &mut sources, Some(&facts), self.settings);
        // What reading the base took, counted after the launch chain read its files.
        let base = base_info.map(|b| report::BaseInfo {
            read: b.read.map(|info| report::ImageInfo {
                stats: container.files.stats(),
                ..info
            }),
            ..b
        });
        Analysis {
            name: self.name.clone(),
            stage,
            image: None,
            base,
            verdict,
            sources,
            container,
            chain,
            findings,
            home: None,
        }
    }
}

/// The external reference the loaded stage is built on.
fn base_reference(loaded: &dockerfile::Loaded) -> Option<String> {
    match &loaded.base {
        model::Base::External { reference, .. } => Some(reference.clone()),
        _ => None,
    }
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
                base: None,
            });
        }
    }
}
