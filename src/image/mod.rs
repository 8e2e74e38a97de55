//! Image mode: read an image (registry, `docker save` tar, OCI layout, unpacked rootfs), merge
//! its layers into a read-only view, and fill the same [`Container`] as Dockerfile mode.
//!
//! Every layer is streamed once: the first pass records every header (the merged tree) and
//! keeps the bytes of the files the launch chain is likely to need — the config's programs
//! and shells by name, and small `#!` scripts. A file needed later that was not kept makes
//! its layer be read again; the view counts those re-reads so the benchmark can show them.

pub mod base;
pub mod cache;
pub mod changes;
pub mod config;
pub mod daemon;
pub mod fs;
pub mod layer;
pub mod reading;
pub mod reference;
pub mod registry;
pub mod rootfs;
pub mod saved;
pub mod store;
pub mod toc;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::model::{
    Base, Container, FileEntry, FileView, Lookup, Mode, Origin, Setting, ShellChoice,
};
use crate::shell::ShellKind;
use crate::source::{FileId, Provenance, SourceMap, Text, TextMap};
use config::ImageConfig;
use fs::{NodeKind, Resolved, Tree};
use layer::{Change, Expect, Kind, LayerIndex, Limits, Want};
use reading::Reading;
use store::{ArchiveBlobs, Blobs, LayoutBlobs, Platform};

#[derive(Debug, Clone, thiserror::Error)]
pub enum ImageError {
    /// A layer that cannot be read, by its digest and position.
    #[error("{layer}: {message}")]
    Layer { layer: String, message: String },
    /// About the image as a whole; the message starts with the image as the user named it.
    #[error("{0}")]
    Other(String),
    /// About a part of the image (a blob, a member, a path), not naming the image.
    #[error("{0}")]
    Part(String),
    /// A manifest, index or config over the size cap (a part, not naming the image).
    #[error("{0}")]
    Oversized(String),
}

impl ImageError {
    /// Whether the message already names the image (so the caller does not name it again).
    pub fn names_image(&self) -> bool {
        matches!(self, ImageError::Other(_))
    }
}

/// One layer as the manifest (or `docker save`'s manifest.json) names it.
#[derive(Debug, Clone)]
pub struct LayerRef {
    /// How the blob store finds it: a digest path or an archive member.
    pub locator: String,
    /// The digest shown to users (the blob digest, or the diff_id for docker archives).
    pub digest: String,
    pub size: Option<u64>,
    pub expect: Expect,
    /// Where its table of contents is (zstd:chunked, eStargz), when the manifest pins it: it
    /// can be read by TOC and ranges.
    pub toc: Option<toc::TocRef>,
}

/// What a manifest resolves to.
pub struct Manifested {
    pub config: ImageConfig,
    pub layers: Vec<LayerRef>,
    pub manifest_digest: Option<String>,
}

/// An image target from the command line.
#[derive(Debug, Clone)]
pub enum ImageTarget {
    Registry(reference::Reference),
    /// A bare `NAME[:TAG]`: the local engines first, then the registry (`--image-src`).
    Bare {
        reference: reference::Reference,
        written: String,
    },
    /// `docker-daemon:NAME`, `podman:NAME`.
    Daemon {
        engine: daemon::Engine,
        name: String,
    },
    DockerArchive {
        path: PathBuf,
        tag: Option<String>,
    },
    OciArchive {
        path: PathBuf,
        name: Option<String>,
    },
    OciLayout {
        dir: PathBuf,
        name: Option<String>,
    },
    Rootfs {
        dir: PathBuf,
    },
}

impl ImageTarget {
    pub fn kind(&self) -> &'static str {
        match self {
            ImageTarget::Registry(_) | ImageTarget::Bare { .. } => "registry",
            ImageTarget::Daemon { engine, .. } => engine.kind(),
            ImageTarget::DockerArchive { .. } => "docker-archive",
            ImageTarget::OciArchive { .. } => "oci-archive",
            ImageTarget::OciLayout { .. } => "oci",
            ImageTarget::Rootfs { .. } => "dir",
        }
    }
}

/// Where a bare image reference may come from (`--image-src docker,podman,remote`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSource {
    Engine(daemon::Engine),
    /// initlint's own cache of images read online before (what `--offline` reads besides the
    /// engines).
    Cache,
    Remote,
}

impl ImageSource {
    pub fn parse(word: &str) -> Result<ImageSource, String> {
        match word.trim() {
            "docker" => Ok(ImageSource::Engine(daemon::Engine::Docker)),
            "podman" => Ok(ImageSource::Engine(daemon::Engine::Podman)),
            "cache" => Ok(ImageSource::Cache),
            "remote" | "registry" => Ok(ImageSource::Remote),
            w => Err(format!(
                "unknown image source {w:?} (docker, podman, cache, remote)"
            )),
        }
    }
}

/// Options of image mode.
#[derive(Debug, Clone)]
pub struct Options {
    pub platform: Platform,
    pub insecure_registries: Vec<String>,
    /// `--config` for `dir:` targets.
    pub config: Option<PathBuf>,
    /// `--entrypoint` or `--cmd` says what runs: a `dir:` target needs no config for it.
    pub command_given: bool,
    pub limits: Limits,
    pub progress: bool,
    /// Where a bare reference is looked for, in order.
    pub image_sources: Vec<ImageSource>,
    /// Registry pulls: the deadline for the whole pull.
    pub network_timeout: std::time::Duration,
    /// Read every layer, even those below the ones that settle the answer: every layer's
    /// digest is checked and its problems reported.
    pub all_layers: bool,
    /// Registry reads keep their blobs here and reuse them by digest; `None`: `--no-cache`.
    pub cache: Option<cache::Cache>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            platform: Platform::host(),
            insecure_registries: Vec::new(),
            config: None,
            command_given: false,
            limits: Limits::default(),
            progress: false,
            image_sources: vec![
                ImageSource::Engine(daemon::Engine::Docker),
                ImageSource::Engine(daemon::Engine::Podman),
                ImageSource::Remote,
            ],
            network_timeout: std::time::Duration::from_secs(600),
            all_layers: false,
            cache: None,
        }
    }
}

pub use crate::model::Stats;

/// A loaded image: its config and merged filesystem.
pub struct Image {
    pub name: String,
    pub kind: &'static str,
    pub platform: String,
    pub manifest_digest: Option<String>,
    pub config: ImageConfig,
    pub view: ImageView,
}

impl Image {
    /// Whether every layer is in: no answer from it depends on a layer not read.
    pub fn complete(&self) -> bool {
        self.view.tree.complete()
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes (a digest) as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `sha256:0123456789ab` for messages. A digest from a hostile manifest may hold any UTF-8:
/// cut by characters, never at a byte index.
fn short(digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    format!("sha256:{}", hex.chars().take(12).collect::<String>())
}

/// Open and read an image.
/// Open an image and start reading it; [`Reading::next`] gives what its layers show.
pub fn open(target: &ImageTarget, shown: &str, opts: &Options) -> Result<Reading, ImageError> {
    let (blobs, m): (Arc<dyn Blobs>, Manifested) = match target {
        ImageTarget::Rootfs { dir } => return rootfs::load(dir, shown, opts).map(Reading::whole),
        ImageTarget::DockerArchive { path, tag } if store::is_compressed(path) => {
            let source = Arc::new(saved::CompressedFile(path.clone()));
            return saved::load(
                source,
                None,
                tag.as_deref(),
                target.kind(),
                shown,
                fresh(opts),
            )
            .map(Reading::whole);
        }
        ImageTarget::DockerArchive { path, tag } => {
            let a = ArchiveBlobs::open_archive(path)?;
            let m = store::docker_archive(&a, tag.as_deref(), shown)?;
            (Arc::new(a), m)
        }
        ImageTarget::OciArchive { path, name } => {
            let a = ArchiveBlobs::open_archive(path)?;
            let m = store::oci_layout(
                &a,
                &|d| store::digest_path(d),
                name.as_deref(),
                &opts.platform,
                shown,
            )?;
            (Arc::new(a), m)
        }
        ImageTarget::OciLayout { dir, name } => {
            if !dir.join("oci-layout").is_file() {
                return Err(ImageError::Other(format!(
                    "{shown}: {} is not an OCI image layout (no oci-layout file)",
                    dir.display()
                )));
            }
            let b = LayoutBlobs { dir: dir.clone() };
            let m = store::oci_layout(
                &b,
                &|d| store::digest_path(d),
                name.as_deref(),
                &opts.platform,
                shown,
            )?;
            (Arc::new(b), m)
        }
        ImageTarget::Registry(r) => registry::pull(r, opts, shown)?,
        ImageTarget::Daemon { engine, name } => {
            return daemon::load(*engine, name, shown, opts).map(Reading::whole)
        }
        ImageTarget::Bare { reference, written } => {
            return bare(reference, written, shown, opts);
        }
    };
    Ok(Reading::start(
        shown,
        target.kind(),
        m,
        blobs,
        fresh(opts),
        opts,
    ))
}

/// A bare reference: each source in `--image-src` order; the first that has the image reads
/// it. An engine that is not running is passed over; what each source said is in the error.
fn bare(
    reference: &reference::Reference,
    written: &str,
    shown: &str,
    opts: &Options,
) -> Result<Reading, ImageError> {
    let mut tried = Vec::new();
    for source in &opts.image_sources {
        match source {
            ImageSource::Engine(engine) => {
                let daemon = match daemon::connect(*engine, opts.network_timeout) {
                    Ok(d) => d,
                    Err(m) => {
                        tried.push(m);
                        continue;
                    }
                };
                match daemon.config(written) {
                    Ok(Some(config)) => {
                        return daemon
                            .load(written, &config, shown, opts)
                            .map(Reading::whole)
                    }
                    Ok(None) => tried.push(format!("{} has no image {written}", engine.kind())),
                    Err(m) => tried.push(m),
                }
            }
            ImageSource::Cache => match cache::open(reference, opts, shown) {
                Ok((blobs, m)) => {
                    return Ok(Reading::start(shown, "cache", m, blobs, fresh(opts), opts))
                }
                Err(m) => tried.push(m),
            },
            ImageSource::Remote => {
                let target = ImageTarget::Registry(reference.clone());
                return open(&target, shown, opts).map_err(|e| {
                    if tried.is_empty() {
                        return e;
                    }
                    let m = format!("{e} (not in a local engine either: {})", tried.join("; "));
                    match e.names_image() {
                        true => ImageError::Other(m),
                        false => ImageError::Part(m),
                    }
                });
            }
        }
    }
    Err(ImageError::Other(format!(
        "{shown}: not found in any of the --image-src sources: {}",
        tried.join("; ")
    )))
}

/// The limits for one image: it spends its own budget of uncompressed bytes.
fn fresh(opts: &Options) -> Limits {
    Limits {
        spent: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        ..opts.limits.clone()
    }
}

/// Merge the layers' indexes into one tree: the image.
fn assemble(
    shown: &str,
    kind: &'static str,
    m: Manifested,
    blobs: Arc<dyn Blobs>,
    indexes: Vec<LayerIndex>,
    limits: Limits,
) -> Result<Image, ImageError> {
    let mut tree = Tree::default();
    let mut stats = Stats {
        layers: m.layers.len(),
        ..Default::default()
    };
    for (i, idx) in indexes.into_iter().enumerate() {
        stats.stored_bytes += idx.stored_bytes;
        stats.tar_bytes += idx.tar_bytes;
        stats.files += idx.changes.len();
        tree.apply(i, &idx.changes)
            .map_err(|message| ImageError::Layer {
                layer: layer_name(&m.layers, i),
                message,
            })?;
    }
    Ok(Image {
        name: shown.to_string(),
        kind,
        platform: m.config.platform(),
        manifest_digest: m.manifest_digest,
        config: m.config,
        view: ImageView::new(
            tree,
            Reread::Blobs {
                blobs,
                layers: m.layers,
                limits,
                ranges: Vec::new(),
                cache: Reads::default(),
            },
            stats,
        ),
    })
}

pub fn layer_name(layers: &[LayerRef], i: usize) -> String {
    let digest = layers.get(i).map(|l| short(&l.digest)).unwrap_or_default();
    format!("layer {}/{} ({digest})", i + 1, layers.len())
}

/// What to keep while streaming: the config's programs, the shells, scripts.
pub fn want_for(config: &ImageConfig) -> Want {
    let mut want = Want {
        scripts: true,
        ..Default::default()
    };
    for s in ["sh", "dash", "bash", "ash", "busybox"] {
        want.names.insert(s.to_string());
    }
    // `su USER -c` runs USER's login shell: read from here, not from a second pass.
    want.paths.insert("/etc/passwd".into());
    if let Some(c) = &config.config {
        // Words of `sh -c` strings too: `/app/server --port 80` wants `server`.
        let words = [&c.entrypoint, &c.cmd, &c.shell]
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(|w| w.split_whitespace());
        for word in words {
            let word = word.trim_matches(|c| matches!(c, '"' | '\'' | ';' | '&' | '|'));
            if let Some(base) = word.rsplit('/').next().filter(|b| !b.is_empty()) {
                if base.len() < 256 && !base.starts_with('-') {
                    want.names.insert(base.to_string());
                }
            }
        }
    }
    want
}

/// How to get the bytes of a file the first pass did not keep.
pub enum Reread {
    Blobs {
        blobs: Arc<dyn Blobs>,
        layers: Vec<LayerRef>,
        limits: Limits,
        /// Per layer: where its files are, when it was read by table of contents.
        ranges: Vec<Option<toc::Ranges>>,
        /// Files read again so far, shared by every view of the image (the launch chain of
        /// a deeper view asks for the same files as the one before it).
        cache: Reads,
    },
    Dir(PathBuf),
}

/// Bytes read again, by layer and path: the bytes, and whether they are the whole file.
pub type Reads = Arc<Mutex<HashMap<(usize, String), (Arc<[u8]>, bool)>>>;

/// The merged filesystem as the launch chain sees it.
pub struct ImageView {
    pub tree: Tree,
    pub reread: Reread,
    pub stats: RefCell<Stats>,
    /// Texts already in the source map, by path, so a file is added once.
    texts: RefCell<HashMap<String, FileId>>,
    /// Paths looked up whose answer depends on layers not read yet (a partial tree).
    unread: RefCell<Vec<String>>,
    shell: std::cell::OnceCell<ShellChoice>,
    /// The image as the user named it, for the origin of those texts.
    image: String,
}

impl ImageView {
    pub fn new(tree: Tree, reread: Reread, stats: Stats) -> Self {
        ImageView {
            tree,
            reread,
            stats: RefCell::new(stats),
            texts: RefCell::new(HashMap::new()),
            unread: RefCell::new(Vec::new()),
            shell: std::cell::OnceCell::new(),
            image: String::new(),
        }
    }

    /// Resolve in the tree, noting where a partial tree could not tell.
    fn resolve(&self, path: &str) -> Resolved {
        let r = self.tree.resolve(path);
        if let Resolved::Unknown { path } = &r {
            let mut unread = self.unread.borrow_mut();
            if !unread.contains(path) {
                unread.push(path.clone());
            }
        }
        r
    }

    /// Whether layer `i` was read by its table of contents.
    fn by_toc(&self, i: usize) -> bool {
        matches!(&self.reread, Reread::Blobs { ranges, .. } if matches!(ranges.get(i), Some(Some(_))))
    }

    fn layer_label(&self, i: usize) -> String {
        match &self.reread {
            Reread::Blobs { layers, .. } => layer_name(layers, i),
            Reread::Dir(d) => format!("the root filesystem {}", d.display()),
        }
    }

    /// The bytes of the regular file at `path` (its resolved path), reading its layer again if
    /// the first pass skipped it.
    pub fn bytes(&self, path: &str, node: &fs::Node) -> Result<Option<Arc<[u8]>>, ImageError> {
        let NodeKind::File {
            size,
            content,
            whole,
            bytes_at,
        } = &node.kind
        else {
            return Ok(None);
        };
        // A binary's head says all the launch chain needs (that it is not a script).
        let binary = content
            .as_deref()
            .is_some_and(|c| c.starts_with(b"\x7fELF"));
        if *whole || binary {
            return Ok(content.clone());
        }
        let (layer_i, at) = bytes_where(path, node, bytes_at);
        // Read by table of contents, nothing was kept, not even a binary's head: fetch the
        // head first, as a full read keeps it (a small file costs one read whole).
        if content.is_none() && *size > 64 << 10 && self.by_toc(layer_i) {
            let head = self.read_again(layer_i, at, layer::HEAD as u64)?;
            if head.starts_with(b"\x7fELF") {
                return Ok(Some(head));
            }
        }
        if *size > layer::MAX_CAPTURE {
            return Ok(None);
        }
        self.read_again(layer_i, at, layer::MAX_CAPTURE).map(Some)
    }

    /// A file's bytes to search for markers (which shell a binary is): whole, up to
    /// [`layer::MAX_CAPTURE`], even where [`ImageView::bytes`] would give a binary's head.
    fn searchable(&self, path: &str, node: &fs::Node) -> Option<Arc<[u8]>> {
        let NodeKind::File {
            size,
            content,
            whole,
            bytes_at,
        } = &node.kind
        else {
            return None;
        };
        if *whole {
            return content.clone();
        }
        if *size > layer::MAX_CAPTURE {
            return None;
        }
        let (layer_i, at) = bytes_where(path, node, bytes_at);
        self.read_again(layer_i, at, layer::MAX_CAPTURE).ok()
    }

    /// The bytes of `path` as layer `layer_i` wrote them, up to `cap`: the rare second read
    /// of a layer (counted), or a read from the unpacked root filesystem.
    fn read_again(&self, layer_i: usize, path: &str, cap: u64) -> Result<Arc<[u8]>, ImageError> {
        let Reread::Blobs { cache, .. } = &self.reread else {
            return self.read_uncached(layer_i, path, cap);
        };
        let key = (layer_i, path.to_string());
        if let Some((bytes, whole)) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            if whole || bytes.len() as u64 >= cap {
                return Ok(bytes);
            }
        }
        let bytes = self.read_uncached(layer_i, path, cap)?;
        if let Ok(mut c) = cache.lock() {
            // Less than asked for is all there is.
            c.insert(key, (bytes.clone(), (bytes.len() as u64) < cap));
        }
        Ok(bytes)
    }

    fn read_uncached(&self, layer_i: usize, path: &str, cap: u64) -> Result<Arc<[u8]>, ImageError> {
        match &self.reread {
            Reread::Dir(root) => rootfs::read_file_capped(root, path, cap),
            Reread::Blobs {
                blobs,
                layers,
                limits,
                ranges,
                ..
            } => {
                let l = layers
                    .get(layer_i)
                    .ok_or_else(|| ImageError::Part(format!("internal: no layer {layer_i}")))?;
                if let Some(Some(files)) = ranges.get(layer_i) {
                    let range = files.get(path).ok_or_else(|| {
                        ImageError::Part(format!("{path} is not in its layer's table of contents"))
                    })?;
                    self.stats.borrow_mut().toc_reads += 1;
                    let read = toc::read_file(&**blobs, &l.locator, path, range, cap).map_err(
                        |message| ImageError::Layer {
                            layer: layer_name(layers, layer_i),
                            message,
                        },
                    )?;
                    // A registry that stopped serving ranges: the layer is read whole below.
                    if let Some(bytes) = read {
                        return Ok(bytes);
                    }
                }
                self.stats.borrow_mut().rereads += 1;
                let mut want = Want {
                    max_capture: cap,
                    ..Default::default()
                };
                want.paths.insert(path.to_string());
                let blob = blobs.open(&l.locator)?;
                let idx = layer::index(
                    blob,
                    &layer_name(layers, layer_i),
                    &l.expect,
                    &want,
                    limits.clone(),
                )?;
                idx.changes
                    .iter()
                    .find_map(|c| match c {
                        Change::Add(layer::Entry {
                            path: p,
                            kind: Kind::File { content, .. },
                            ..
                        }) if p == path => content,
                        _ => None,
                    })
                    .ok_or_else(|| ImageError::Part(format!("{path} vanished from its layer")))
            }
        }
    }

    /// All the bytes of a regular file up to [`crate::elf::MAX_ELF`], reading its layer
    /// again when the first pass kept less.
    fn whole_bytes(&self, path: &str, node: &fs::Node) -> Result<Arc<[u8]>, ImageError> {
        let NodeKind::File { bytes_at, .. } = &node.kind else {
            return Err(ImageError::Part("not a regular file".into()));
        };
        let (layer_i, at) = bytes_where(path, node, bytes_at);
        self.read_again(layer_i, at, crate::elf::MAX_ELF as u64)
    }

    fn entry(&self, path: &str, node: &fs::Node, sources: &mut SourceMap) -> Lookup {
        let from = self.layer_label(node.layer as usize);
        let bytes = match self.bytes(path, node) {
            Ok(b) => b,
            Err(e) => {
                return Lookup::Unknown {
                    why: format!("{path} could not be read: {e}"),
                }
            }
        };
        let content = match bytes.as_deref().and_then(as_text) {
            Some(text) => {
                let mut texts = self.texts.borrow_mut();
                let file = *texts.entry(path.to_string()).or_insert_with(|| {
                    let provenance = Provenance::Image {
                        image: self.image.clone(),
                    };
                    sources.add_from(path.to_string(), text.to_string(), provenance)
                });
                Text {
                    value: text.to_string(),
                    map: TextMap::Offset { file, base: 0 },
                }
            }
            None => Text {
                value: String::new(),
                map: TextMap::None,
            },
        };
        let mode = if node.mode & 0o111 != 0 {
            Mode::Executable {
                why: format!("mode {:04o} in {from}", node.mode),
            }
        } else {
            Mode::NotExecutable {
                why: format!(
                    "its mode is {:04o} (no execute bit) after all layers; {from} wrote it last",
                    node.mode
                ),
            }
        };
        Lookup::Found(Box::new(FileEntry {
            path: path.to_string(),
            content,
            mode,
            origin: Origin::Default,
            from,
        }))
    }

    /// Identify `/bin/sh` from the image's real file (once: it may cost a layer re-read).
    pub fn shell(&self) -> ShellChoice {
        self.shell.get_or_init(|| self.identify_shell()).clone()
    }

    /// What `/bin/sh` is, for the container: identified now, unless the layers read so far
    /// cannot tell — then it is left to the launch chain, which asks only if it runs a shell
    /// (an exec-form static binary never does, and its image's base layer need not be read).
    fn shell_for_container(&self) -> ShellChoice {
        match self.tree.resolve("/bin/sh") {
            Resolved::Unknown { .. } => ShellChoice {
                kind: ShellKind::Other("not read".into()),
                basis: "/bin/sh is in a lower layer, not read: the launch never runs it".into(),
                assumed: true,
            },
            _ => self.shell(),
        }
    }

    fn identify_shell(&self) -> ShellChoice {
        let (kind, basis) = match self.resolve("/bin/sh") {
            Resolved::Missing { why, .. } | Resolved::Unknown { path: why } => (
                ShellKind::Absent,
                format!("the image has no /bin/sh ({why})"),
            ),
            Resolved::Found { path, node } => {
                let name = layer::split(&path).1;
                let via = if path == "/bin/sh" {
                    "/bin/sh".to_string()
                } else {
                    format!("/bin/sh → {path}")
                };
                // A hard link is named by the file it links to (`/bin/sh` = `/bin/busybox`):
                // no need to read the binary for its version string.
                let linked = match &node.kind {
                    NodeKind::File {
                        bytes_at: Some(at), ..
                    } => Some(at.1.as_str()).filter(|p| layer::split(p).1 != name),
                    _ => None,
                };
                let by_link = linked.and_then(|p| {
                    crate::shell::explicit_kind(layer::split(p).1)
                        .map(|k| (k, format!("{via} in the image is a hard link to {p}")))
                });
                match crate::shell::explicit_kind(name)
                    .map(|k| (k, format!("{via} in the image")))
                    .or(by_link)
                {
                    Some(found) => found,
                    None => match self.searchable(&path, &node) {
                        Some(b) => match shell_from_bytes(&b) {
                            Some((k, marker)) => {
                                (k, format!("{via} in the image contains {marker:?}"))
                            }
                            None => (
                                ShellKind::Other(name.to_string()),
                                format!("{via} in the image is not a shell initlint recognises"),
                            ),
                        },
                        None => (
                            ShellKind::Other(name.to_string()),
                            format!("{via} in the image could not be read"),
                        ),
                    },
                }
            }
        };
        ShellChoice {
            kind,
            basis,
            assumed: false,
        }
    }
}

/// Strings each shell's binary carries (checked on Debian 12's dash, bash and busybox).
fn shell_from_bytes(b: &[u8]) -> Option<(ShellKind, &'static str)> {
    const MARKERS: &[(&str, ShellKind)] = &[
        ("BusyBox v", ShellKind::BusyboxAsh),
        ("GNU bash, version", ShellKind::Bash),
        ("turning off NDELAY mode", ShellKind::Dash),
    ];
    MARKERS
        .iter()
        .find(|(m, _)| b.windows(m.len()).any(|w| w == m.as_bytes()))
        .map(|(m, k)| (k.clone(), *m))
}

/// Text if it is UTF-8 without NUL bytes (a script), else `None` (a binary).
fn as_text(b: &[u8]) -> Option<&str> {
    if b.starts_with(b"\x7fELF") || b.iter().take(8192).any(|&c| c == 0) {
        return None;
    }
    std::str::from_utf8(b).ok()
}

impl FileView for ImageView {
    fn stats(&self) -> Option<Stats> {
        Some(self.stats.borrow().clone())
    }

    fn unread(&self) -> Vec<String> {
        self.unread.borrow().clone()
    }

    fn shell(&self) -> Option<ShellChoice> {
        Some(ImageView::shell(self))
    }

    fn binary(&self, path: &str) -> Option<Result<Arc<[u8]>, String>> {
        let Resolved::Found { node, .. } = self.resolve(path) else {
            return None;
        };
        let NodeKind::File {
            size,
            content,
            whole,
            ..
        } = &node.kind
        else {
            return None;
        };
        if *whole {
            return content.clone().map(Ok);
        }
        if *size > crate::elf::MAX_ELF as u64 {
            return Some(Err(format!(
                "{path} is {} MiB, larger than the {} MiB initlint inspects",
                size >> 20,
                crate::elf::MAX_ELF >> 20
            )));
        }
        Some(self.whole_bytes(path, &node).map_err(|e| e.to_string()))
    }

    fn lookup(&self, path: &str, sources: &mut SourceMap) -> Lookup {
        match self.resolve(path) {
            Resolved::Missing { why, .. } | Resolved::Unknown { path: why } => Lookup::Missing {
                why,
                origin: Origin::Default,
            },
            Resolved::Found { path: real, node } => match &node.kind {
                NodeKind::File { .. } => self.entry(&real, &node, sources),
                NodeKind::Dir => Lookup::Missing {
                    why: format!("{real} is a directory"),
                    origin: Origin::Default,
                },
                NodeKind::Special | NodeKind::Symlink(_) => Lookup::Missing {
                    why: format!("{real} is not a regular file"),
                    origin: Origin::Default,
                },
            },
        }
    }
}

/// The layer and tar path holding a file's bytes: where it was written, unless it says
/// otherwise (a hard link).
fn bytes_where<'a>(
    path: &'a str,
    node: &fs::Node,
    bytes_at: &'a Option<Box<(usize, String)>>,
) -> (usize, &'a str) {
    match bytes_at {
        Some(at) => (at.0, at.1.as_str()),
        None => (node.layer as usize, path),
    }
}

/// The container an image describes.
pub fn container(mut image: Image, sources: &mut SourceMap) -> Container {
    let run = image.config.config.clone().unwrap_or_default();
    image.view.image = image.name.clone();
    let rendered = config::render(&run, &image.name, sources);
    let shell = image.view.shell_for_container();
    let workdir = rendered
        .workdir
        .filter(|w| !w.value.is_empty())
        .unwrap_or_else(|| Setting::new("/".into(), Origin::Default));
    Container {
        entrypoint: rendered.entrypoint,
        cmd: rendered.cmd,
        env: rendered.env,
        workdir,
        user: rendered.user,
        stop_signal: rendered.stop_signal,
        healthcheck: rendered.healthcheck,
        shell,
        base: Base::Image {
            reference: image.name.clone(),
            config: rendered.whole,
        },
        files: Box::new(image.view),
        init: None,
        replaced_entrypoint: None,
        pre_stop: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    #[test]
    fn short_digests_cut_by_characters() {
        assert_eq!(
            super::short("sha256:0123456789abcdef"),
            "sha256:0123456789ab"
        );
        // Multi-byte UTF-8 across byte 12: no panic.
        assert_eq!(super::short("sha256:0123456789aé€"), "sha256:0123456789aé");
    }
}
