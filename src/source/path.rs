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
    // The two-pointer matcher: on a mismatch, only the last `*` takes one more character, so
    // the work is at most |pattern| × |name| (a recursive matcher is exponential on `*a*a*…b`).
    // A `*` never takes a `/`; since no `*` can, a `/` is matched by a `/` of the pattern,
    // and backing up to an earlier `*` cannot help.
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    // After the last `*`: where the pattern resumes, and where that `*`'s match ends.
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi + 1, ni));
                pi += 1;
            }
            Some('?') if n[ni] != '/' => {
                pi += 1;
                ni += 1;
            }
            Some(c) if *c != '?' && *c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((resume, end)) if n[end] != '/' => {
                    star = Some((resume, end + 1));
                    pi = resume;
                    ni = end + 1;
                }
                _ => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
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
    fn globs_match_as_before_and_in_linear_time() {
        for (p, n, want) in [
            ("*.sh", "run.sh", true),
            ("*.sh", "dir/run.sh", false),
            ("*/run.sh", "dir/run.sh", true),
            ("r?n.sh", "run.sh", true),
            ("r?n.sh", "r/n.sh", false),
            ("*", "", true),
            ("", "", true),
            ("", "a", false),
            ("a*", "a", true),
            ("*a*/c", "aba/c", true),
            ("*a*", "xa/ya", false),
            ("app/*/main.py", "app/pkg/main.py", true),
            ("**", "a/b", false),
            ("entry*.sh", "entrypoint.sh", true),
            ("?", "é", true),
        ] {
            assert_eq!(glob_match(p, n), want, "{p:?} on {n:?}");
        }
        // The same answers as the backtracking definition, on every short pattern and name.
        fn reference(p: &[char], n: &[char]) -> bool {
            match (p.first(), n.first()) {
                (None, None) => true,
                (Some('*'), _) => {
                    reference(&p[1..], n) || (!n.is_empty() && n[0] != '/' && reference(p, &n[1..]))
                }
                (Some('?'), Some(c)) if *c != '/' => reference(&p[1..], &n[1..]),
                (Some(a), Some(b)) if a == b && *a != '?' => reference(&p[1..], &n[1..]),
                _ => false,
            }
        }
        let words = |alphabet: &[char], len: usize| -> Vec<String> {
            let mut out = vec![String::new()];
            for _ in 0..len {
                let longer: Vec<String> = out
                    .iter()
                    .filter(|w| {
                        w.chars().count() + 1 == out.last().map_or(0, |l| l.chars().count()) + 1
                    })
                    .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                    .collect();
                out.extend(longer);
            }
            out
        };
        let patterns = words(&['a', '/', '*', '?'], 4);
        let names = words(&['a', 'b', '/'], 4);
        assert_eq!((patterns.len(), names.len()), (341, 121));
        for p in &patterns {
            for n in &names {
                let (pc, nc): (Vec<char>, Vec<char>) = (p.chars().collect(), n.chars().collect());
                assert_eq!(glob_match(p, n), reference(&pc, &nc), "{p:?} on {n:?}");
            }
        }
        // Exponential for a backtracking matcher; instant here.
        let pattern = format!("{}b", "*a".repeat(40));
        assert!(!glob_match(&pattern, &"a".repeat(200)));
    }

    #[test]
    fn folds_dot_dot_in_missing_paths() {
        assert_eq!(
            absolute(Path::new("/nonexistent-x/a/../b")),
            PathBuf::from("/nonexistent-x/b")
        );
    }
}
