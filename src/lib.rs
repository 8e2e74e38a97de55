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
pub mod manifest;
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
#[derive(Default, Clone)]
pub struct Options {
    pub dockerfile: dockerfile::Options,
    pub image: image::Options,
    pub run: model::flags::RunFlags,
    /// Dockerfile mode: whether and how the base image is read.
    pub bases: BaseImages,
    /// A Compose service's or Kubernetes container's settings, over the image (and under the
    /// command-line flags).
    pub manifest: Option<std::sync::Arc<manifest::Applied>>,
    /// `--image-for IMAGE=PATH`: a manifest's image built from this local Dockerfile.
    pub image_for: Vec<(String, std::path::PathBuf)>,
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
        Target::Manifest { path, .. } => Err(Error::Target {
            target: display(path),
            message: "a manifest starts several containers: lint it with lint_all".into(),
        }),
    }
}

/// What the runtime puts over the image: a manifest's settings, then the command line's.
fn apply_runtime(container: &mut Container, opts: &Options, sources: &mut SourceMap) {
    if let Some(m) = &opts.manifest {
        let ids: Vec<_> = m
            .files
            .iter()
            .map(|(name, text)| sources.add(name.clone(), text.clone()))
            .collect();
        container.apply(m.overrides(&ids));
    }
    container.apply(opts.run.overrides(sources));
}

/// Every container a target starts: one for a Dockerfile or an image, one per service or
/// container for a manifest (each with its own error).
pub fn lint_all(
    target: &Target,
    opts: &Options,
    settings: &config::Settings,
) -> Vec<Result<Analysis>> {
    match target {
        Target::Manifest { path, format, with } => {
            analyse_manifest(path, with, *format, opts, settings)
        }
        // `helm template . | initlint -`: a Kubernetes stream on stdin, by its content.
        Target::Stdin { context } => {
            let text = match dockerfile::input::read_stdin() {
                Ok(t) => t,
                Err(e) => return vec![Err(e)],
            };
            match manifest::Format::by_content(&text) {
                Some(format) => {
                    let dir = context.clone().unwrap_or_else(|| ".".into());
                    let files = vec![(source::STDIN.to_string(), text)];
                    manifest_workloads(files, &dir, format, opts, settings)
                }
                None => {
                    let name = source::STDIN.to_string();
                    vec![analyse_dockerfile(
                        name,
                        text,
                        context.as_deref(),
                        opts,
                        settings,
                    )]
                }
            }
        }
        _ => vec![lint(target, opts, settings)],
    }
}

/// Each workload of a Compose file or Kubernetes manifest: its image (a build context in
/// Each workload of a Compose file (with the files merged over it, in order) or Kubernetes
/// manifest: its image (a build context in Dockerfile mode, a reference in image mode) with
/// the manifest's settings over it.
fn analyse_manifest(
    path: &Path,
    with: &[std::path::PathBuf],
    format: manifest::Format,
    opts: &Options,
    settings: &config::Settings,
) -> Vec<Result<Analysis>> {
    let mut files = Vec::new();
    for p in std::iter::once(path).chain(with.iter().map(|p| p.as_path())) {
        match read_manifest(p) {
            Ok(text) => files.push((display(p), text)),
            Err(e) => return vec![Err(e)],
        }
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    manifest_workloads(files, dir, format, opts, settings)
}

fn read_manifest(path: &Path) -> Result<String> {
    let bytes = source::read_regular(path, manifest::MAX_BYTES).map_err(|e| Error::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    String::from_utf8(bytes).map_err(|e| Error::NotText {
        path: display(path),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// The workloads of a manifest's `files` (name, text; each later Compose file merged over
/// the ones before), each linted; `dir` is where relative paths start.
fn manifest_workloads(
    files: Vec<(String, String)>,
    dir: &Path,
    format: manifest::Format,
    opts: &Options,
    settings: &config::Settings,
) -> Vec<Result<Analysis>> {
    let mut workloads: Vec<manifest::Workload> = Vec::new();
    for (i, (name, text)) in files.iter().enumerate() {
        match manifest::load_file(format, text, dir, i, i > 0) {
            Ok(w) if i == 0 => workloads = w,
            Ok(w) => workloads = manifest::compose::merge(workloads, w),
            Err(e) => {
                return vec![Err(Error::Manifest {
                    path: name.clone(),
                    line: e.line,
                    column: e.column,
                    message: e.message,
                })]
            }
        }
    }
    let shown = match files.split_first() {
        Some(((first, _), [])) => first.clone(),
        Some(((first, _), rest)) => {
            let rest: Vec<&str> = rest.iter().map(|(n, _)| n.as_str()).collect();
            format!("{first} (+ {})", rest.join(", "))
        }
        None => String::new(),
    };
    workloads
        .into_iter()
        .map(|w| {
            let label = format!("{shown} {}", w.name);
            let mut o = opts.clone();
            o.manifest = Some(std::sync::Arc::new(manifest::Applied {
                format,
                files: files.clone(),
                settings: w.settings,
            }));
            workload(&label, &w.image, &mut o, settings)
                .map(|mut a| {
                    a.name = label.clone();
                    a
                })
                .map_err(|e| Error::Target {
                    target: label,
                    message: e.to_string(),
                })
        })
        .collect()
}

/// One workload's image, linted with the manifest's settings in `o`.
fn workload(
    label: &str,
    image: &manifest::ImageFrom,
    o: &mut Options,
    settings: &config::Settings,
) -> Result<Analysis> {
    let dockerfile = |path: &Path, context: &Path| {
        let context = if path.is_dir() { path } else { context };
        let path = match path.is_dir() {
            true => path.join("Dockerfile"),
            false => path.to_path_buf(),
        };
        Target::Dockerfile {
            path,
            context: context.to_path_buf(),
        }
    };
    match image {
        manifest::ImageFrom::Build {
            context,
            dockerfile: path,
            target,
        } => {
            if target.is_some() {
                o.dockerfile.target_stage = target.clone();
            }
            lint(&dockerfile(path, context), o, settings)
        }
        manifest::ImageFrom::Image { reference } => {
            if let Some((_, path)) = o.image_for.iter().find(|(i, _)| i == reference) {
                let parent = path.parent().unwrap_or(Path::new(".")).to_path_buf();
                let t = dockerfile(&path.clone(), &parent);
                return lint(&t, o, settings);
            }
            let parsed =
                image::reference::Reference::parse(reference).map_err(|message| Error::Target {
                    target: reference.clone(),
                    message,
                })?;
            let target = image::ImageTarget::Bare {
                reference: parsed,
                written: reference.clone(),
            };
            match analyse_image(reference, &target, o, settings) {
                Ok(a) => Ok(a),
                // An image that cannot be read is judged as a Dockerfile `FROM` it would be:
                // what the manifest says still decides much, and the output says why the
                // rest is unknown.
                Err(e) => {
                    let mut unread = o.clone();
                    unread.bases = BaseImages::Off(Some(e.to_string()));
                    analyse_dockerfile(
                        format!("{reference} (image not read)"),
                        format!("FROM {reference}\n"),
                        None,
                        &unread,
                        settings,
                    )
                }
            }
        }
        manifest::ImageFrom::None(why) => Err(Error::Target {
            target: label.to_string(),
            message: why.clone(),
        }),
    }
}

/// The pipeline after a front door: the launch chain, the verdict, the findings. When the
/// runtime puts its init in front (`--init`, `init: true`), the launch is also judged
/// without it: what the init fixes is said (IL403).
fn judge(
    container: &mut Container,
    sources: &mut SourceMap,
    facts: Option<&dockerfile::Facts>,
    settings: &config::Settings,
) -> (launch::Chain, verdict::Verdict, Vec<Finding>) {
    let fixed = match container.init.take() {
        Some(init) => {
            let (_, _, without) = judge_once(container, sources, facts, settings, &[]);
            container.init = Some(init);
            let (_, _, with) = judge_once(container, sources, facts, settings, &[]);
            without
                .into_iter()
                .filter(|f| !with.iter().any(|g| g.code == f.code))
                .collect()
        }
        None => Vec::new(),
    };
    judge_once(container, sources, facts, settings, &fixed)
}

fn judge_once(
    container: &Container,
    sources: &mut SourceMap,
    facts: Option<&dockerfile::Facts>,
    settings: &config::Settings,
    fixed: &[Finding],
) -> (launch::Chain, verdict::Verdict, Vec<Finding>) {
    let chain = launch::build(container, sources, &settings.extras());
    let verdict = verdict::judge(container, &chain);
    let ctx = rules::Context {
        container,
        chain: &chain,
        facts,
        sources,
        verdict: &verdict,
        fixed_by_init: fixed,
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
        BaseImages::Off(None) => return lint.unread(&reference, None),
        BaseImages::Off(Some(why)) => Err(why.clone()),
    };
    match reading {
        Ok(reading) => lint.over_base(&reference, reading),
        Err(why) => lint.unread(&reference, Some(why)),
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

    /// The base could not be read (`why`, when there is a reason to say): linted without
    /// its files, over the ENTRYPOINT its makers document when initlint knows it.
    fn unread(&self, reference: &str, why: Option<String>) -> Result<Analysis> {
        let documented = image::reference::Reference::parse(reference)
            .ok()
            .and_then(|r| knowledge::bases::documented(&r.registry, &r.repository));
        let (sources, loaded) = match &documented {
            Some(documented) => self.load_documented(reference, documented)?,
            None => self.load(&self.opts.dockerfile)?,
        };
        // Said even when no reason to read it is given: the chain stands on it.
        let said = match (&why, &documented) {
            (Some(why), Some(d)) => Some(format!("{why}; {}", taken_from(d))),
            (None, Some(d)) => Some(taken_from(d)),
            (why, None) => why.clone(),
        };
        let info = said.map(|said| report::BaseInfo {
            reference: reference.to_string(),
            read: Err(said),
        });
        Ok(self.finish(sources, loaded, BaseFiles::Unread(why), info))
    }

    /// The Dockerfile over a base config written from the documentation, not read: shown
    /// as that image's config, named so.
    fn load_documented(
        &self,
        reference: &str,
        documented: &knowledge::bases::Documented,
    ) -> Result<(SourceMap, dockerfile::Loaded)> {
        let mut sources = SourceMap::default();
        let file = sources.add(self.name.clone(), self.text.clone());
        let config = image::config::RunConfig {
            entrypoint: Some(documented.entrypoint.clone()),
            ..Default::default()
        };
        let name = format!("{reference} (not read: {})", documented.source);
        let rendered = image::config::render(&config, &name, &mut sources);
        let mut dopts = self.opts.dockerfile.clone();
        dopts.base = Some(dockerfile::Inherited {
            reference: reference.to_string(),
            entrypoint: rendered.entrypoint,
            ..Default::default()
        });
        let loaded = dockerfile::load(&sources, file, &dopts)?;
        Ok((sources, loaded))
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
                    let why = image::base::without_name(reference, &e);
                    return self.unread(reference, Some(why));
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
        apply_runtime(&mut container, self.opts, &mut sources);
        let stage = facts
            .stages
            .get(facts.target)
            .map(|s| s.name.clone().unwrap_or_else(|| facts.target.to_string()));
        let (chain, verdict, findings) =
            judge(&mut container, &mut sources, Some(&facts), self.settings);
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

fn taken_from(d: &knowledge::bases::Documented) -> String {
    format!(
        "its ENTRYPOINT {} is taken from {}",
        serde_json::to_string(&d.entrypoint).unwrap_or_default(),
        d.source
    )
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
        apply_runtime(&mut container, opts, &mut sources);
        let (chain, verdict, findings) = judge(&mut container, &mut sources, None, settings);
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
