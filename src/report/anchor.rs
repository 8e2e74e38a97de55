//! Where a finding's file is, for formats read by a code host (SARIF for GitHub code
//! scanning, GitLab Code Quality): relative to the repository root, never a path that only
//! means something on this machine or inside an image.

use std::path::{Path, PathBuf};

use crate::dockerfile::repo::git_top;
use crate::source::{absolute, FileId, Provenance, SourceMap};

/// The base id SARIF consumers resolve against the checkout.
pub const SRCROOT: &str = "%SRCROOT%";

pub struct Anchor {
    root: PathBuf,
    cwd: PathBuf,
}

/// A source file's place, as a code host sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// Inside the repository: a relative path with `/` separators.
    Repo(String),
    /// On this machine but outside the repository: its absolute path.
    Outside(String),
    /// Inside an image: no file of the repository.
    Image {
        image: String,
        path: String,
    },
    /// An image's config.
    ImageConfig {
        image: String,
    },
    /// initlint's command line (a setting given by a flag).
    CommandLine,
    Stdin,
}

impl Place {
    /// How reports name it: the relative or absolute path; `IMAGE:PATH` for a file in an
    /// image, `IMAGE (config)` for its config.
    pub fn name(&self) -> String {
        match self {
            Place::Repo(p) | Place::Outside(p) => p.clone(),
            Place::Image { image, path } => format!("{image}:{path}"),
            Place::ImageConfig { image } => format!("{image} (config)"),
            Place::Stdin => crate::source::STDIN.to_string(),
            Place::CommandLine => crate::model::flags::COMMAND_LINE.to_string(),
        }
    }
}

impl Anchor {
    /// `root` as given (`--sarif-root`), else the git top level above the working directory,
    /// else the working directory.
    pub fn new(root: Option<&Path>) -> Anchor {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let root = match root {
            Some(r) => cwd.join(r),
            None => git_top(&cwd).unwrap_or_else(|| cwd.clone()),
        };
        Anchor {
            root: absolute(&root),
            cwd,
        }
    }

    /// The root as a `file:` URI ending in `/`, for SARIF's `originalUriBaseIds`.
    pub fn root_uri(&self) -> String {
        let mut u = format!("file://{}", escape(&self.root.to_string_lossy()));
        if !u.ends_with('/') {
            u.push('/');
        }
        u
    }

    pub fn place(&self, sources: &SourceMap, file: FileId) -> Place {
        let f = sources.get(file);
        match &f.provenance {
            Provenance::Stdin => Place::Stdin,
            Provenance::Image { image } => Place::Image {
                image: image.clone(),
                path: f.name.clone(),
            },
            Provenance::ImageConfig { image } => Place::ImageConfig {
                image: image.clone(),
            },
            Provenance::CommandLine => Place::CommandLine,
            Provenance::Host => {
                let abs = absolute(&self.cwd.join(&f.name));
                match abs.strip_prefix(&self.root) {
                    Ok(rel) => Place::Repo(slashes(rel)),
                    Err(_) => Place::Outside(abs.to_string_lossy().into_owned()),
                }
            }
        }
    }
}

fn slashes(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-encoding for a URI path: everything but unreserved characters and `/`.
pub fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_uri_path_cannot_hold() {
        assert_eq!(escape("a b/c%d.txt"), "a%20b/c%25d.txt");
        assert_eq!(escape("dir/Dockerfile"), "dir/Dockerfile");
    }
}
