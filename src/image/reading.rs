//! Layers read from the top down, stopping as soon as the layers below cannot change the
//! answer.
//!
//! The launch chain looks up a few dozen paths. Once every path it looked up is settled by
//! the layers read so far — found there, whited out, or under a directory they made opaque —
//! a lower layer cannot change what it finds, and is never inflated (nor, from a registry,
//! downloaded). Worker threads stream layers top first; the caller judges each partial view
//! and says which paths it could not settle ([`crate::model::FileView::unread`]); the
//! reading goes down to the next layer that writes one of them, or to the base.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;

use indicatif::ProgressBar;

use super::config::ImageConfig;
use super::fs::Tree;
use super::layer::{self, Change, Kind, LayerIndex, Limits, Want};
use super::store::Blobs;
use super::toc::{self, Ranges};
use super::{layer_name, registry, Image, ImageError, ImageView, LayerRef, Manifested, Reread};
use crate::model::{LayerRead, ReadHow, Stats};

type Indexed = (usize, Result<LayerIndex, ImageError>);

/// An image whose layers are being read.
pub struct Reading(State);

enum State {
    /// An image read in one pass (a `docker save` stream): the whole of it, once.
    Whole(Option<Box<Image>>),
    Layered(Box<Layered>),
}

struct Layered {
    shown: String,
    kind: &'static str,
    manifest_digest: Option<String>,
    config: ImageConfig,
    layers: Vec<LayerRef>,
    blobs: Arc<dyn Blobs>,
    limits: Limits,
    /// Read every layer before the first view (`--all-layers`).
    all: bool,
    /// Files read again, kept for the next view.
    reads: super::Reads,
    rx: Receiver<Indexed>,
    got: Vec<Option<Result<LayerIndex, ImageError>>>,
    /// The lowest layer in the last view (`layers.len()` before the first).
    floor: usize,
    /// Tells the workers to stop: set once the answer is settled, or on drop.
    stop: Arc<AtomicBool>,
    bar: Option<ProgressBar>,
}

impl Drop for Layered {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Reading {
    /// An image read in one pass elsewhere.
    pub fn whole(image: Image) -> Self {
        Reading(State::Whole(Some(Box::new(image))))
    }

    /// Start reading `m`'s layers from `blobs`, top first.
    pub fn start(
        shown: &str,
        kind: &'static str,
        m: Manifested,
        blobs: Arc<dyn Blobs>,
        limits: Limits,
        opts: &super::Options,
    ) -> Self {
        let want = super::want_for(&m.config);
        let stop = Arc::new(AtomicBool::new(false));
        let bar =
            registry::progress_bar(opts.progress, m.layers.iter().filter_map(|l| l.size).sum());
        let how = How {
            want,
            limits: limits.clone(),
            toc: !opts.all_layers,
        };
        let rx = spawn_workers(&blobs, &m.layers, how, &stop, bar.clone());
        Reading(State::Layered(Box::new(Layered {
            shown: shown.to_string(),
            kind,
            manifest_digest: m.manifest_digest,
            config: m.config,
            blobs,
            limits,
            all: opts.all_layers,
            reads: Default::default(),
            rx,
            got: m.layers.iter().map(|_| None).collect(),
            floor: m.layers.len(),
            stop,
            bar,
            layers: m.layers,
        })))
    }

    /// The image as the layers read so far show it. The first call gives the top layer; each
    /// later one goes down to the next layer that writes one of the `unread` paths the
    /// caller's last view could not settle, or to the base (then the view is complete).
    pub fn next(&mut self, unread: &[String]) -> Result<Image, ImageError> {
        match &mut self.0 {
            State::Whole(image) => image
                .take()
                .map(|i| *i)
                .ok_or_else(|| ImageError::Part("internal: the image was already given".into())),
            State::Layered(layered) => layered.next(unread),
        }
    }
}

impl Layered {
    fn next(&mut self, unread: &[String]) -> Result<Image, ImageError> {
        let first = self.floor == self.layers.len();
        while let Some(i) = self.floor.checked_sub(1) {
            let idx = self.wait(i)?;
            let matters = first || touches(idx, unread);
            self.floor = i;
            if i == 0 || (matters && !self.all) {
                break;
            }
        }
        if self.floor == 0 {
            self.stop.store(true, Ordering::Relaxed);
            if let Some(b) = self.bar.take() {
                b.finish_and_clear();
            }
        }
        self.view()
    }

    /// The tree of the layers from the floor up, as an image.
    fn view(&mut self) -> Result<Image, ImageError> {
        let floor = self.floor;
        let mut tree = Tree::partial(floor);
        let mut stats = Stats {
            layers: self.layers.len(),
            ..Default::default()
        };
        let ranges: Vec<Option<Ranges>> = self
            .got
            .iter()
            .map(|g| match g {
                Some(Ok(idx)) => idx.ranges.clone(),
                _ => None,
            })
            .collect();
        for (i, l) in self.layers.iter().enumerate() {
            let how = match (i < floor, &ranges[i]) {
                (true, _) => ReadHow::Skipped,
                (false, Some(_)) => ReadHow::Toc,
                (false, None) => ReadHow::Full,
            };
            stats.reads.push(LayerRead {
                digest: l.digest.clone(),
                how,
            });
        }
        for i in floor..self.layers.len() {
            let Some(Ok(idx)) = &self.got[i] else {
                return Err(ImageError::Part(format!("internal: layer {i} not read")));
            };
            count(&mut stats, idx);
            tree.apply(i, &idx.changes)
                .map_err(|message| ImageError::Layer {
                    layer: layer_name(&self.layers, i),
                    message,
                })?;
            // The last view (the base is in): no later tree needs the index.
            if floor == 0 {
                self.got[i] = None;
            }
        }
        Ok(Image {
            name: self.shown.clone(),
            kind: self.kind,
            platform: self.config.platform(),
            manifest_digest: self.manifest_digest.clone(),
            config: self.config.clone(),
            view: ImageView::new(
                tree,
                Reread::Blobs {
                    blobs: self.blobs.clone(),
                    layers: self.layers.clone(),
                    limits: self.limits.clone(),
                    ranges,
                    cache: self.reads.clone(),
                },
                stats,
            ),
        })
    }

    /// Layer `i`'s index, waiting for its worker; its error if it failed.
    fn wait(&mut self, i: usize) -> Result<&LayerIndex, ImageError> {
        let layers = &self.layers;
        while self.got[i].is_none() {
            let (j, r) = self
                .rx
                .recv()
                .map_err(|_| ImageError::Part(format!("{} was not read", layer_name(layers, i))))?;
            if let Some(slot) = self.got.get_mut(j) {
                *slot = Some(r);
            }
        }
        match &self.got[i] {
            Some(Ok(idx)) => Ok(idx),
            Some(Err(e)) => Err(e.clone()),
            None => Err(ImageError::Part("internal: layer vanished".into())),
        }
    }
}

fn count(stats: &mut Stats, idx: &LayerIndex) {
    stats.stored_bytes += idx.stored_bytes;
    stats.tar_bytes += idx.tar_bytes;
    stats.files += idx.changes.len();
}

/// Whether a layer writes, deletes or hides one of `paths`, or replaces a directory on the
/// way to it (a symlink, a file, a whiteout, an opaque marker): only then can it change how
/// that path resolves. A plain directory on the way merges with the one above and changes
/// nothing; counting it made every layer that adds a file to /app stop the descent and
/// rebuild the view (20,000 such layers: quadratic).
fn touches(idx: &LayerIndex, paths: &[String]) -> bool {
    idx.changes.iter().any(|c| {
        let (at, merges) = match c {
            Change::Add(e) => (e.path, matches!(e.kind, Kind::Dir)),
            Change::Whiteout(p) | Change::Opaque(p) => (p, false),
        };
        paths.iter().any(|p| {
            *p == at
                || (!merges
                    && p.starts_with(at.as_str())
                    && (at == "/" || p.as_bytes().get(at.len()) == Some(&b'/')))
        })
    })
}

/// Start the workers: each takes the next layer from the top, streams and indexes it, and
/// sends the result. Up to 4 at a time (decompression is the cost).
/// What the workers keep, within which limits, and whether a layer with a table of contents
/// is read by it.
struct How {
    want: Want,
    limits: Limits,
    toc: bool,
}

fn spawn_workers(
    blobs: &Arc<dyn Blobs>,
    layers: &[LayerRef],
    how: How,
    stop: &Arc<AtomicBool>,
    bar: Option<ProgressBar>,
) -> Receiver<Indexed> {
    let (tx, rx) = channel();
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(layers.len())
        .clamp(1, 4);
    let taken = Arc::new(AtomicUsize::new(0));
    let how = Arc::new(how);
    let layers: Arc<[LayerRef]> = layers.into();
    for _ in 0..workers {
        let (tx, taken, how, layers) = (tx.clone(), taken.clone(), how.clone(), layers.clone());
        let (blobs, stop, bar) = (blobs.clone(), stop.clone(), bar.clone());
        std::thread::spawn(move || loop {
            let n = taken.fetch_add(1, Ordering::Relaxed);
            if stop.load(Ordering::Relaxed) || n >= layers.len() {
                break;
            }
            let i = layers.len() - 1 - n;
            let r = read_one(&*blobs, &layers, i, &how, &stop, bar.as_ref());
            if r.is_err() {
                // The layers below an unreadable one can never be used: hand out no more.
                // (The ones above, taken already, read on.)
                taken.store(usize::MAX / 2, Ordering::Relaxed);
            }
            if tx.send((i, r)).is_err() {
                break;
            }
        });
    }
    rx
}

fn read_one(
    blobs: &dyn Blobs,
    layers: &[LayerRef],
    i: usize,
    how: &How,
    stop: &AtomicBool,
    bar: Option<&ProgressBar>,
) -> Result<LayerIndex, ImageError> {
    let l = &layers[i];
    let name = layer_name(layers, i);
    if let (Some(toc), true) = (&l.toc, how.toc) {
        let by_toc = toc::index(blobs, &l.locator, toc).map_err(|message| ImageError::Layer {
            layer: name.clone(),
            message,
        })?;
        if let Some((mut idx, ranges)) = by_toc {
            idx.ranges = Some(ranges);
            return Ok(idx);
        }
    }
    let (want, limits) = (&how.want, &how.limits);
    let blob = blobs.open(&l.locator).map_err(|e| ImageError::Layer {
        layer: name.clone(),
        message: format!("the manifest names this blob but it cannot be read: {e}"),
    })?;
    let blob = Stoppable { inner: blob, stop };
    let blob = registry::Progress::wrap(blob, bar);
    layer::index(blob, &name, &l.expect, want, limits.clone())
}

/// A blob that ends early once the reading stops (its layer is no longer needed).
struct Stoppable<'a, R> {
    inner: R,
    stop: &'a AtomicBool,
}

impl<R: std::io::Read> std::io::Read for Stoppable<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("not needed: reading stopped"));
        }
        self.inner.read(buf)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::image::layer::{Entry, Kind};

    /// A layer of directories (`d/…`), symlinks (`l/…`) and whiteouts (`-/…`).
    fn layer(paths: &[&str]) -> LayerIndex {
        LayerIndex {
            changes: paths
                .iter()
                .map(|p| {
                    let (kind, p) = p.split_at(1);
                    let entry = |kind| {
                        Change::Add(Entry {
                            path: p.to_string(),
                            kind,
                            mode: 0o755,
                        })
                    };
                    match kind {
                        "-" => Change::Whiteout(p.to_string()),
                        "l" => entry(Kind::Symlink("/opt".into())),
                        _ => entry(Kind::Dir),
                    }
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_layer_touches_a_path_it_writes_or_replaces_a_directory_on_the_way() {
        let unread = vec!["/usr/local/bin/python".to_string()];
        assert!(touches(&layer(&["d/usr/local/bin/python"]), &unread));
        assert!(touches(&layer(&["l/usr/local"]), &unread));
        assert!(touches(&layer(&["-/usr/local/bin"]), &unread));
        // A directory on the way merges; a sibling, a shorter name: none changes how the path
        // resolves.
        assert!(!touches(&layer(&["d/usr/local"]), &unread));
        assert!(!touches(&layer(&["d/usr/local/bin/pip"]), &unread));
        assert!(!touches(&layer(&["d/usr/loc"]), &unread));
    }
}
