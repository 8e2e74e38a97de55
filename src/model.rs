//! The container model: what the runtime will execute and with what environment, each value
//! with its origin. Dockerfile mode fills it from the Dockerfile and build context; image mode
//! (later) fills it from an image config and its layers. Everything downstream reads only this.

use crate::shell::ShellKind;
use crate::source::{join_path, SourceMap, Span, Text};

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// An instruction in a Dockerfile.
    Instruction(Span),
    /// The builder's or runtime's default.
    Default,
}

impl Origin {
    pub fn span(&self) -> Option<&Span> {
        match self {
            Origin::Instruction(s) => Some(s),
            Origin::Default => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

/// `ENTRYPOINT` or `CMD` after shell form was turned into `SHELL + [string]`.
#[derive(Debug, Clone)]
pub struct LaunchSetting {
    pub argv: Vec<Text>,
    /// The instruction (or config) it came from.
    pub origin: Origin,
    /// Written in shell form: `argv` is the stage's shell plus the string.
    pub shell_form: bool,
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

    /// Image mode: what the image's `/bin/sh` is, asked when the launch runs `sh` (the
    /// container's own [`ShellChoice`] may have left it unread).
    fn shell(&self) -> Option<ShellChoice> {
        None
    }
}

pub struct Container {
    pub entrypoint: Option<LaunchSetting>,
    pub cmd: Option<LaunchSetting>,
    pub env: Vec<EnvVar>,
    pub workdir: String,
    pub stop_signal: Option<Setting<String>>,
    pub shell: ShellChoice,
    pub base: Base,
    pub files: Box<dyn FileView>,
}

pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl Container {
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
        self.resolve_program_in(&self.workdir, name, sources)
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
        for dir in path_var.split(':').filter(|d| !d.is_empty()) {
            let candidate = join_path("/", &format!("{dir}/{name}"));
            match self.files.lookup(&candidate, sources) {
                Lookup::Found(f) => return (candidate, Lookup::Found(f)),
                miss @ Lookup::Missing { .. } if first_miss.is_none() => first_miss = Some(miss),
                _ => {}
            }
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
            why: format!(
                "{name} is not copied from the build context; it comes from the base image"
            ),
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
    use crate::source::join_path;

    #[test]
    fn paths_are_normalised_inside_the_root() {
        assert_eq!(join_path("/app", "run.sh"), "/app/run.sh");
        assert_eq!(join_path("/app", "./bin/../run.sh"), "/app/run.sh");
        assert_eq!(join_path("/app", "/x//y/"), "/x/y");
        assert_eq!(join_path("/", "../../etc/passwd"), "/etc/passwd");
    }
}
