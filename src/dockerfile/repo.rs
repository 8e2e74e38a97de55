//! A file of a build context given as a target (`initlint entrypoint.sh`, or the pre-commit
//! hook when only a script changed): the Dockerfiles of the repository that copy it are the
//! ones whose verdict it can change.

use std::path::{Path, PathBuf};

use crate::dockerfile::{self, CopySrc};
use crate::source::glob_match;
use crate::source::SourceMap;
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
const MAX_ENTRIES: usize = 200_000;

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

fn absolute(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    })
}

/// The nearest ancestor (or `dir` itself) holding `.git` (a directory, or a file for
/// worktrees and submodules).
pub fn git_top(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Every Dockerfile under `root` (by name), sorted.
pub fn dockerfiles(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
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
    found
}

/// The Dockerfiles under `root` whose build context (their directory, or `context`) holds
/// `file` and whose target stage copies it: by name, by a glob, or in a copied directory.
pub fn copied_by(file: &Path, root: &Path, context: Option<&Path>) -> Vec<PathBuf> {
    let file = absolute(file);
    dockerfiles(root)
        .into_iter()
        .filter(|df| {
            let ctx = context.map_or_else(
                || df.parent().unwrap_or(Path::new("/")).to_path_buf(),
                absolute,
            );
            match file.strip_prefix(absolute(&ctx)) {
                Ok(rel) => copies(df, &rel.to_string_lossy()),
                Err(_) => false,
            }
        })
        .collect()
}

/// Whether the Dockerfile's target stage copies the context path `rel`.
fn copies(df: &Path, rel: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(df) else {
        return false;
    };
    let mut sources = SourceMap::default();
    let id = sources.add(df.display().to_string(), text);
    let Ok(loaded) = dockerfile::load(&sources, id, &dockerfile::Options::default()) else {
        return false;
    };
    loaded
        .fs
        .copies
        .iter()
        .filter(|op| op.from.is_none())
        .flat_map(|op| &op.srcs)
        .any(|src| match src {
            CopySrc::Path(p) => covers(p, rel),
            CopySrc::HereDoc(_) | CopySrc::Url(_) => false,
        })
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
