//! A file of a build context given as a target (`initlint entrypoint.sh`, or the pre-commit
//! hook when only a script changed): the Dockerfiles of the repository that copy it are the
//! ones whose verdict it can change.

use std::path::{Path, PathBuf};

use crate::dockerfile::{self, CopySrc};
use crate::source::glob_match;
use crate::source::{absolute, SourceMap};
use crate::target::is_dockerfile_name;

/// Directories never searched for Dockerfiles: VCS data, dependency trees, build output.
const SKIP_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "target",
    ".venv",
    "venv",
];
/// Enough for a monorepo; a bound so a target inside `/` cannot walk the whole disk.
pub const MAX_ENTRIES: usize = 200_000;

/// Whether `path` is a Dockerfile: by its name, else by its first instruction (`FROM`, or
/// `ARG` before it), so `initlint build/app.docker` still lints a Dockerfile.
pub fn is_dockerfile(path: &Path) -> bool {
    if path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(is_dockerfile_name)
    {
        return true;
    }
    let Ok(bytes) = read_head(path) else {
        return true; // Unreadable: the Dockerfile reader says why.
    };
    let text = String::from_utf8_lossy(&bytes);
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    first.is_some_and(|l| {
        let word = l.split_whitespace().next().unwrap_or("");
        word.eq_ignore_ascii_case("FROM") || word.eq_ignore_ascii_case("ARG")
    })
}

fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(64 << 10)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The repository holding `file` (its git top level, else the working directory when it
/// holds the file, else the file's directory).
pub fn root_of(file: &Path) -> PathBuf {
    let abs = absolute(file);
    let dir = abs.parent().unwrap_or(Path::new("/")).to_path_buf();
    if let Some(top) = git_top(&dir) {
        return top;
    }
    match std::env::current_dir() {
        Ok(cwd) if abs.starts_with(&cwd) => cwd,
        _ => dir,
    }
}

/// The nearest ancestor (or `dir` itself) holding `.git` (a directory, or a file for
/// worktrees and submodules).
pub fn git_top(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Every Dockerfile under `root` (by name), sorted; and whether the walk stopped at
/// [`MAX_ENTRIES`] before it saw everything.
pub fn dockerfiles(root: &Path) -> (Vec<PathBuf>, bool) {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    let mut seen = 0usize;
    let mut truncated = false;
    while let Some(dir) = stack.pop() {
        if truncated {
            break;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                truncated = true;
                break;
            }
            let Ok(kind) = e.file_type() else { continue };
            let name = e.file_name().to_string_lossy().into_owned();
            if kind.is_dir() && !SKIP_DIRS.contains(&name.as_str()) {
                stack.push(e.path());
            } else if kind.is_file() && is_dockerfile_name(&name) {
                found.push(e.path());
            }
        }
    }
    found.sort();
    (found, truncated)
}

/// The Dockerfiles of a repository, each with its build context and the context paths its
/// target stage copies: read once, asked for many files (pre-commit passes every changed one).
pub struct Copiers {
    dockerfiles: Vec<(PathBuf, PathBuf, Vec<String>)>,
    truncated: bool,
}

impl Copiers {
    /// Every Dockerfile under `root`; the context is `context` when given, else each
    /// Dockerfile's directory.
    pub fn of(root: &Path, context: Option<&Path>) -> Copiers {
        let (found, truncated) = dockerfiles(root);
        let dockerfiles = found
            .into_iter()
            .map(|df| {
                let dir = df.parent().unwrap_or(Path::new("/"));
                let ctx = match context {
                    Some(c) => absolute(c),
                    None => infer_context(&df, dir).unwrap_or_else(|| absolute(dir)),
                };
                let sources = copy_sources(&df);
                (df, ctx, sources)
            })
            .collect();
        Copiers {
            dockerfiles,
            truncated,
        }
    }

    /// The walk stopped at its entry limit: a Dockerfile may not have been seen.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The Dockerfiles whose build context holds `file` and whose target stage copies it: by
    /// name, by a glob, or in a copied directory.
    pub fn of_file(&self, file: &Path) -> Vec<PathBuf> {
        let file = absolute(file);
        self.dockerfiles
            .iter()
            .filter(|(_, ctx, sources)| match file.strip_prefix(ctx) {
                Ok(rel) => {
                    let rel = rel.to_string_lossy();
                    sources.iter().any(|src| covers(src, &rel))
                }
                Err(_) => false,
            })
            .map(|(df, ..)| df.clone())
            .collect()
    }
}

/// The build-context paths a Dockerfile's target stage copies (none when it cannot be read).
/// The build context a Dockerfile was written for when no `--context` is given. Usually its
/// own directory; but a monorepo builds `docker build -f services/api/Dockerfile .` and the
/// Dockerfile copies `services/api/app.py`. When a path the target stage copies from the
/// context is not beside the Dockerfile, the nearest ancestor (up to the repository's root)
/// that holds every such path is the context; `None` keeps the Dockerfile's directory.
pub fn infer_context(df: &Path, dir: &Path) -> Option<PathBuf> {
    let sources: Vec<PathBuf> = copy_sources(df)
        .iter()
        .filter(|s| !s.contains(['*', '?', '[', '$']))
        .filter_map(|s| super::context::normalize_relative(s))
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    let all_in = |d: &Path| sources.iter().all(|s| d.join(s).exists());
    if sources.is_empty() || all_in(dir) {
        return None;
    }
    let dir = absolute(dir);
    let root = root_of(df);
    dir.ancestors()
        .skip(1)
        .take_while(|a| a.starts_with(&root))
        .find(|a| all_in(a))
        .map(Path::to_path_buf)
}

fn copy_sources(df: &Path) -> Vec<String> {
    // Bounded like any Dockerfile: a huge `Dockerfile.*` in the repository is not read whole.
    let text = crate::source::read_regular(df, super::input::MAX_DOCKERFILE)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let Some(text) = text else {
        return Vec::new();
    };
    let mut sources = SourceMap::default();
    let id = sources.add(df.display().to_string(), text);
    let Ok(loaded) = dockerfile::load(&sources, id, &dockerfile::Options::default()) else {
        return Vec::new();
    };
    // Every stage's: a build stage's sources need the context as much as the last stage's.
    loaded
        .stages
        .into_iter()
        .flat_map(|s| s.fs.copies)
        .chain(loaded.fs.copies)
        .filter(|op| op.from.is_none())
        .flat_map(|op| op.srcs)
        .filter_map(|src| match src {
            CopySrc::Path(p) => Some(p),
            CopySrc::HereDoc(_) | CopySrc::Url(_) => None,
        })
        .collect()
}

/// A COPY source (relative to the context) that names `rel`, a glob matching it, or a
/// directory above it.
fn covers(src: &str, rel: &str) -> bool {
    let src = src.trim_start_matches("./").trim_start_matches('/');
    let src = src.trim_end_matches('/');
    if src.is_empty() || src == "." {
        return true;
    }
    if glob_match(src, rel) {
        return true;
    }
    // A directory (or a glob naming directories) copies everything below it.
    let parts: Vec<&str> = rel.split('/').collect();
    (1..parts.len()).any(|n| glob_match(src, &parts[..n].join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_cover_files_by_name_glob_and_directory() {
        assert!(covers("entrypoint.sh", "entrypoint.sh"));
        assert!(covers("./entrypoint.sh", "entrypoint.sh"));
        assert!(covers("*.sh", "entrypoint.sh"));
        assert!(covers(".", "bin/start.sh"));
        assert!(covers("bin", "bin/start.sh"));
        assert!(covers("bin/", "bin/start.sh"));
        assert!(!covers("bin", "binary.sh"));
        assert!(!covers("*.py", "entrypoint.sh"));
        assert!(!covers("other.sh", "entrypoint.sh"));
    }
}
