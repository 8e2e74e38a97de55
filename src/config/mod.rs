//! `.initlint.toml`: found by walking up from the target (or `--config`), unknown keys are an
//! error with their position, per-path overrides on top of the top-level settings.
//!
//! ```toml
//! ignore = ["IL104"]
//! failure-threshold = "error"
//! trusted-inits = ["my-init"]
//! launchers = ["my-runner"]
//!
//! [severity]
//! IL205 = "info"
//!
//! [[overrides]]
//! paths = ["legacy/**"]
//! ignore = ["IL201"]
//! ```

pub mod pragma;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::rules::{Code, Severity, Threshold};

pub const FILE_NAME: &str = ".initlint.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, Severity>,
    #[serde(default)]
    failure_threshold: Option<Threshold>,
    #[serde(default)]
    trusted_inits: Vec<String>,
    #[serde(default)]
    launchers: Vec<String>,
    /// Never contact a registry (base images and image targets come from local engines only).
    #[serde(default)]
    offline: bool,
    #[serde(default)]
    overrides: Vec<RawOverride>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawOverride {
    paths: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, Severity>,
}

/// A `.initlint.toml` read at most (real ones are a few hundred bytes).
pub const MAX_CONFIG: u64 = 1 << 20;

/// A loaded config file.
#[derive(Debug, Default, Clone)]
pub struct Config {
    pub path: Option<PathBuf>,
    pub ignore: Vec<Code>,
    pub severity: Vec<(Code, Severity)>,
    pub failure_threshold: Option<Threshold>,
    pub trusted_inits: Vec<String>,
    pub launchers: Vec<String>,
    pub offline: bool,
    overrides: Vec<Override>,
}

#[derive(Debug, Clone)]
struct Override {
    paths: Vec<String>,
    ignore: Vec<Code>,
    severity: Vec<(Code, Severity)>,
}

/// What applies to one target.
#[derive(Debug, Default, Clone)]
pub struct Settings {
    pub ignore: Vec<Code>,
    pub severity: Vec<(Code, Severity)>,
    pub failure_threshold: Option<Threshold>,
    pub trusted_inits: Vec<String>,
    pub launchers: Vec<String>,
    /// `offline = true`: no registry is contacted.
    pub offline: bool,
}

impl Settings {
    /// What this target's config adds to the knowledge base.
    pub fn extras(&self) -> crate::knowledge::Extras {
        crate::knowledge::Extras {
            inits: self.trusted_inits.clone(),
            launchers: self.launchers.clone(),
        }
    }
}

/// A config file that cannot be used: unreadable, or wrong at a position.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {message}")]
    Read { path: String, message: String },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
        /// The file's text and the byte range to point at, for the snippet.
        text: String,
        at: std::ops::Range<usize>,
    },
}

impl ConfigError {
    fn invalid(path: &str, text: &str, at: std::ops::Range<usize>, message: String) -> Self {
        let (line, column) = line_col(text, at.start);
        ConfigError::Invalid {
            path: path.to_string(),
            line,
            column,
            message,
            text: text.to_string(),
            at,
        }
    }
}

fn codes(list: &[String], text: &str, path: &str, key: &str) -> Result<Vec<Code>, ConfigError> {
    list.iter()
        .map(|c| {
            c.parse::<Code>()
                .map_err(|e| ConfigError::invalid(path, text, find(text, c), format!("{key}: {e}")))
        })
        .collect()
}

fn severities(
    map: &BTreeMap<String, Severity>,
    text: &str,
    path: &str,
) -> Result<Vec<(Code, Severity)>, ConfigError> {
    map.iter()
        .map(|(c, s)| {
            c.parse::<Code>().map(|code| (code, *s)).map_err(|e| {
                ConfigError::invalid(path, text, find(text, c), format!("severity: {e}"))
            })
        })
        .collect()
}

/// Where `needle` first appears (for errors about values, which serde gives no span for); the
/// start of the file if nowhere.
fn find(text: &str, needle: &str) -> std::ops::Range<usize> {
    text.find(needle).map_or(0..0, |i| i..i + needle.len())
}

impl Config {
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let at = e.span().unwrap_or(0..0);
            ConfigError::invalid(&shown, text, at, e.message().trim().to_string())
        })?;
        let mut overrides = Vec::new();
        for o in &raw.overrides {
            overrides.push(Override {
                paths: o.paths.clone(),
                ignore: codes(&o.ignore, text, &shown, "ignore")?,
                severity: severities(&o.severity, text, &shown)?,
            });
        }
        Ok(Config {
            path: Some(path.to_path_buf()),
            ignore: codes(&raw.ignore, text, &shown, "ignore")?,
            severity: severities(&raw.severity, text, &shown)?,
            failure_threshold: raw.failure_threshold,
            trusted_inits: raw.trusted_inits,
            launchers: raw.launchers,
            offline: raw.offline,
            overrides,
        })
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = crate::source::read_regular(path, MAX_CONFIG)
            .and_then(|b| {
                String::from_utf8(b).map_err(|e| {
                    std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error())
                })
            })
            .map_err(|e| ConfigError::Read {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        Config::parse(&text, path)
    }

    /// The nearest `.initlint.toml` in `start` or a parent directory.
    pub fn find(start: &Path) -> Option<PathBuf> {
        let start = std::fs::canonicalize(start).ok()?;
        start
            .ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file())
    }

    /// Settings for a target path (a Dockerfile; image targets match no override).
    pub fn settings_for(&self, target: Option<&Path>) -> Settings {
        let mut s = Settings {
            ignore: self.ignore.clone(),
            severity: self.severity.clone(),
            failure_threshold: self.failure_threshold,
            trusted_inits: self.trusted_inits.clone(),
            launchers: self.launchers.clone(),
            offline: self.offline,
        };
        let base = self
            .path
            .as_deref()
            .and_then(Path::parent)
            .and_then(|d| std::fs::canonicalize(d).ok());
        let rel = match (target.and_then(|t| std::fs::canonicalize(t).ok()), base) {
            (Some(t), Some(b)) => t
                .strip_prefix(&b)
                .ok()
                .map(|r| r.to_string_lossy().into_owned()),
            _ => None,
        };
        let Some(rel) = rel else { return s };
        for o in &self.overrides {
            if o.paths
                .iter()
                .any(|g| crate::source::glob_match(g, &rel) || glob_dir(g, &rel))
            {
                s.ignore.extend(o.ignore.iter().copied());
                s.severity.extend(o.severity.iter().copied());
            }
        }
        s
    }
}

/// `legacy/**` matches everything below legacy/.
fn glob_dir(glob: &str, rel: &str) -> bool {
    glob.strip_suffix("/**")
        .is_some_and(|d| rel.starts_with(&format!("{d}/")))
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_with_their_position() {
        let err = Config::parse("ignore = [\"IL104\"]\nignroe = 1\n", Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x.toml:2:1:"), "{err}");
        assert!(err.contains("ignroe"), "{err}");
        let err = Config::parse(
            "[[overrides]]\npaths = []\nsevrity = {}\n",
            Path::new("x.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("x.toml:3:"), "{err}");
        // A value's position is the value itself.
        let err = Config::parse("ignore = [\"IL999\"]\n", Path::new("x.toml")).unwrap_err();
        assert!(
            err.to_string()
                .contains("x.toml:1:12: ignore: unknown rule code"),
            "{err}"
        );
        let ConfigError::Invalid { text, at, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(&text[at.clone()], "IL999");
    }

    #[test]
    fn settings_merge_overrides() {
        let c = Config::parse(
            "ignore = [\"IL104\"]\nfailure-threshold = \"error\"\n[severity]\nIL205 = \"info\"\n[[overrides]]\npaths = [\"legacy/**\"]\nignore = [\"IL201\"]\n",
            Path::new("x.toml"),
        )
        .unwrap();
        let s = c.settings_for(None);
        assert_eq!(s.ignore, vec![Code::IL104]);
        assert_eq!(s.severity, vec![(Code::IL205, Severity::Info)]);
        assert_eq!(s.failure_threshold, Some(Threshold::Error));
    }
}
