//! Dockerfile mode: the base image a stage is built `FROM`, read with the same machinery as
//! an image target (local engines first, then the registry), but bounded: a lint must not
//! hang on a registry, so the whole read has a short deadline of its own.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::model::{FileView, Lookup, OtherImages};
use crate::source::SourceMap;

use super::{
    open as open_target, reading::Reading, reference::Reference, ImageSource, ImageTarget, Options,
};

/// The deadline for reading a base image over the network, unless `--network-timeout` is
/// shorter.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Bases that could not be read in this run, and why: fifty Dockerfiles on one unreachable
/// base wait for it once, not fifty times.
static FAILED: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);

/// Start reading the base image `reference` (as the FROM line names it, after substitution).
/// The error is a sentence saying why it could not be read.
pub fn open(reference: &str, opts: &Options) -> Result<Reading, String> {
    // The same base through other sources (a target's config may be offline) is tried anew.
    let key = format!("{reference} {:?}", opts.image_sources);
    if let Some(why) = failed(&key) {
        return Err(why);
    }
    let opened = try_open(reference, opts);
    if let Err(why) = &opened {
        if let Ok(mut cache) = FAILED.lock() {
            cache
                .get_or_insert_with(HashMap::new)
                .insert(key, why.clone());
        }
    }
    opened
}

fn failed(key: &str) -> Option<String> {
    let cache = FAILED.lock().ok()?;
    cache.as_ref()?.get(key).cloned()
}

fn try_open(reference: &str, opts: &Options) -> Result<Reading, String> {
    let parsed = Reference::parse(reference)?;
    if opts.image_sources.is_empty() {
        return Err("no image source is allowed (--image-src is empty)".into());
    }
    let mut opts = opts.clone();
    opts.network_timeout = opts.network_timeout.min(DEADLINE);
    opts.progress = false;
    let target = ImageTarget::Bare {
        reference: parsed,
        written: reference.to_string(),
    };
    open_target(&target, reference, &opts).map_err(|e| without_name(reference, &e))
}

/// The error's message, without the image's name in front (the caller names it).
pub fn without_name(reference: &str, e: &super::ImageError) -> String {
    let m = e.to_string();
    m.strip_prefix(reference)
        .and_then(|rest| rest.strip_prefix(": "))
        .map_or_else(|| m.clone(), str::to_string)
}

/// `--offline`: the local engines of `sources`, and initlint's cache where the registry was.
pub fn offline(sources: &[ImageSource]) -> Vec<ImageSource> {
    let mut kept = Vec::new();
    for s in sources {
        let s = match s {
            ImageSource::Remote => ImageSource::Cache,
            s => *s,
        };
        if !kept.contains(&s) {
            kept.push(s);
        }
    }
    kept
}

/// The images a Dockerfile's stages copy from, other than the linted stage's base: each is
/// opened the first time a path in it is asked for, and read from the top down only until
/// that path is settled.
pub struct OnDemand {
    opts: Options,
    images: RefCell<HashMap<String, Opened>>,
}

enum Opened {
    Failed(String),
    Reading {
        reading: Box<Reading>,
        /// The view of the layers read so far; `None` before the first.
        view: Option<Box<super::ImageView>>,
    },
}

/// Views taken of one image at most: one per layer, and the first.
const MAX_VIEWS: usize = 1024;

impl OnDemand {
    pub fn new(opts: &Options) -> Self {
        OnDemand {
            opts: opts.clone(),
            images: RefCell::new(HashMap::new()),
        }
    }

    /// `path` in `reference`, read down until no layer below can change it.
    fn settled<T>(
        &self,
        reference: &str,
        path: &str,
        sources: &mut SourceMap,
        ask: impl Fn(&super::ImageView, &mut SourceMap) -> T,
    ) -> Result<T, String> {
        let mut images = self.images.borrow_mut();
        let opened = images.entry(reference.to_string()).or_insert_with(|| {
            match open(reference, &self.opts) {
                Ok(reading) => Opened::Reading {
                    reading: Box::new(reading),
                    view: None,
                },
                Err(why) => Opened::Failed(why),
            }
        });
        let (reading, view) = match opened {
            Opened::Failed(why) => return Err(why.clone()),
            Opened::Reading { reading, view } => (reading, view),
        };
        let mut unread = Vec::new();
        for _ in 0..MAX_VIEWS {
            if view.is_none() {
                match reading.next(&unread) {
                    Ok(image) => {
                        let mut v = image.view;
                        v.image = image.name;
                        *view = Some(Box::new(v));
                    }
                    Err(e) => {
                        // A layer that breaks is not read again for the next path.
                        let why = without_name(reference, &e);
                        *opened = Opened::Failed(why.clone());
                        return Err(why);
                    }
                }
            }
            let Some(v) = view.as_deref() else { break };
            let answer = ask(v, sources);
            unread = v.unread();
            if !unread.iter().any(|u| u == path) || v.tree.complete() {
                return Ok(answer);
            }
            *view = None;
        }
        Err(format!(
            "{path} was not settled after {MAX_VIEWS} views of its layers"
        ))
    }
}

impl OtherImages for OnDemand {
    fn lookup(&self, reference: &str, path: &str, sources: &mut SourceMap) -> Lookup {
        self.settled(reference, path, sources, |v, s| v.lookup(path, s))
            .unwrap_or_else(|why| Lookup::Unknown {
                why: format!(
                    "{path} comes from the image {reference}, which could not be read: {why}"
                ),
            })
    }

    fn binary(&self, reference: &str, path: &str) -> Option<Result<Arc<[u8]>, String>> {
        let mut scratch = SourceMap::default();
        self.settled(reference, path, &mut scratch, |v, _| v.binary(path))
            .unwrap_or_else(|why| Some(Err(why)))
    }
}
