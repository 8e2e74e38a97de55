//! Dockerfile mode: the base image a stage is built `FROM`, read with the same machinery as
//! an image target (local engines first, then the registry), but bounded: a lint must not
//! hang on a registry, so the whole read has a short deadline of its own.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

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
