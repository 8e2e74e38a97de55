//! Decide what a command-line target is. Image references are recognised so that they get a
//! clear answer instead of a confusing "file not found".

use std::path::{Path, PathBuf};

use crate::image::{self, ImageTarget};

#[derive(Debug)]
pub enum Target {
    /// A Dockerfile on disk, and the build context to read copied files from.
    Dockerfile { path: PathBuf, context: PathBuf },
    /// A Dockerfile read from standard input; the context is a directory or absent.
    Stdin { context: Option<PathBuf> },
    /// An image: a registry reference, a bare name (local engines first), an archive, an OCI
    /// layout, a root filesystem.
    Image { image: ImageTarget, written: String },
    /// A Compose file or Kubernetes manifest: each container it starts.
    Manifest {
        path: PathBuf,
        format: crate::manifest::Format,
        /// Compose files merged over it, in order (`compose.override.yaml` beside a
        /// `compose.yaml`, as `docker compose` reads it; or `--compose-file`).
        with: Vec<PathBuf>,
    },
}

const DOCKERFILE_NAMES: &[&str] = &["Dockerfile", "Containerfile", "dockerfile", "containerfile"];

/// Names BuildKit users give Dockerfiles, in any case: `Dockerfile`, `dockerfile`,
/// `Dockerfile.dev`, `Dockerfile-dev`, `api.dockerfile`, `Containerfile*` (not their
/// per-Dockerfile `.dockerignore`).
pub fn is_dockerfile_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if n.ends_with(".dockerignore") {
        return false;
    }
    ["dockerfile", "containerfile"].iter().any(|base| {
        n == *base
            || n.ends_with(&format!(".{base}"))
            || [".", "-", "_"]
                .iter()
                .any(|sep| n.starts_with(&format!("{base}{sep}")))
    })
}

/// What a command-line target is, typed: every target syntax is read here.
/// Why a command-line argument is no target.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("no such file or directory; did you mean the subcommand `initlint {sub}`? (an image named {arg:?} would be docker.io/library/{arg}: write docker://{arg} for that)")]
    MisspeltSubcommand { sub: &'static str, arg: String },
    #[error("no such file or directory")]
    NotFound,
    /// Neither a path nor a valid image reference.
    #[error("no such file or directory, and {0}")]
    NotFoundNorImage(String),
    #[error("directory contains no Dockerfile or Containerfile")]
    NoDockerfile,
    #[error("directory contains several Dockerfiles ({}); name the one to lint", .0.join(", "))]
    SeveralDockerfiles(Vec<String>),
    #[error("a YAML file that is neither a Compose file (compose.yaml, docker-compose.yml, compose.*.yaml) nor a Kubernetes manifest (no `apiVersion:` and `kind:` lines)")]
    NotAManifest,
    #[error("cannot read directory: {0}")]
    ReadDir(std::io::Error),
    /// An image target whose reference or name is wrong.
    #[error("{0}")]
    Image(String),
}

pub fn resolve_target(arg: &str, context: Option<&Path>) -> Result<Target, TargetError> {
    if let Some(image) = image_target(arg) {
        return image
            .map_err(TargetError::Image)
            .map(|image| Target::Image {
                image,
                written: arg.to_string(),
            });
    }
    if arg == "-" {
        return Ok(Target::Stdin {
            context: context.map(Path::to_path_buf),
        });
    }
    let path = Path::new(arg);
    if path.is_dir() {
        let found = find_dockerfile(path)?;
        return Ok(Target::Dockerfile {
            context: context.map_or_else(|| path.to_path_buf(), Path::to_path_buf),
            path: found,
        });
    }
    if path.is_file() {
        if let Some(format) = manifest_format(path)? {
            return Ok(Target::Manifest {
                path: path.to_path_buf(),
                format,
                with: default_override(path).into_iter().collect(),
            });
        }
    }
    if path.is_file() || path.exists() {
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        return Ok(Target::Dockerfile {
            context: context.map_or_else(|| parent.to_path_buf(), Path::to_path_buf),
            path: path.to_path_buf(),
        });
    }
    // A misspelt subcommand must not turn into a pull from Docker Hub either.
    if let Some(sub) = misspelt_subcommand(arg) {
        return Err(TargetError::MisspeltSubcommand {
            sub,
            arg: arg.to_string(),
        });
    }
    // A misspelt Dockerfile path must not turn into a pull from Docker Hub.
    let lower = arg.to_ascii_lowercase();
    let file_like = lower.contains("dockerfile") || lower.contains("containerfile");
    if looks_like_image_ref(arg) && !file_like {
        return match image::reference::Reference::parse(arg) {
            Ok(reference) => Ok(Target::Image {
                image: ImageTarget::Bare {
                    reference,
                    written: arg.to_string(),
                },
                written: arg.to_string(),
            }),
            Err(why) => Err(TargetError::NotFoundNorImage(why)),
        };
    }
    Err(TargetError::NotFound)
}

/// `docker compose` with no `-f` reads `compose.yaml` (or `docker-compose.yml`…) and, when
/// it is there, the override file beside it.
fn default_override(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let stem = ["compose", "docker-compose"]
        .into_iter()
        .find(|s| [".yaml", ".yml"].iter().any(|e| name == format!("{s}{e}")))?;
    [".yaml", ".yml"]
        .iter()
        .map(|e| path.with_file_name(format!("{stem}.override{e}")))
        .find(|p| p.is_file())
}

/// A Compose file by its name; another `.yaml`/`.yml` file by its first 64 KiB.
pub fn manifest_format(path: &Path) -> Result<Option<crate::manifest::Format>, TargetError> {
    use crate::manifest::Format;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if let Some(f) = Format::by_name(&name) {
        return Ok(Some(f));
    }
    if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
        return Ok(None);
    }
    let head = crate::source::read_regular(path, 64 << 10).unwrap_or_default();
    match Format::by_content(&String::from_utf8_lossy(&head)) {
        Some(f) => Ok(Some(f)),
        None => Err(TargetError::NotAManifest),
    }
}

const SUBCOMMANDS: &[&str] = &["rules", "rule", "help", "completions", "manpage"];

/// A bare word one edit (a transposition counts one) from a subcommand: `rulse`, `ruels`.
/// Two would catch real images (`ruby` is two from `rule`).
fn misspelt_subcommand(arg: &str) -> Option<&'static str> {
    if arg.contains(['/', ':', '@', '.']) || arg.len() > 12 {
        return None;
    }
    let lower = arg.to_ascii_lowercase();
    SUBCOMMANDS
        .iter()
        .copied()
        .find(|s| lower != *s && edit_distance(&lower, s) <= 1)
}

/// Levenshtein distance, with adjacent transpositions counting one.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// `name[:tag][@digest]` with no path separators that point at something on disk.
fn looks_like_image_ref(arg: &str) -> bool {
    !arg.is_empty()
        && !arg.starts_with('.')
        && !arg.starts_with('/')
        && (arg.contains(':') || !arg.contains('.'))
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c))
}

/// `Dockerfile` or `Containerfile` in a directory, else the only `*.Dockerfile`/`Dockerfile.*`.
fn find_dockerfile(dir: &Path) -> Result<PathBuf, TargetError> {
    if let Some(p) = DOCKERFILE_NAMES[..2]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
    {
        return Ok(p);
    }
    let entries = std::fs::read_dir(dir).map_err(TargetError::ReadDir)?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(is_dockerfile_name)
        })
        .collect();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(TargetError::NoDockerfile),
        _ => Err(TargetError::SeveralDockerfiles(
            found
                .iter()
                .filter_map(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect(),
        )),
    }
}

/// A file named like an image archive (`docker save` output, plain or compressed).
pub fn is_archive_name(arg: &str) -> bool {
    [".tar", ".tar.gz", ".tgz", ".tar.zst"]
        .iter()
        .any(|ext| arg.ends_with(ext))
}

/// `docker-archive:PATH[:TAG]`, `oci:DIR[:NAME]`, …: the path may itself contain `:`, so a
/// suffix counts as the name only when the whole string is not an existing path.
fn path_and_name(rest: &str) -> (PathBuf, Option<String>) {
    if Path::new(rest).exists() {
        return (PathBuf::from(rest), None);
    }
    // The name may hold `:` too (`docker-archive:app.tar:app:dev`, as skopeo writes it): the
    // shortest prefix that exists is the path.
    let existing = rest
        .match_indices(':')
        .map(|(i, _)| (&rest[..i], &rest[i + 1..]))
        .find(|(p, n)| !p.is_empty() && !n.is_empty() && Path::new(p).exists());
    if let Some((p, n)) = existing {
        return (PathBuf::from(p), Some(n.to_string()));
    }
    match rest.rsplit_once(':') {
        Some((p, n)) if !n.contains('/') && !p.is_empty() => {
            (PathBuf::from(p), Some(n.to_string()))
        }
        _ => (PathBuf::from(rest), None),
    }
}

/// Parse an image target; `None` when `arg` is not one (a Dockerfile path, say).
fn image_target(arg: &str) -> Option<Result<ImageTarget, String>> {
    if let Some(rest) = arg.strip_prefix("docker-archive:") {
        let (path, tag) = path_and_name(rest);
        return Some(Ok(ImageTarget::DockerArchive { path, tag }));
    }
    if let Some(rest) = arg.strip_prefix("oci-archive:") {
        let (path, name) = path_and_name(rest);
        return Some(Ok(ImageTarget::OciArchive { path, name }));
    }
    if let Some(rest) = arg.strip_prefix("oci:") {
        let (dir, name) = path_and_name(rest);
        return Some(Ok(ImageTarget::OciLayout { dir, name }));
    }
    if let Some(rest) = arg.strip_prefix("dir:") {
        return Some(Ok(ImageTarget::Rootfs {
            dir: PathBuf::from(rest),
        }));
    }
    for (prefix, engine) in [
        ("docker-daemon:", image::daemon::Engine::Docker),
        ("podman:", image::daemon::Engine::Podman),
    ] {
        if let Some(name) = arg.strip_prefix(prefix) {
            if name.is_empty() {
                return Some(Err(format!(
                    "{prefix} needs an image name: {prefix}NAME[:TAG]"
                )));
            }
            return Some(Ok(ImageTarget::Daemon {
                engine,
                name: name.to_string(),
            }));
        }
    }
    if let Some(rest) = arg.strip_prefix("docker://") {
        return Some(image::reference::Reference::parse(rest).map(ImageTarget::Registry));
    }
    let path = Path::new(arg);
    if path.is_file() && is_archive_name(arg) {
        return Some(Ok(ImageTarget::DockerArchive {
            path: path.to_path_buf(),
            tag: None,
        }));
    }
    if path.is_dir() && path.join("oci-layout").is_file() {
        return Some(Ok(ImageTarget::OciLayout {
            dir: path.to_path_buf(),
            name: None,
        }));
    }
    None
}

#[cfg(test)]
mod subcommand_tests {
    #[test]
    fn misspelt_subcommands_are_caught_and_image_names_are_not() {
        assert_eq!(super::misspelt_subcommand("rulse"), Some("rules"));
        assert_eq!(super::misspelt_subcommand("ruels"), Some("rules"));
        assert_eq!(super::misspelt_subcommand("hlep"), Some("help"));
        for image in [
            "nginx", "redis", "alpine", "rules:1", "python", "node", "ruby", "rust",
        ] {
            assert_eq!(super::misspelt_subcommand(image), None, "{image}");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod name_tests {
    use std::path::PathBuf;

    #[test]
    fn an_archive_name_may_hold_colons() {
        let dir = tempfile::tempdir().unwrap();
        let tar = dir.path().join("app.tar");
        std::fs::write(&tar, b"").unwrap();
        let t = tar.display().to_string();
        let split = |rest: String| super::path_and_name(&rest);
        assert_eq!(split(t.clone()), (tar.clone(), None));
        assert_eq!(split(format!("{t}:dev")), (tar.clone(), Some("dev".into())));
        assert_eq!(
            split(format!("{t}:app:dev")),
            (tar.clone(), Some("app:dev".into()))
        );
        // Nothing exists: the last `:` splits, as before.
        assert_eq!(
            split("missing.tar:app:dev".into()),
            (PathBuf::from("missing.tar:app"), Some("dev".into()))
        );
    }
}
