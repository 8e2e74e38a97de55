//! The container model: what the runtime will execute and with what environment, each value
//! with its provenance. Dockerfile mode fills it from the Dockerfile and build context, image
//! mode from an image config and its layers; run-time sources (flags) are layered on top
//! ([`Container::apply`]). Everything downstream reads only this.

pub mod flags;

use crate::shell::ShellKind;
use crate::source::{join_path, SourceMap, Span, Text};

/// Where a setting's value came from: its provenance. A container is built by layering
/// sources in order (base image → Dockerfile → runtime flags), and every value keeps the
/// layer that set it, so findings point at it and fixes speak of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// An instruction in a Dockerfile (`CMD`, `STOPSIGNAL`, `COPY`, …), by its keyword.
    Instruction { keyword: &'static str, span: Span },
    /// A field of an image's config (`Cmd`, `StopSignal`, …), in its rendered text.
    ImageConfig {
        image: String,
        field: &'static str,
        span: Span,
    },
    /// A command-line flag (`--entrypoint`, `--cmd`, `--stop-signal`), in the text of the
    /// command line.
    Flag { flag: &'static str, span: Span },
    /// A key of a runtime manifest (`format`: `compose` or `kubernetes`), in that file.
    Manifest {
        format: &'static str,
        key: &'static str,
        span: Span,
    },
    /// The builder's or runtime's default.
    Default,
}

impl Origin {
    pub fn instruction(keyword: &'static str, span: Span) -> Origin {
        Origin::Instruction { keyword, span }
    }

    pub fn span(&self) -> Option<&Span> {
        match self {
            Origin::Instruction { span, .. }
            | Origin::ImageConfig { span, .. }
            | Origin::Flag { span, .. }
            | Origin::Manifest { span, .. } => Some(span),
            Origin::Default => None,
        }
    }

    /// The kind of source, as JSON names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Origin::Instruction { .. } => "dockerfile",
            Origin::ImageConfig { .. } => "image-config",
            Origin::Flag { .. } => "flag",
            Origin::Manifest { format, .. } => format,
            Origin::Default => "default",
        }
    }

    /// The key of the setting in its source: `CMD`, `Cmd`, `--cmd`; `None` for a default.
    pub fn key(&self) -> Option<&'static str> {
        match self {
            Origin::Instruction { keyword, .. } => Some(keyword),
            Origin::ImageConfig { field, .. } => Some(field),
            Origin::Flag { flag, .. } => Some(flag),
            Origin::Manifest { key, .. } => Some(key),
            Origin::Default => None,
        }
    }

    /// How a sentence names it: "the CMD instruction", "the Cmd of python:3.12's config",
    /// "the --cmd flag", "the default".
    pub fn describe(&self) -> String {
        match self {
            Origin::Instruction { keyword, .. } => format!("the {keyword} instruction"),
            Origin::ImageConfig { image, field, .. } => format!("the {field} of {image}'s config"),
            Origin::Flag { flag, .. } => format!("the {flag} flag"),
            Origin::Manifest { format, key, .. } => {
                format!("`{key}:` in the {} file", manifest_name(format))
            }
            Origin::Default => "the default".into(),
        }
    }
}

/// How a sentence names a manifest format: "Compose", "Kubernetes".
pub fn manifest_name(format: &str) -> &'static str {
    match format {
        "compose" => "Compose",
        _ => "Kubernetes",
    }
}

#[derive(Debug, Clone)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Setting<T> {
    pub fn new(value: T, origin: Origin) -> Setting<T> {
        Setting { value, origin }
    }
}

/// `ENTRYPOINT` or `CMD` after shell form was turned into `SHELL + [string]`.
#[derive(Debug, Clone)]
pub struct LaunchSetting {
    pub argv: Vec<Text>,
    /// The instruction (or config) it came from.
    pub origin: Origin,
    /// Written in shell form: `argv` is the stage's shell plus the string.
    pub shell_form: bool,
    /// What the runtime silently dropped of what was written, and where: Compose splits a
    /// string with no shell and stops at the first `;`, `&`, `|`, `<`, `>`.
    pub dropped: Option<(String, Span)>,
}

/// What is known about the image this container starts from.
#[derive(Debug, Clone)]
pub enum Base {
    /// `FROM scratch`: an empty filesystem, no shell.
    Scratch,
    /// An image from outside the Dockerfile, by reference.
    External { reference: String, span: Span },
    /// The reference contains a variable that could not be resolved.
    Unresolved { raw: String, span: Span },
    /// Image mode: the image itself, whose config is the text at `config`.
    Image { reference: String, config: Span },
}

impl Base {
    pub fn describe(&self) -> String {
        match self {
            Base::Scratch => "scratch".into(),
            Base::External { reference, .. } => reference.clone(),
            Base::Unresolved { raw, .. } => format!("{raw} (unresolved)"),
            Base::Image { reference, .. } => reference.clone(),
        }
    }
}

/// The `/bin/sh` (or `SHELL`) that runs shell-form strings, and how we know.
#[derive(Debug, Clone)]
pub struct ShellChoice {
    pub kind: ShellKind,
    /// How the kind was decided: "SHELL instruction", "base image alpine:3.20 is Alpine", …
    pub basis: String,
    /// True when the kind is a guess (unknown base image).
    pub assumed: bool,
}

#[derive(Debug, Clone)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
    pub origin: Origin,
}

/// Executable bit as far as it can be known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Executable { why: String },
    NotExecutable { why: String },
}

/// A file the container will have, with its content.
#[derive(Debug, Clone)]
pub struct FileEntry {
    /// Path inside the container.
    pub path: String,
    pub content: Text,
    pub mode: Mode,
    /// Where it was put into the image (a `COPY` instruction).
    pub origin: Origin,
    /// Where its bytes came from, for messages ("build context: entrypoint.sh").
    pub from: String,
}

impl FileEntry {
    /// It can be executed (a non-executable file is reported by the launch chain).
    pub fn mode_ok(&self) -> bool {
        matches!(self.mode, Mode::Executable { .. })
    }
}

#[derive(Debug, Clone)]
pub enum Lookup {
    Found(Box<FileEntry>),
    /// The container's filesystem is known to lack it (e.g. `FROM scratch`, or a `COPY`
    /// whose source is missing from the build context).
    Missing {
        why: String,
        origin: Origin,
    },
    /// Not provided by anything we can see (it may come from the base image).
    Unknown {
        why: String,
    },
}

/// A read-only view of the container's filesystem.
pub trait FileView {
    /// Texts read for the lookup are added to `sources` so findings can point into them.
    fn lookup(&self, path: &str, sources: &mut SourceMap) -> Lookup;

    /// The whole bytes of a binary, for ELF inspection (`None` when this view has no bytes,
    /// as in Dockerfile mode).
    fn binary(&self, _path: &str) -> Option<Result<std::sync::Arc<[u8]>, String>> {
        None
    }

    /// Image mode: what reading the layers took (layers, bytes, re-reads).
    fn stats(&self) -> Option<Stats> {
        None
    }

    /// Image mode, layers read from the top down: the paths looked up so far whose answer
    /// depends on a layer not read yet. Empty when every answer given is final.
    fn unread(&self) -> Vec<String> {
        Vec::new()
    }

    /// Dockerfile mode: the base image's files and config were not read (offline, not
    /// found, `--no-base`), so what the image inherits from it is not known.
    fn base_unread(&self) -> bool {
        false
    }

    /// Image mode: what the image's `/bin/sh` is, asked when the launch runs `sh` (the
    /// container's own [`ShellChoice`] may have left it unread).
    fn shell(&self) -> Option<ShellChoice> {
        None
    }

    /// Why a program found in no PATH directory is not known to be missing, when this view
    /// can say more than that it was not copied.
    fn not_on_path(&self, _name: &str, _path_var: &str) -> Option<String> {
        None
    }

    /// Dockerfile mode: the program at `path`, when a build stage compiles it and a
    /// `COPY --from` brings it here, judged from its sources for the stop signal `signal`.
    fn built(&self, _path: &str, _signal: &str, _sources: &mut SourceMap) -> Option<Built> {
        None
    }

    /// Dockerfile mode: the script at `path` an interpreter runs, when a build turns sources
    /// of the context into it (`npm run build`, `tsc`): what those sources show.
    fn compiled_app(&self, _path: &str, _signal: &str, _sources: &mut SourceMap) -> Option<Built> {
        None
    }
}

/// Dockerfile mode: images other than the linted stage's base that files come from (a
/// `COPY --from=IMAGE`, the base of a stage a `COPY --from` copies out of), read on demand:
/// a lookup reads only as many layers as it takes to settle that path.
pub trait OtherImages {
    fn lookup(&self, reference: &str, path: &str, sources: &mut SourceMap) -> Lookup;

    /// The bytes of the binary at `path`, for ELF inspection.
    fn binary(&self, reference: &str, path: &str) -> Option<Result<std::sync::Arc<[u8]>, String>>;
}

/// A program a build stage compiles (`go build`, `cargo build`, `gcc`), which Dockerfile
/// mode has no binary of: what the sources the stage copies from the build context show.
#[derive(Debug, Clone)]
pub struct Built {
    /// Where it is in the container.
    pub path: String,
    /// The stage that builds it: "stage `build`".
    pub stage: String,
    pub language: crate::knowledge::sources::Language,
    /// The `RUN` that compiles it.
    pub build: Span,
    /// The `COPY --from` that brings it; none when the linted stage builds it in place.
    pub copy: Option<Span>,
    /// Source files read.
    pub files: usize,
    /// Why not every source was read (no build context, a limit), when so.
    pub incomplete: Option<String>,
    /// Where the sources install a handler for the stop signal.
    pub handler: Option<SourceHit>,
    /// Where the sources wait for any child (or set SIGCHLD to SIG_IGN).
    pub reaper: Option<SourceHit>,
    /// .NET: the target frameworks its project files name (the runtime's version decides
    /// whether it handles SIGTERM by itself).
    pub frameworks: Vec<SourceHit>,
    /// A server the framework's build writes, which installs its own stop handlers (Next.js's
    /// `.next/standalone/server.js`): what the build copies it from.
    pub framework_server: Option<SourceHit>,
}

impl Built {
    /// .NET: the target frameworks read, as a message names them (`net8.0, net10.0`).
    pub fn framework_names(&self) -> String {
        let names: Vec<&str> = self.frameworks.iter().map(|f| f.what.as_str()).collect();
        names.join(", ")
    }

    /// .NET: whether the runtime itself makes the app exit on `signal` when the sources
    /// register no handler. Before .NET 10 it handled SIGTERM (raising ProcessExit, then
    /// exiting); from .NET 10 on it leaves the operating system's default, which a PID 1
    /// does not get. `None` when no target framework was read or they disagree.
    pub fn dotnet_runtime_handles(&self, signal: &str) -> Option<bool> {
        let mut majors = Vec::new();
        for f in &self.frameworks {
            majors.extend(crate::knowledge::sources::dotnet_majors(&f.what)?);
        }
        if majors.is_empty() {
            return None;
        }
        if majors.iter().all(|m| *m >= 10) {
            Some(false)
        } else if majors.iter().all(|m| *m < 10) && signal == "SIGTERM" {
            Some(true)
        } else {
            None
        }
    }
}

/// A match in a source file of the build context.
#[derive(Debug, Clone)]
pub struct SourceHit {
    pub what: String,
    /// `cmd/server/main.go:42`.
    pub place: String,
    pub span: Span,
}

/// A `HEALTHCHECK` (or config `Healthcheck`): the runtime runs it in the container, as a
/// process PID 1 did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Healthcheck {
    /// `CMD …` / `["CMD", …]` / `["CMD-SHELL", "…"]`: the test as the runtime runs it.
    Test(Vec<String>),
    /// `HEALTHCHECK NONE` / `["NONE"]`: the base image's check is turned off.
    Disabled,
}

impl Healthcheck {
    /// From a config's `Test` array (`["CMD-SHELL", "curl …"]`, `["CMD", …]`, `["NONE"]`);
    /// `None` for an empty array, which inherits.
    pub fn from_test(test: &[String]) -> Option<Healthcheck> {
        let (kind, rest) = test.split_first()?;
        match kind.as_str() {
            "NONE" => Some(Healthcheck::Disabled),
            "CMD" => Some(Healthcheck::Test(rest.to_vec())),
            "CMD-SHELL" => Some(Healthcheck::Test(
                ["/bin/sh".to_string(), "-c".into()]
                    .into_iter()
                    .chain(rest.iter().cloned())
                    .collect(),
            )),
            _ => None,
        }
    }
}

pub struct Container {
    pub entrypoint: Option<LaunchSetting>,
    pub cmd: Option<LaunchSetting>,
    pub env: Vec<EnvVar>,
    pub workdir: Setting<String>,
    pub user: Option<Setting<String>>,
    pub stop_signal: Option<Setting<String>>,
    pub healthcheck: Option<Setting<Healthcheck>>,
    pub shell: ShellChoice,
    pub base: Base,
    pub files: Box<dyn FileView>,
    /// The runtime puts its init in front (`docker run --init`, Compose `init: true`), and
    /// what asked for it.
    pub init: Option<Origin>,
    /// The image's (or Dockerfile's) ENTRYPOINT that a run-time setting replaced.
    pub replaced_entrypoint: Option<LaunchSetting>,
    /// Kubernetes `lifecycle.preStop` exec hook: run in the container before the stop signal.
    pub pre_stop: Option<LaunchSetting>,
}

/// The settings a source can give, each one it does not give left `None`: the layer a
/// runtime manifest or the command line puts over the image (`docker run --entrypoint`,
/// `--cmd`, `--stop-signal`).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub entrypoint: Option<LaunchSetting>,
    pub cmd: Option<LaunchSetting>,
    pub stop_signal: Option<Setting<String>>,
    pub user: Option<Setting<String>>,
    pub workdir: Option<Setting<String>>,
    pub env: Vec<EnvVar>,
    /// `--init`, `init: true`: the engine's docker-init (tini) runs the launch.
    pub init: Option<Origin>,
    /// Compose `healthcheck:`, a Kubernetes exec probe: a check the runtime runs beside PID 1.
    pub healthcheck: Option<Setting<Healthcheck>>,
    /// Kubernetes `lifecycle.preStop.exec.command`.
    pub pre_stop: Option<LaunchSetting>,
}

pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl Container {
    /// Put a source's settings over this container's, as the runtime does: a new entrypoint
    /// drops the command the image had unless the same source gives one too (`docker run
    /// --entrypoint`, Compose `entrypoint:`, Kubernetes `command:`).
    pub fn apply(&mut self, o: Overrides) {
        if let Some(ep) = o.entrypoint {
            if let Some(old) = self.entrypoint.replace(ep) {
                self.replaced_entrypoint.get_or_insert(old);
            }
            if o.cmd.is_none() {
                self.cmd = None;
            }
        }
        if let Some(cmd) = o.cmd {
            self.cmd = Some(cmd);
        }
        if let Some(s) = o.stop_signal {
            self.stop_signal = Some(s);
        }
        if let Some(u) = o.user {
            self.user = Some(u);
        }
        if let Some(w) = o.workdir {
            self.workdir = w;
        }
        self.env.extend(o.env);
        if let Some(i) = o.init {
            self.init = Some(i);
        }
        if let Some(h) = o.healthcheck {
            self.healthcheck = Some(h);
        }
        if let Some(p) = o.pre_stop {
            self.pre_stop = Some(p);
        }
    }

    pub fn env_value(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|v| v.name == name)
            .map(|v| v.value.as_str())
    }

    /// The stop signal the runtime will send: the declared one, else SIGTERM.
    pub fn stop_signal_name(&self) -> String {
        self.stop_signal
            .as_ref()
            .and_then(|s| crate::knowledge::signals::normalize(&s.value))
            .unwrap_or_else(|| "SIGTERM".to_string())
    }

    /// Resolve a program name as `execve` via `PATH` would, relative paths against `WORKDIR`.
    pub fn resolve_program(&self, name: &str, sources: &mut SourceMap) -> (String, Lookup) {
        self.resolve_program_in(&self.workdir.value, name, sources)
    }

    /// As [`Container::resolve_program`], with a relative name taken from `workdir` (a
    /// `cd` earlier in the shell string).
    pub fn resolve_program_in(
        &self,
        workdir: &str,
        name: &str,
        sources: &mut SourceMap,
    ) -> (String, Lookup) {
        if name.contains('/') {
            let path = join_path(workdir, name);
            let found = self.files.lookup(&path, sources);
            return (path, found);
        }
        let path_var = self.env_value("PATH").unwrap_or(DEFAULT_PATH);
        let mut first_miss = None;
        let mut first_unknown = None;
        for dir in path_var.split(':').filter(|d| !d.is_empty()) {
            let candidate = join_path("/", &format!("{dir}/{name}"));
            match self.files.lookup(&candidate, sources) {
                Lookup::Found(f) => return (candidate, Lookup::Found(f)),
                miss @ Lookup::Missing { .. } if first_miss.is_none() => first_miss = Some(miss),
                unknown @ Lookup::Unknown { .. } if first_unknown.is_none() => {
                    first_unknown = Some(unknown)
                }
                _ => {}
            }
        }
        // A directory that may hold it (a copy from a build stage, from a context not
        // given) outweighs the ones known to lack it.
        if let (Some(unknown), Some(_)) = (first_unknown, &first_miss) {
            return (name.to_string(), unknown);
        }
        if let Some(Lookup::Missing { why, origin }) = first_miss {
            return (
                name.to_string(),
                Lookup::Missing {
                    why: format!("`{name}` is in none of the PATH directories ({path_var}); {why}"),
                    origin,
                },
            );
        }
        let lookup = first_miss.unwrap_or_else(|| Lookup::Unknown {
            why: self.files.not_on_path(name, path_var).unwrap_or_else(|| {
                format!("{name} is not copied from the build context; it comes from the base image")
            }),
        });
        (name.to_string(), lookup)
    }
}

/// Image mode: how much reading the image took.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub layers: usize,
    pub stored_bytes: u64,
    pub tar_bytes: u64,
    pub files: usize,
    pub rereads: usize,
    /// Files fetched by range from layers read by table of contents.
    pub toc_reads: usize,
    /// How each layer was read, base first (empty where the image is not layered).
    pub reads: Vec<LayerRead>,
}

impl Stats {
    /// Layers left unread because the ones above settle the answer.
    pub fn skipped(&self) -> usize {
        self.reads
            .iter()
            .filter(|r| r.how == ReadHow::Skipped)
            .count()
    }
}

/// How one layer was read.
#[derive(Debug, Clone)]
pub struct LayerRead {
    pub digest: String,
    pub how: ReadHow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadHow {
    /// Streamed whole and applied.
    Full,
    /// Indexed from its table of contents; only the files the launch chain read were fetched.
    Toc,
    /// Not read: the layers above settle every path the launch chain looks up.
    Skipped,
}

impl ReadHow {
    pub fn name(self) -> &'static str {
        match self {
            ReadHow::Full => "full",
            ReadHow::Toc => "toc",
            ReadHow::Skipped => "skipped",
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::source::join_path;

    fn launch(words: &[&str], origin: Origin) -> LaunchSetting {
        LaunchSetting {
            argv: words.iter().map(|w| Text::synthetic(*w)).collect(),
            origin,
            shell_form: false,
            dropped: None,
        }
    }

    struct NoFiles;
    impl FileView for NoFiles {
        fn lookup(&self, _: &str, _: &mut SourceMap) -> Lookup {
            Lookup::Unknown { why: String::new() }
        }
    }

    fn container() -> Container {
        let span = |n| Span {
            file: crate::source::FileId(0),
            range: n..n + 1,
        };
        Container {
            entrypoint: Some(launch(
                &["/docker-entrypoint.sh"],
                Origin::instruction("ENTRYPOINT", span(1)),
            )),
            cmd: Some(launch(
                &["node", "server.js"],
                Origin::instruction("CMD", span(2)),
            )),
            env: Vec::new(),
            workdir: Setting::new("/".into(), Origin::Default),
            user: None,
            stop_signal: None,
            healthcheck: None,
            shell: ShellChoice {
                kind: crate::shell::ShellKind::Dash,
                basis: String::new(),
                assumed: true,
            },
            base: Base::Scratch,
            files: Box::new(NoFiles),
            init: None,
            replaced_entrypoint: None,
            pre_stop: None,
        }
    }

    fn flag(flag: &'static str) -> Origin {
        Origin::Flag {
            flag,
            span: Span {
                file: crate::source::FileId(1),
                range: 0..1,
            },
        }
    }

    #[test]
    fn a_new_entrypoint_drops_the_command_unless_one_comes_with_it() {
        let mut c = container();
        c.apply(Overrides {
            entrypoint: Some(launch(&["/app"], flag("--entrypoint"))),
            ..Overrides::default()
        });
        assert_eq!(
            c.entrypoint.as_ref().unwrap().origin.key(),
            Some("--entrypoint")
        );
        assert!(
            c.cmd.is_none(),
            "docker run --entrypoint clears the image's CMD"
        );

        let mut c = container();
        c.apply(Overrides {
            entrypoint: Some(launch(&["/app"], flag("--entrypoint"))),
            cmd: Some(launch(&["--serve"], flag("--cmd"))),
            ..Overrides::default()
        });
        assert_eq!(c.cmd.as_ref().unwrap().origin.key(), Some("--cmd"));
    }

    #[test]
    fn a_new_command_keeps_the_entrypoint_and_settings_keep_their_layer() {
        let mut c = container();
        c.apply(Overrides {
            cmd: Some(launch(&["server.js"], flag("--cmd"))),
            stop_signal: Some(Setting::new("SIGINT".into(), flag("--stop-signal"))),
            ..Overrides::default()
        });
        assert_eq!(
            c.entrypoint.as_ref().unwrap().origin.key(),
            Some("ENTRYPOINT")
        );
        assert_eq!(c.cmd.as_ref().unwrap().origin.kind(), "flag");
        assert_eq!(c.stop_signal_name(), "SIGINT");
        assert_eq!(c.workdir.origin, Origin::Default);
        // An empty layer changes nothing.
        c.apply(Overrides::default());
        assert_eq!(c.cmd.as_ref().unwrap().argv[0].value, "server.js");
    }

    #[test]
    fn a_config_test_array_is_a_health_check() {
        let t = |v: &[&str]| {
            Healthcheck::from_test(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(
            t(&["CMD-SHELL", "curl x"]),
            Some(Healthcheck::Test(vec![
                "/bin/sh".into(),
                "-c".into(),
                "curl x".into()
            ]))
        );
        assert_eq!(
            t(&["CMD", "curl", "x"]),
            Some(Healthcheck::Test(vec!["curl".into(), "x".into()]))
        );
        assert_eq!(t(&["NONE"]), Some(Healthcheck::Disabled));
        assert_eq!(t(&[]), None);
    }

    #[test]
    fn paths_are_normalised_inside_the_root() {
        assert_eq!(join_path("/app", "run.sh"), "/app/run.sh");
        assert_eq!(join_path("/app", "./bin/../run.sh"), "/app/run.sh");
        assert_eq!(join_path("/app", "/x//y/"), "/x/y");
        assert_eq!(join_path("/", "../../etc/passwd"), "/etc/passwd");
    }
}
