//! Paths inside a container and COPY/ignore globs: plain string functions every layer uses;
//! and a host path made absolute.

use std::path::{Component, Path, PathBuf};

/// Join and normalise a container path (`.` and `..` clamped at the root, as the runtime does).
pub fn join_path(base: &str, path: &str) -> String {
    let full = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{base}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in full.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Shell-style glob with `*` and `?` (no `/` crossing for `*`).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    fn rec(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => rec(&p[1..], n) || (!n.is_empty() && n[0] != '/' && rec(p, &n[1..])),
            (Some('?'), Some(c)) if *c != '/' => rec(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => rec(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    rec(&p, &n)
}

/// A host path made absolute against the working directory: symlinks resolved when it exists
/// (`/tmp` may be a link), `.` and `..` folded when it does not.
pub fn absolute(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    let joined = std::env::current_dir().map_or_else(|_| p.to_path_buf(), |d| d.join(p));
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_dot_dot_in_missing_paths() {
        assert_eq!(
            absolute(Path::new("/nonexistent-x/a/../b")),
            PathBuf::from("/nonexistent-x/b")
        );
    }
}
