//! `dir:ROOTFS`: an unpacked root filesystem (or an OCI runtime bundle from `umoci unpack`,
//! with `config.json` and `rootfs/`). Symlinks are read, never followed on the host: they are
//! resolved inside the image root like every other source.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::changes::Changes;
use super::config::{ImageConfig, RunConfig};
use super::fs::Tree;
use super::layer::{Change, Entry, Kind};
use super::{Image, ImageError, ImageView, Options, Reread, Stats};

pub fn load(dir: &Path, shown: &str, opts: &Options) -> Result<Image, ImageError> {
    let err = |m: String| ImageError::Other(format!("{shown}: {m}"));
    if !dir.is_dir() {
        return Err(err(format!("{} is not a directory", dir.display())));
    }
    // An OCI runtime bundle: config.json beside rootfs/.
    let bundle_config = dir.join("config.json");
    let (root, config_path) = if dir.join("rootfs").is_dir() && bundle_config.is_file() {
        (dir.join("rootfs"), Some(bundle_config))
    } else {
        (dir.to_path_buf(), None)
    };
    let config = match opts.config.clone().or(config_path) {
        Some(path) => {
            let bytes = crate::source::read_regular(&path, super::store::MAX_SMALL)
                .map_err(|e| err(format!("{}: cannot read: {e}", path.display())))?;
            parse_config(&bytes, &path.display().to_string()).map_err(err)?
        }
        // `--entrypoint`/`--cmd` say what runs; the rest is the runtime's defaults (no ENV,
        // WORKDIR /, SIGTERM), on the platform asked for.
        None if opts.command_given => ImageConfig {
            os: Some(opts.platform.os.clone()),
            architecture: Some(opts.platform.architecture.clone()),
            config: Some(RunConfig::default()),
            ..Default::default()
        },
        None => return Err(err("a root filesystem has no image config: pass --image-config CONFIG.json (an image config, or an OCI runtime config.json), or --entrypoint, so initlint knows what runs as PID 1".into())),
    };
    let mut changes = Changes::default();
    walk(&root, &root, &mut changes, 0).map_err(err)?;
    let mut tree = Tree::default();
    changes.shrink();
    let files = changes.len();
    tree.apply(0, &changes).map_err(err)?;
    Ok(Image {
        name: shown.to_string(),
        kind: "dir",
        platform: config.platform(),
        manifest_digest: None,
        config,
        view: ImageView::new(
            tree,
            Reread::Dir(root),
            Stats {
                files,
                ..Default::default()
            },
        ),
    })
}

/// An image config, a bare `{"Entrypoint": …}`, or an OCI runtime spec (`process.args`).
fn parse_config(bytes: &[u8], what: &str) -> Result<ImageConfig, String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "{what}: not JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        )
    })?;
    if let Some(p) = v.get("process") {
        let strings = |key: &str| -> Option<Vec<String>> {
            p.get(key)?
                .as_array()?
                .iter()
                .map(|s| s.as_str().map(str::to_string))
                .collect()
        };
        return Ok(ImageConfig {
            config: Some(RunConfig {
                entrypoint: strings("args"),
                env: strings("env"),
                working_dir: p.get("cwd").and_then(|c| c.as_str()).map(str::to_string),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    ImageConfig::parse_either(bytes, what)
}

const MAX_DEPTH: usize = 64;

fn walk(root: &Path, dir: &Path, out: &mut Changes, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{} is nested too deeply", dir.display()));
    }
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let rel = path
            .strip_prefix(root)
            .map_err(|_| format!("{} is outside the root", path.display()))?;
        let inner = format!("/{}", rel.to_string_lossy());
        let mode = {
            use std::os::unix::fs::PermissionsExt;
            meta.permissions().mode() & 0o7777
        };
        let ft = meta.file_type();
        let kind = if ft.is_symlink() {
            let t = fs::read_link(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            Kind::Symlink(t.to_string_lossy().into_owned())
        } else if ft.is_dir() {
            out.push(Change::Add(Entry {
                path: inner,
                kind: Kind::Dir,
                mode,
            }));
            walk(root, &path, out, depth + 1)?;
            continue;
        } else if ft.is_file() {
            Kind::File {
                size: meta.len(),
                content: None,
                whole: false,
            }
        } else {
            Kind::Special
        };
        out.push(Change::Add(Entry {
            path: inner,
            kind,
            mode,
        }));
    }
    Ok(())
}

/// A file's bytes up to `cap`, re-checked to be a regular file (not a symlink swapped in
/// since the walk).
pub fn read_file_capped(root: &Path, path: &str, cap: u64) -> Result<Arc<[u8]>, ImageError> {
    let full: PathBuf = root.join(path.trim_start_matches('/'));
    let err = |m: String| ImageError::Part(format!("{}: {m}", full.display()));
    let meta = fs::symlink_metadata(&full).map_err(|e| err(e.to_string()))?;
    if !meta.file_type().is_file() {
        return Err(err("is no longer a regular file".into()));
    }
    let f = fs::File::open(&full).map_err(|e| err(e.to_string()))?;
    let mut buf = Vec::new();
    f.take(cap)
        .read_to_end(&mut buf)
        .map_err(|e| err(e.to_string()))?;
    Ok(buf.into())
}
