//! Where a container really starts: a Compose file's services and a Kubernetes manifest's
//! containers. Each names an image (or a build) and puts settings over it, as the runtime
//! does: a new entrypoint drops the image's CMD, Compose splits a command string without a
//! shell, `init: true` puts docker-init in front. Those settings become an [`Overrides`]
//! layer whose every value points at its line in the file.

pub mod compose;
pub mod kube;
pub mod shellwords;
pub mod yaml;

use std::ops::Range;
use std::path::PathBuf;

use crate::model::{EnvVar, LaunchSetting, Origin, Overrides, Setting};
use crate::source::{FileId, Span, Text, TextMap};

/// Manifest files are small; a bigger one is not a manifest.
pub const MAX_BYTES: u64 = 16 << 20;

/// What a file is, by name and content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Compose,
    Kubernetes,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Compose => "compose",
            Format::Kubernetes => "kubernetes",
        }
    }

    /// `compose.yaml`, `docker-compose.yml`, `compose.prod.yaml`, `docker-compose.override.yml`.
    pub fn by_name(file_name: &str) -> Option<Format> {
        let n = file_name.to_ascii_lowercase();
        let yaml = n.ends_with(".yaml") || n.ends_with(".yml");
        (yaml && (n.starts_with("compose.") || n.starts_with("docker-compose.")))
            .then_some(Format::Compose)
    }

    /// A YAML file with `apiVersion:` and `kind:` at the start of a line is a Kubernetes one.
    pub fn by_content(text: &str) -> Option<Format> {
        let has = |k: &str| text.lines().any(|l| l.starts_with(k));
        (has("apiVersion:") && has("kind:")).then_some(Format::Kubernetes)
    }
}

/// One container a manifest starts.
#[derive(Debug, Clone)]
pub struct Workload {
    /// How the output names it: `service web`, `Deployment api, container app`.
    pub name: String,
    pub image: ImageFrom,
    pub settings: Settings,
}

#[derive(Debug, Clone)]
pub enum ImageFrom {
    /// An image reference, read as image mode reads one.
    Image { reference: String },
    /// Compose `build:`: the Dockerfile in its context, read as Dockerfile mode reads one.
    Build {
        context: PathBuf,
        dockerfile: PathBuf,
        target: Option<String>,
    },
    /// Neither, and why (a service with neither `image:` nor `build:`).
    None(String),
}

/// Bytes of one of the manifest's files (Compose merges several: `file` is its index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub file: usize,
    pub range: Range<usize>,
}

/// A list of words the manifest gives: `entrypoint:`, `command:`, `args:`.
#[derive(Debug, Clone)]
pub struct Argv {
    pub key: &'static str,
    pub words: Vec<(String, Place)>,
    /// The key and its value.
    pub span: Loc,
    /// Compose's string form, split by go-shellwords: what an operator cut off, and where.
    pub dropped: Option<(String, Loc)>,
}

/// Where a word's bytes are.
#[derive(Debug, Clone)]
pub enum Place {
    /// Byte `i` of the word is byte `map[i]` of file `file`.
    Table { file: usize, map: Vec<usize> },
    /// Not recoverable (a quoted or folded scalar): the whole node.
    Whole(Loc),
}

/// A value and the bytes of its `key: value`.
#[derive(Debug, Clone)]
pub struct At<T> {
    pub value: T,
    pub key: &'static str,
    pub span: Loc,
}

/// What a manifest puts over the image, each with its place in the file.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub entrypoint: Option<Argv>,
    pub cmd: Option<Argv>,
    pub init: Option<At<bool>>,
    pub stop_signal: Option<At<String>>,
    pub user: Option<At<String>>,
    pub workdir: Option<At<String>>,
    pub env: Vec<At<(String, String)>>,
    /// `stop_grace_period:`, `terminationGracePeriodSeconds:`, as written.
    pub grace: Option<At<String>>,
    /// Compose `healthcheck:`; Kubernetes' first exec probe (liveness, readiness, startup).
    pub healthcheck: Option<At<crate::model::Healthcheck>>,
    /// Kubernetes `lifecycle.preStop.exec.command`.
    pub pre_stop: Option<Argv>,
}

/// A manifest's settings, ready to put over a container in any analysis: the files' texts
/// go into that analysis' sources.
#[derive(Debug, Clone)]
pub struct Applied {
    pub format: Format,
    /// Each file's name and text, in merge order.
    pub files: Vec<(String, String)>,
    pub settings: Settings,
}

impl Applied {
    /// `ids`: where each of `files` is in the analysis' sources.
    pub fn overrides(&self, ids: &[FileId]) -> Overrides {
        let s = &self.settings;
        let format = self.format.name();
        let id = |l: &Loc| ids.get(l.file).copied().unwrap_or(FileId(0));
        let span = |l: &Loc| Span {
            file: id(l),
            range: l.range.clone(),
        };
        let origin = |key: &'static str, l: &Loc| Origin::Manifest {
            format,
            key,
            span: span(l),
        };
        let launch = |a: &Argv| LaunchSetting {
            argv: a
                .words
                .iter()
                .map(|(value, place)| Text {
                    value: value.clone(),
                    map: match place {
                        Place::Table { file, map } => TextMap::Table {
                            file: ids.get(*file).copied().unwrap_or(FileId(0)),
                            map: map.clone(),
                        },
                        Place::Whole(l) => TextMap::Whole(span(l)),
                    },
                })
                .collect(),
            origin: origin(a.key, &a.span),
            shell_form: false,
            dropped: a.dropped.as_ref().map(|(rest, l)| (rest.clone(), span(l))),
        };
        let setting = |a: &At<String>| Setting::new(a.value.clone(), origin(a.key, &a.span));
        Overrides {
            entrypoint: s.entrypoint.as_ref().map(launch),
            cmd: s.cmd.as_ref().map(launch),
            stop_signal: s.stop_signal.as_ref().map(setting),
            user: s.user.as_ref().map(setting),
            workdir: s.workdir.as_ref().map(setting),
            env: s
                .env
                .iter()
                .map(|a| EnvVar {
                    name: a.value.0.clone(),
                    value: a.value.1.clone(),
                    origin: origin(a.key, &a.span),
                })
                .collect(),
            init: s
                .init
                .as_ref()
                .filter(|i| i.value)
                .map(|i| origin(i.key, &i.span)),
            pre_stop: s.pre_stop.as_ref().map(launch),
            healthcheck: s
                .healthcheck
                .as_ref()
                .map(|h| Setting::new(h.value.clone(), origin(h.key, &h.span))),
        }
    }
}

/// A manifest that cannot be read: where and why.
#[derive(Debug)]
pub struct ManifestError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl From<yaml::YamlError> for ManifestError {
    fn from(e: yaml::YamlError) -> Self {
        ManifestError {
            line: e.line,
            column: e.column,
            message: e.message,
        }
    }
}

/// The workloads of a manifest `text`; `dir` is the directory relative paths start from.
pub fn load(
    format: Format,
    text: &str,
    dir: &std::path::Path,
) -> Result<Vec<Workload>, ManifestError> {
    load_file(format, text, dir, 0, false)
}

/// The workloads of the `file`th file of a manifest; `partial`: a Compose file merged over
/// another (a service may leave its image to the file below).
pub fn load_file(
    format: Format,
    text: &str,
    dir: &std::path::Path,
    file: usize,
    partial: bool,
) -> Result<Vec<Workload>, ManifestError> {
    let docs = yaml::load(text)?;
    let at = yaml::Offsets::new(text);
    let r = Reader {
        text,
        at: &at,
        file,
    };
    match format {
        Format::Compose => compose::workloads(&r, &docs, dir, partial),
        Format::Kubernetes => kube::workloads(&r, &docs),
    }
}

/// The text and positions the readers share.
pub struct Reader<'a> {
    pub text: &'a str,
    pub at: &'a yaml::Offsets,
    /// Which of the manifest's files this is.
    pub file: usize,
}

impl Reader<'_> {
    pub fn error(&self, node: &yaml::Node, message: String) -> ManifestError {
        ManifestError {
            line: node.span.start.line(),
            column: node.span.start.col() + 1,
            message,
        }
    }

    pub fn range(&self, node: &yaml::Node) -> Range<usize> {
        self.at.range(self.text, node)
    }

    pub fn loc(&self, node: &yaml::Node) -> Loc {
        Loc {
            file: self.file,
            range: self.range(node),
        }
    }

    /// `key: value`, from the key's first byte to the value's last.
    pub fn span(&self, key: &yaml::Node, value: &yaml::Node) -> Loc {
        let k = self.range(key);
        let v = self.range(value);
        Loc {
            file: self.file,
            range: k.start..v.end.max(k.end),
        }
    }

    /// Where a scalar's text is: byte for byte when the file has it as it is (a plain
    /// scalar), else the whole node.
    pub fn place(&self, node: &yaml::Node, value: &str) -> Place {
        let r = self.range(node);
        match self.text.get(r.clone()) == Some(value) {
            true => Place::Table {
                file: self.file,
                map: (r.start..=r.end).collect(),
            },
            false => Place::Whole(Loc {
                file: self.file,
                range: r,
            }),
        }
    }

    /// A list of words: a YAML list of scalars, or (Compose only) a string split as Compose
    /// splits it.
    pub fn argv(
        &self,
        key: &'static str,
        key_node: &yaml::Node,
        value: &yaml::Node,
        string_form: bool,
    ) -> Result<Option<Argv>, ManifestError> {
        let span = self.span(key_node, value);
        if yaml::is_null(value) {
            return Ok(None);
        }
        if let Some(items) = yaml::items(value) {
            let words = items
                .iter()
                .map(|item| {
                    let w = yaml::scalar(item).ok_or_else(|| {
                        self.error(
                            item,
                            format!("`{key}:` lists {}, not a word", yaml::kind(item)),
                        )
                    })?;
                    let place = self.place(item, &w);
                    Ok((w, place))
                })
                .collect::<Result<Vec<_>, ManifestError>>()?;
            return Ok(Some(Argv {
                key,
                words,
                span,
                dropped: None,
            }));
        }
        let Some(line) = yaml::scalar(value).filter(|_| string_form) else {
            return Err(self.error(
                value,
                format!(
                    "`{key}:` must be a list of words, not {}",
                    yaml::kind(value)
                ),
            ));
        };
        let split = shellwords::split(&line)
            .map_err(|m| self.error(value, format!("`{key}: {line}`: {m}")))?;
        let node = self.range(value);
        // Byte for byte only when the file has the string as it is.
        let plain = self.text.get(node.clone()) == Some(line.as_str());
        let file = self.file;
        let whole = || Loc {
            file,
            range: node.clone(),
        };
        let words = split
            .words
            .into_iter()
            .map(|w| {
                let place = match plain {
                    true => Place::Table {
                        file,
                        map: w.map.iter().map(|i| node.start + i).collect(),
                    },
                    false => Place::Whole(whole()),
                };
                (w.value, place)
            })
            .collect();
        let dropped = split.dropped.map(|(at, rest)| {
            let loc = match plain {
                true => Loc {
                    file,
                    range: node.start + at..node.end,
                },
                false => whole(),
            };
            (rest, loc)
        });
        Ok(Some(Argv {
            key,
            words,
            span,
            dropped,
        }))
    }

    pub fn string(&self, key: &'static str, parent: &yaml::Node) -> Option<At<String>> {
        let (k, v) = yaml::get(parent, key)?;
        Some(At {
            value: yaml::scalar(v)?,
            key,
            span: self.span(k, v),
        })
    }
}
