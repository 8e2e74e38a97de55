//! A cache of registry blobs by digest, so that a base image read once online is read again
//! without the network, and offline (`--offline`, the pre-commit hooks) at all.
//!
//! Content-addressed: `blobs/sha256/<hex>` holds a manifest, index, config or layer whose
//! bytes hash to its name, checked before it is stored and again when a small one is read (a
//! layer is checked by the layer reader, as from a registry). `refs/<hex>` records what a
//! tag pointed to when it was last read online; only offline reads trust that record, and
//! the output says the base came from the cache. Writes are atomic (a temporary file, then
//! rename), so two initlint runs sharing the cache cannot see half a blob. The cache is an
//! optimisation: a directory that cannot be written is not an error, nothing is cached.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::reference::Reference;
use super::store::{self, Blobs};
use super::{ImageError, Manifested, Options};

/// Where initlint keeps its cache: `INITLINT_CACHE_DIR`, else `$XDG_CACHE_HOME/initlint`, else
/// `~/.cache/initlint`.
pub fn default_dir() -> Option<PathBuf> {
    let set = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    set("INITLINT_CACHE_DIR")
        .or_else(|| set("XDG_CACHE_HOME").map(|d| d.join("initlint")))
        .or_else(|| set("HOME").map(|d| d.join(".cache").join("initlint")))
}

#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// What a tag pointed to when it was last read online.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recorded {
    pub reference: String,
    pub digest: String,
    /// Seconds since the epoch.
    pub recorded: u64,
}

impl Cache {
    pub fn new(dir: PathBuf) -> Self {
        Cache { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn blob(&self, digest: &str) -> Option<PathBuf> {
        store::digest_path(digest).ok().map(|p| self.dir.join(p))
    }

    /// A cached blob, opened for streaming.
    pub fn open(&self, digest: &str) -> Option<File> {
        let path = self.blob(digest)?;
        let meta = fs::symlink_metadata(&path).ok()?;
        // Only a regular file this cache wrote; a symlink planted there is not followed.
        meta.is_file().then(|| File::open(&path).ok()).flatten()
    }

    /// A cached manifest, index or config, if its bytes still hash to its digest (a file
    /// changed behind the cache's back is removed and read anew).
    pub fn small(&self, digest: &str) -> Option<Vec<u8>> {
        let mut bytes = Vec::new();
        self.open(digest)?
            .take(store::MAX_SMALL + 1)
            .read_to_end(&mut bytes)
            .ok()?;
        if matches_digest(digest, &bytes) && bytes.len() as u64 <= store::MAX_SMALL {
            return Some(bytes);
        }
        if let Some(p) = self.blob(digest) {
            let _ = fs::remove_file(p);
        }
        None
    }

    /// Keep a small blob whose bytes hash to `digest`.
    pub fn keep_small(&self, digest: &str, bytes: &[u8]) {
        if !matches_digest(digest, bytes) {
            return;
        }
        if let Some(path) = self.blob(digest) {
            let _ = write_atomic(&path, |f| f.write_all(bytes));
        }
    }

    /// `inner`, a layer's bytes from the network, read through: once it has been read to
    /// its end and hashes to `digest`, the bytes are in the cache too.
    pub fn through<'a>(
        &self,
        digest: &str,
        inner: Box<dyn Read + Send + 'a>,
    ) -> Box<dyn Read + Send + 'a> {
        let Some(dest) = self.blob(digest) else {
            return inner;
        };
        match Pending::create(&dest, digest) {
            Some(pending) => Box::new(Tee {
                inner,
                pending: Some(pending),
            }),
            None => inner,
        }
    }

    /// Remember that `reference` (a tag) pointed to `digest` now.
    pub fn record(&self, reference: &Reference, digest: &str) {
        let Some(path) = self.ref_path(reference) else {
            return;
        };
        let recorded = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let r = Recorded {
            reference: ref_name(reference),
            digest: digest.to_string(),
            recorded,
        };
        if let Ok(json) = serde_json::to_vec(&r) {
            let _ = write_atomic(&path, |f| f.write_all(&json));
        }
    }

    /// The digest `reference` pointed to when last read online.
    pub fn recorded(&self, reference: &Reference) -> Option<Recorded> {
        let path = self.ref_path(reference)?;
        let mut bytes = Vec::new();
        File::open(path)
            .ok()?
            .take(4096)
            .read_to_end(&mut bytes)
            .ok()?;
        let r: Recorded = serde_json::from_slice(&bytes).ok()?;
        (r.reference == ref_name(reference) && store::digest_path(&r.digest).is_ok()).then_some(r)
    }

    fn ref_path(&self, reference: &Reference) -> Option<PathBuf> {
        reference.tag.as_ref()?;
        let key = super::sha256_hex(ref_name(reference).as_bytes());
        Some(self.dir.join("refs").join(key))
    }
}

/// `registry/repository:tag`, as the record is keyed.
fn ref_name(r: &Reference) -> String {
    format!(
        "{}/{}:{}",
        r.registry,
        r.repository,
        r.tag.as_deref().unwrap_or("latest")
    )
}

fn matches_digest(digest: &str, bytes: &[u8]) -> bool {
    digest.strip_prefix("sha256:") == Some(super::sha256_hex(bytes).as_str())
}

static TEMP: AtomicU64 = AtomicU64::new(0);

/// A temporary file beside `dest`, removed unless it is renamed into place.
struct Pending {
    temp: PathBuf,
    dest: PathBuf,
    file: File,
    hasher: Sha256,
    want: String,
}

impl Pending {
    fn create(dest: &Path, digest: &str) -> Option<Self> {
        let dir = dest.parent()?;
        fs::create_dir_all(dir).ok()?;
        let n = TEMP.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".tmp-{}-{n}", std::process::id()));
        let file = File::create(&temp).ok()?;
        Some(Pending {
            temp,
            dest: dest.to_path_buf(),
            file,
            hasher: Sha256::new(),
            want: digest.strip_prefix("sha256:")?.to_string(),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.file.write_all(bytes)
    }

    /// Into place if the bytes hash to the digest; otherwise (the reader reports the
    /// mismatch) dropped.
    fn finish(self) {
        let got = super::hex(&self.hasher.clone().finalize());
        if got == self.want && self.file.sync_all().is_ok() {
            let _ = fs::rename(&self.temp, &self.dest);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.temp);
    }
}

fn write_atomic(dest: &Path, write: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
    let dir = dest.parent().ok_or_else(|| io::Error::other("no parent"))?;
    fs::create_dir_all(dir)?;
    let n = TEMP.fetch_add(1, Ordering::Relaxed);
    let temp = dir.join(format!(".tmp-{}-{n}", std::process::id()));
    let done = File::create(&temp)
        .and_then(|mut f| write(&mut f).and_then(|()| f.sync_all()))
        .and_then(|()| fs::rename(&temp, dest));
    if done.is_err() {
        let _ = fs::remove_file(&temp);
    }
    done
}

/// Reads through to the cache: what the layer reader reads is written beside it.
struct Tee<'a> {
    inner: Box<dyn Read + Send + 'a>,
    pending: Option<Pending>,
}

impl Read for Tee<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            if let Some(p) = self.pending.take() {
                p.finish();
            }
        } else if let Some(p) = &mut self.pending {
            // A full disk stops the caching, not the read.
            if p.write(&buf[..n]).is_err() {
                self.pending = None;
            }
        }
        Ok(n)
    }
}

/// The blobs of an image read from the cache alone (offline).
struct CachedBlobs {
    cache: Cache,
}

impl Blobs for CachedBlobs {
    fn open(&self, digest: &str) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        match self.cache.open(digest) {
            Some(f) => Ok(Box::new(f)),
            None => Err(ImageError::Part(format!(
                "layer {digest} is not in initlint's cache ({}): an earlier online read stopped above it; read the image once without --offline",
                self.cache.dir.display()
            ))),
        }
    }

    fn size(&self, digest: &str) -> Option<u64> {
        let path = self.cache.blob(digest)?;
        fs::metadata(path).ok().map(|m| m.len())
    }
}

/// `reference` from the cache alone: a digest reference by that digest, a tag by what it
/// pointed to when last read online.
pub fn open(
    reference: &Reference,
    opts: &Options,
    shown: &str,
) -> Result<(std::sync::Arc<dyn Blobs>, Manifested), String> {
    let Some(cache) = opts.cache.clone() else {
        return Err("initlint's cache is off (--no-cache)".into());
    };
    let top = match (&reference.digest, cache.recorded(reference)) {
        (Some(d), _) => d.clone(),
        (None, Some(r)) => r.digest,
        (None, None) => {
            return Err(format!(
                "not in initlint's cache ({}): it is filled by reading the image online once",
                cache.dir.display()
            ))
        }
    };
    let missing = |d: &str| format!("manifest or config {d} is not in initlint's cache");
    let bytes = cache.small(&top).ok_or_else(|| missing(&top))?;
    let read = |d: &str| cache.small(d).ok_or_else(|| ImageError::Other(missing(d)));
    let m = store::resolve_manifest(&read, &read, top, bytes, &opts.platform, shown)
        .map_err(|e| e.to_string())?;
    Ok((std::sync::Arc::new(CachedBlobs { cache }), m))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn digest(bytes: &[u8]) -> String {
        format!("sha256:{}", super::super::sha256_hex(bytes))
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("initlint-cache-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_blob_is_kept_only_under_the_digest_it_hashes_to() {
        let dir = temp_dir("small");
        let cache = Cache::new(dir.clone());
        let d = digest(b"{\"config\":1}");
        cache.keep_small(&d, b"{\"config\":2}");
        assert_eq!(cache.small(&d), None);
        cache.keep_small(&d, b"{\"config\":1}");
        assert_eq!(cache.small(&d).unwrap(), b"{\"config\":1}");
        // Changed behind the cache's back: not served, and removed.
        fs::write(cache.blob(&d).unwrap(), b"tampered").unwrap();
        assert_eq!(cache.small(&d), None);
        assert!(!cache.blob(&d).unwrap().exists());
        // A digest is checked before it names a file.
        assert!(cache.open("sha256:../../etc/passwd").is_none());
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_layer_read_to_its_end_is_kept_and_one_cut_short_or_wrong_is_not() {
        let dir = temp_dir("tee");
        let cache = Cache::new(dir.clone());
        let layer = vec![7u8; 100_000];
        let d = digest(&layer);
        let mut cut = cache.through(&d, Box::new(&layer[..]));
        let mut buf = [0u8; 1000];
        cut.read_exact(&mut buf).unwrap();
        drop(cut);
        assert!(cache.open(&d).is_none());
        let wrong = vec![8u8; 100_000];
        io::copy(
            &mut cache.through(&d, Box::new(&wrong[..])),
            &mut io::sink(),
        )
        .unwrap();
        assert!(cache.open(&d).is_none());
        let mut out = Vec::new();
        cache
            .through(&d, Box::new(&layer[..]))
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, layer);
        let mut cached = Vec::new();
        cache.open(&d).unwrap().read_to_end(&mut cached).unwrap();
        assert_eq!(cached, layer);
        // No temporary file is left behind.
        let left: Vec<_> = fs::read_dir(dir.join("blobs/sha256"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_tag_record_is_read_back_only_for_that_tag() {
        let dir = temp_dir("refs");
        let cache = Cache::new(dir.clone());
        let r = Reference::parse("python:3.12-slim").unwrap();
        let d = digest(b"m");
        cache.record(&r, &d);
        assert_eq!(cache.recorded(&r).unwrap().digest, d);
        assert_eq!(
            cache.recorded(&Reference::parse("python:3.13-slim").unwrap()),
            None
        );
        let _ = fs::remove_dir_all(dir);
    }
}
