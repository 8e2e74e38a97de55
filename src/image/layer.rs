//! One layer blob, read as a stream: digest check over the stored bytes, decompression
//! (gzip, zstd or none, sniffed from the magic bytes), and a walk over its tar headers that
//! records every change the layer makes. Contents are kept only for the files the launch
//! chain may need (see [`Want`]); everything else is skipped as it streams past.

use std::cell::Cell;
use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::ImageError;

/// Files larger than this are never held in memory whole.
pub const MAX_CAPTURE: u64 = 8 << 20;
/// Scripts are captured on sight (their names are not known before the chain is walked).
const MAX_SCRIPT: u64 = 64 << 10;
/// Budget for scripts captured on sight, per layer.
const SCRIPT_BUDGET: u64 = 2 << 20;

/// Bytes kept of executables that are not kept whole: enough to tell an ELF binary from a
/// script without reading the layer again.
pub const HEAD: usize = 64;

/// What a layer entry is.
#[derive(Debug, Clone)]
pub enum Kind {
    File {
        size: u64,
        /// The whole file, or (`whole == false`) its first [`HEAD`] bytes.
        content: Option<Arc<[u8]>>,
        whole: bool,
    },
    Dir,
    Symlink(String),
    /// A hard link to another path, as written in the layer (normalised).
    Hardlink(String),
    /// Device, FIFO: present, but never a program.
    Special,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub kind: Kind,
    pub mode: u32,
}

/// One change a layer makes to the filesystem below it.
#[derive(Debug, Clone)]
pub enum Change {
    Add(Entry),
    /// `.wh.NAME`: NAME is deleted.
    Whiteout(String),
    /// `.wh..wh..opq`: the directory's lower contents are hidden.
    Opaque(String),
}

#[derive(Debug, Default, Clone)]
pub struct LayerIndex {
    pub changes: super::changes::Changes,
    pub stored_bytes: u64,
    pub tar_bytes: u64,
    /// `sha256:…` of the uncompressed tar (its diff_id), when [`Expect::record_tar`] asked.
    pub tar_digest: Option<String>,
    /// Read by its table of contents: where each file's bytes are (no contents were kept).
    pub ranges: Option<super::toc::Ranges>,
}

/// Which file contents to keep while streaming.
#[derive(Debug, Default, Clone)]
pub struct Want {
    /// Exact basenames (`sh`, `entrypoint.sh`), also matching versioned names (`python3.11`
    /// for `python3`).
    pub names: HashSet<String>,
    /// Exact paths, for a targeted re-read.
    pub paths: HashSet<String>,
    /// Capture small files that start with `#!`.
    pub scripts: bool,
    /// Size limit for files wanted by name or path (0: [`MAX_CAPTURE`]).
    pub max_capture: u64,
}

impl Want {
    fn by_name(&self, path: &str) -> bool {
        if self.paths.contains(path) {
            return true;
        }
        let base = path.rsplit('/').next().unwrap_or(path);
        if self.names.contains(base) {
            return true;
        }
        // python3 → python3.11, node → node-20: versioned names behind a symlink.
        base.char_indices()
            .filter(|(_, c)| matches!(c, '.' | '-' | '0'..='9'))
            .any(|(i, _)| {
                i > 0
                    && self.names.contains(&base[..i])
                    && base[i..]
                        .chars()
                        .all(|c| matches!(c, '.' | '-' | '0'..='9'))
            })
    }
}

/// The digest a blob must have, and of which bytes.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// Digest of the stored (possibly compressed) bytes: the manifest's layer digest.
    pub stored: Option<String>,
    /// Digest of the uncompressed tar: the config's `diff_id` (docker-archive layers).
    pub tar: Option<String>,
    /// Compute the uncompressed tar's digest into [`LayerIndex::tar_digest`] (a stream whose
    /// order is only known at its end).
    pub record_tar: bool,
}

/// Caps that keep a hostile image from exhausting the machine.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Uncompressed bytes per layer (decompression bombs).
    pub max_layer_bytes: u64,
    /// Uncompressed bytes of all layers of one image together (one small bomb blob listed
    /// as many layers).
    pub max_image_bytes: u64,
    /// Uncompressed bytes per stored byte, checked once a layer has expanded past
    /// [`RATIO_GRACE`]: real layers stay far below it, bombs far above.
    pub max_ratio: u64,
    /// Uncompressed bytes read so far for this image, shared by the layer readers.
    pub spent: Arc<AtomicU64>,
}

/// A layer may expand this far before its compression ratio is checked.
pub const RATIO_GRACE: u64 = 256 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 32 << 30,
            max_image_bytes: 64 << 30,
            max_ratio: 1000,
            spent: Arc::new(AtomicU64::new(0)),
        }
    }
}

/// An error from below the tar reader (the blob source, decompression, a cap), kept apart
/// so it is not reported as a bad tar header.
#[derive(Debug)]
struct Below(String);

impl std::fmt::Display for Below {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Below {}

/// The message of an error from below the tar reader, if `e` is (or wraps) one.
fn below(e: &io::Error) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|i| i as _);
    while let Some(err) = cur {
        if let Some(b) = err.downcast_ref::<Below>() {
            return Some(b.0.clone());
        }
        cur = match err.downcast_ref::<io::Error>() {
            Some(io) => io.get_ref().map(|i| i as _),
            None => err.source(),
        };
    }
    None
}

/// Stream one layer blob and index it.
pub fn index(
    blob: impl Read,
    name: &str,
    expect: &Expect,
    want: &Want,
    limits: Limits,
) -> Result<LayerIndex, ImageError> {
    let err = |message: String| ImageError::Layer {
        layer: name.to_string(),
        message,
    };
    let stored_count = Rc::new(Cell::new(0u64));
    let mut stored = Hashing::new(blob, expect.stored.is_some());
    stored.counter = Some(Rc::clone(&stored_count));
    let mut idx = LayerIndex::default();
    let stopped = Rc::new(Cell::new(false));
    let decoded = (|| -> Result<(), String> {
        let buffered = BufReader::with_capacity(256 << 10, &mut stored);
        let decoded = decoder(buffered).map_err(|e| format!("cannot read: {e}"))?;
        let mut tar_stream = Capped {
            inner: Hashing::new(decoded, expect.tar.is_some() || expect.record_tar),
            out: 0,
            stored: stored_count,
            limits: &limits,
            stopped: Rc::clone(&stopped),
        };
        walk(&mut tar_stream, want, &mut idx)?;
        // The tar end marker is not the end of the stream: read to the end so the gzip
        // trailer (CRC) and the digest cover every byte.
        io::copy(&mut tar_stream, &mut io::sink()).map_err(|e| read_error(&e))?;
        idx.tar_bytes = tar_stream.out;
        let tar_hex = tar_stream.inner.finish();
        if let Some(want_digest) = &expect.tar {
            check_digest(want_digest, &tar_hex, "uncompressed layer")?;
        }
        if expect.record_tar {
            idx.tar_digest = Some(format!("sha256:{tar_hex}"));
        }
        Ok(())
    })();
    if let Err(message) = decoded {
        // Bytes that do not decompress are most often bytes that are not the blob's: when
        // the digest disagrees too, that is the cause to report.
        if let Some(want_digest) = expect.stored.as_ref().filter(|_| !stopped.get()) {
            let mismatch = match io::copy(&mut stored, &mut io::sink()) {
                Ok(_) => check_digest(want_digest, &stored.finish(), "blob").err(),
                // The registry client checks the digest at the end of the stream too.
                Err(e) if e.to_string().contains("Invalid digest") => Some(format!(
                    "digest mismatch: the blob's bytes do not hash to {want_digest}; the image is corrupt or was tampered with"
                )),
                Err(_) => None,
            };
            if let Some(m) = mismatch {
                return Err(err(format!("{m} (it also fails to read: {message})")));
            }
        }
        return Err(err(message));
    }
    io::copy(&mut stored, &mut io::sink()).map_err(|e| err(read_error(&e)))?;
    idx.stored_bytes = stored.bytes;
    if let Some(want_digest) = &expect.stored {
        check_digest(want_digest, &stored.finish(), "blob").map_err(err)?;
    }
    Ok(idx)
}

fn read_error(e: &io::Error) -> String {
    if let Some(m) = below(e) {
        return m;
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof => "truncated: the stream ends early".to_string(),
        _ => format!("cannot read: {e}"),
    }
}

fn check_digest(expected: &str, actual_hex: &str, what: &str) -> Result<(), String> {
    let Some(hex) = expected.strip_prefix("sha256:") else {
        return Err(format!(
            "unsupported digest algorithm in {expected:?} (only sha256 is supported)"
        ));
    };
    if hex != actual_hex {
        return Err(format!(
            "digest mismatch: the {what} should be {expected} but its bytes hash to sha256:{actual_hex}; the image is corrupt or was tampered with"
        ));
    }
    Ok(())
}

/// Decompress by magic bytes: gzip, zstd, or nothing.
pub fn decoder<'a, R: BufRead + 'a>(mut r: R) -> io::Result<Box<dyn Read + 'a>> {
    let head = r.fill_buf()?;
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(r))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(zstd::stream::read::Decoder::with_buffer(r)?)
    } else {
        Box::new(r)
    })
}

fn walk(stream: &mut impl Read, want: &Want, idx: &mut LayerIndex) -> Result<(), String> {
    let mut archive = tar::Archive::new(stream);
    let mut script_budget = SCRIPT_BUDGET;
    let entries = archive.entries().map_err(|e| e.to_string())?;
    for (n, entry) in entries.enumerate() {
        let mut entry = entry.map_err(|e| format!("tar entry {}: {}", n + 1, tar_error(&e)))?;
        let raw = entry.path_bytes().into_owned();
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let path = normalise_entry(&raw).map_err(|m| format!("tar entry {raw:?}: {m}"))?;
        let Some(path) = path else { continue };
        let mode = entry.header().mode().unwrap_or(0o644) & 0o7777;
        let entry_type = entry.header().entry_type();
        let link = entry
            .link_name_bytes()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        match whiteout(&path) {
            Some(Some(change)) => {
                idx.changes.push(change);
                continue;
            }
            Some(None) => continue,
            None => {}
        }
        let kind = match entry_type {
            tar::EntryType::Directory => Kind::Dir,
            tar::EntryType::Symlink => Kind::Symlink(link),
            tar::EntryType::Link => match normalise_entry(&link) {
                Ok(Some(t)) => Kind::Hardlink(t),
                Ok(None) => Kind::Hardlink("/".into()),
                Err(m) => return Err(format!("hard link {path} → {link:?}: {m}")),
            },
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let size = entry.size();
                let exec = mode & 0o111 != 0;
                let (content, whole) =
                    capture(&mut entry, &path, size, exec, want, &mut script_budget)
                        .map_err(|e| format!("{path}: {}", read_error(&e)))?;
                Kind::File {
                    size,
                    content,
                    whole,
                }
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => Kind::Special,
            // PAX/GNU metadata records are consumed by the tar reader; anything else is
            // unknown to the runtime too.
            _ => continue,
        };
        idx.changes.push(Change::Add(Entry { path, kind, mode }));
    }
    idx.changes.shrink();
    Ok(())
}

/// The tar reader's messages quote raw header bytes: keep them short and printable.
fn tar_error(e: &io::Error) -> String {
    if below(e).is_some() || e.kind() == io::ErrorKind::UnexpectedEof {
        return read_error(e);
    }
    // The stream ended inside a 512-byte header block.
    if e.to_string() == "failed to read entire block" {
        return "truncated: the stream ends inside a tar header".into();
    }
    let msg: String = e
        .to_string()
        .chars()
        .map(|c| {
            if c.is_control() || c == '\u{fffd}' {
                '?'
            } else {
                c
            }
        })
        .take(120)
        .collect();
    format!("not a valid tar header ({msg}); the layer is corrupt or not a tar archive")
}

/// Keep a file whole when it is wanted or is a small script; keep the head of other
/// executables. Returns the bytes and whether they are the whole file.
/// An interpreter's source file of the app (`/app/main.py`, `/srv/server.js`), which a
/// script on the launch chain may name: kept on sight, so that reading it does not mean
/// reading a layer again. Library trees are left out; they would use up the budget.
fn app_source(path: &str) -> bool {
    const EXT: &[&str] = &[".py", ".js", ".mjs", ".cjs", ".rb", ".pl", ".php", ".sh"];
    const LIBRARY: &[&str] = &[
        "/usr/",
        "/node_modules/",
        "/site-packages/",
        "/dist-packages/",
        "/vendor/",
        "/gems/",
    ];
    EXT.iter().any(|e| path.ends_with(e)) && !LIBRARY.iter().any(|l| path.contains(l))
}

fn capture(
    entry: &mut impl Read,
    path: &str,
    size: u64,
    exec: bool,
    want: &Want,
    script_budget: &mut u64,
) -> io::Result<(Option<Arc<[u8]>>, bool)> {
    let cap = if want.max_capture == 0 {
        MAX_CAPTURE
    } else {
        want.max_capture
    };
    if want.by_name(path) && size <= cap {
        let mut buf = Vec::with_capacity(size as usize);
        entry.read_to_end(&mut buf)?;
        return Ok((Some(buf.into()), true));
    }
    let peek = want.scripts && size <= MAX_SCRIPT && size <= *script_budget && size >= 2;
    if !peek && !exec {
        return Ok((None, false));
    }
    let mut head = Vec::with_capacity(HEAD);
    entry.take(HEAD as u64).read_to_end(&mut head)?;
    if peek && (head.starts_with(b"#!") || app_source(path)) {
        entry.read_to_end(&mut head)?;
        *script_budget -= size;
        return Ok((Some(head.into()), true));
    }
    if head.len() as u64 == size {
        return Ok((Some(head.into()), true));
    }
    Ok((exec.then(|| head.into()), false))
}

/// A layer path as the runtime applies it: leading `/` and `./` dropped, `.` and inner `..`
/// resolved; a `..` that climbs out of the root is refused, as containerd does ("breakout").
/// `Ok(None)` is the root itself.
pub fn normalise_entry(raw: &str) -> Result<Option<String>, String> {
    let absolute = raw.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() && !absolute {
                    return Err(
                        "the path climbs out of the image root with `..`; container runtimes refuse to unpack such a layer"
                            .into(),
                    );
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!("/{}", parts.join("/"))))
}

/// An entry whose name makes it a whiteout (`.wh.NAME`) or an opaque marker
/// (`.wh..wh..opq`): `Some(change)`, or `Some(None)` for other `.wh..wh.` metadata; `None` for
/// an ordinary entry.
pub fn whiteout(path: &str) -> Option<Option<Change>> {
    let (dir, base) = split(path);
    if base == ".wh..wh..opq" {
        return Some(Some(Change::Opaque(dir.to_string())));
    }
    let hidden = base.strip_prefix(".wh.")?;
    Some((!hidden.starts_with(".wh.")).then(|| Change::Whiteout(join(dir, hidden))))
}

pub fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("/", path),
    }
}

pub fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// A reader that hashes what passes through it.
pub(super) struct Hashing<R> {
    inner: R,
    hasher: Option<Sha256>,
    bytes: u64,
    /// Shares the byte count with the reader that checks the compression ratio.
    counter: Option<Rc<Cell<u64>>>,
}

impl<R> Hashing<R> {
    pub(super) fn new(inner: R, hash: bool) -> Self {
        Hashing {
            inner,
            hasher: hash.then(Sha256::new),
            bytes: 0,
            counter: None,
        }
    }

    /// The SHA-256 of what was read, in hex.
    pub(super) fn finish(&mut self) -> String {
        self.hasher
            .take()
            .map(|h| super::hex(&h.finalize()))
            .unwrap_or_default()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.bytes += n as u64;
        if let Some(c) = &self.counter {
            c.set(self.bytes);
        }
        Ok(n)
    }
}

/// The uncompressed stream, checked against the caps as it is read: a decompression bomb
/// stops here. Every error from below is marked, so the tar reader's wrapping cannot turn it
/// into "not a valid tar header".
struct Capped<'l, R> {
    inner: R,
    /// Uncompressed bytes so far.
    out: u64,
    /// Stored (compressed) bytes so far.
    stored: Rc<Cell<u64>>,
    limits: &'l Limits,
    /// Set when a cap stopped the read: nothing more of the blob should be read.
    stopped: Rc<Cell<bool>>,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self
            .inner
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), Below(read_error(&e))))?;
        self.out += n as u64;
        let spent = self.limits.spent.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        let l = self.limits;
        let stored = self.stored.get().max(1);
        let over = if self.out > l.max_layer_bytes {
            Some(format!(
                "the layer expands to more than {} bytes uncompressed; stopped (a decompression bomb?). Raise the cap with --max-layer-size",
                l.max_layer_bytes
            ))
        } else if spent > l.max_image_bytes {
            Some(format!(
                "the image's layers expand to more than {} bytes uncompressed together; stopped (a decompression bomb?). Raise the cap with --max-image-size",
                l.max_image_bytes
            ))
        } else if self.out > RATIO_GRACE && self.out / stored > l.max_ratio {
            Some(format!(
                "the layer expands more than {}:1 ({} bytes from {stored} stored); stopped (a decompression bomb?). Raise the cap with --max-ratio",
                l.max_ratio, self.out
            ))
        } else {
            None
        };
        match over {
            Some(m) => {
                self.stopped.set(true);
                Err(io::Error::new(io::ErrorKind::FileTooLarge, Below(m)))
            }
            None => Ok(n),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths_are_confined() {
        assert_eq!(
            normalise_entry("./usr/bin/sh").unwrap().unwrap(),
            "/usr/bin/sh"
        );
        assert_eq!(
            normalise_entry("/etc/passwd").unwrap().unwrap(),
            "/etc/passwd"
        );
        assert_eq!(normalise_entry("/../../etc").unwrap().unwrap(), "/etc");
        assert_eq!(normalise_entry("a/../b").unwrap().unwrap(), "/b");
        assert!(normalise_entry("../etc/passwd").is_err());
        assert!(normalise_entry("a/../../x").is_err());
        assert_eq!(normalise_entry("./").unwrap(), None);
    }

    fn tar_of(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, body, mode) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_mode(*mode);
            h.set_cksum();
            b.append_data(&mut h, path, *body).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn digest(b: &[u8]) -> String {
        format!("sha256:{}", crate::image::sha256_hex(b))
    }

    fn limits() -> Limits {
        Limits::default()
    }

    #[test]
    fn zstd_gzip_and_plain_layers_give_the_same_index() {
        let tar = tar_of(&[
            ("entrypoint.sh", b"#!/bin/sh\nexec app\n", 0o755),
            ("usr/bin/app", b"\x7fELF....", 0o755),
            ("etc/.wh.motd", b"", 0o644),
        ]);
        let zst = zstd::encode_all(&tar[..], 3).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        let gz = gz.finish().unwrap();
        let want = Want {
            scripts: true,
            ..Default::default()
        };
        for blob in [&tar, &zst, &gz] {
            let expect = Expect {
                stored: Some(digest(blob)),
                tar: Some(digest(&tar)),
                record_tar: true,
            };
            let idx = index(&blob[..], "l", &expect, &want, limits()).unwrap();
            assert_eq!(idx.tar_bytes, tar.len() as u64);
            assert_eq!(idx.tar_digest, Some(digest(&tar)));
            let script = idx.changes.iter().find_map(|c| match c {
                Change::Add(Entry {
                    path,
                    kind: Kind::File { content, whole, .. },
                    ..
                }) if path == "/entrypoint.sh" => Some((content.clone(), whole)),
                _ => None,
            });
            let (content, whole) = script.unwrap();
            assert!(whole);
            assert_eq!(&*content.unwrap(), b"#!/bin/sh\nexec app\n");
            assert!(idx
                .changes
                .iter()
                .any(|c| matches!(c, Change::Whiteout(p) if p == "/etc/motd")));
        }
        // One flipped byte in the stored blob: the digest check names it.
        let mut bad = zst.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let expect = Expect {
            stored: Some(digest(&zst)),
            ..Expect::default()
        };
        let err = index(&bad[..], "layer 1/1", &expect, &want, limits()).unwrap_err();
        assert!(err.to_string().starts_with("layer 1/1: "), "{err}");
    }

    #[test]
    fn a_bomb_stops_at_the_cap() {
        let tar = tar_of(&[("zeros", &[0u8; 1 << 20], 0o644)]);
        let zst = zstd::encode_all(&tar[..], 3).unwrap();
        let limits = Limits {
            max_layer_bytes: 64 << 10,
            ..Limits::default()
        };
        let err = index(&zst[..], "l", &Expect::default(), &Want::default(), limits).unwrap_err();
        assert!(err.to_string().contains("decompression bomb"), "{err}");
    }

    #[test]
    fn the_bomb_message_is_not_a_tar_error() {
        let tar = tar_of(&[("zeros", &[0u8; 1 << 20], 0o644)]);
        let gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            std::io::Write::write_all(&mut e, &tar).unwrap();
            e.finish().unwrap()
        };
        let limits = Limits {
            max_layer_bytes: 4096,
            ..Limits::default()
        };
        let err = index(&gz[..], "l", &Expect::default(), &Want::default(), limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Raise the cap with --max-layer-size"), "{err}");
        assert!(!err.contains("tar header"), "{err}");
    }

    /// A stream of `len` zero bytes in a tar, zstd-compressed as it is written.
    fn zstd_zeros(len: u64) -> Vec<u8> {
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(len);
        h.set_mode(0o644);
        h.set_path("zeros").unwrap();
        h.set_cksum();
        std::io::Write::write_all(&mut e, h.as_bytes()).unwrap();
        std::io::copy(&mut std::io::repeat(0).take(len), &mut e).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn a_layer_far_smaller_than_what_it_expands_to_stops_at_the_ratio() {
        let blob = zstd_zeros(RATIO_GRACE + (8 << 20));
        assert!(blob.len() < 64 << 10, "{}", blob.len());
        let err = index(
            &blob[..],
            "l",
            &Expect::default(),
            &Want::default(),
            limits(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("expands more than 1000:1"), "{err}");
        assert!(err.contains("--max-ratio"), "{err}");
    }

    #[test]
    fn the_image_budget_is_shared_by_its_layers() {
        let tar = tar_of(&[("f", &[7u8; 100 << 10], 0o644)]);
        let limits = Limits {
            max_image_bytes: 300 << 10,
            ..Limits::default()
        };
        // The same small blob listed as layer after layer: the third one passes the budget.
        for i in 0..2 {
            index(
                &tar[..],
                "l",
                &Expect::default(),
                &Want::default(),
                limits.clone(),
            )
            .unwrap_or_else(|e| panic!("layer {i}: {e}"));
        }
        let err = index(&tar[..], "l", &Expect::default(), &Want::default(), limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--max-image-size"), "{err}");
    }

    #[test]
    fn versioned_names_match() {
        let mut w = Want::default();
        w.names.insert("python3".into());
        assert!(w.by_name("/usr/bin/python3"));
        assert!(w.by_name("/usr/bin/python3.11"));
        assert!(!w.by_name("/usr/bin/python3-config-x"));
        assert!(!w.by_name("/usr/bin/pythonista"));
    }
}
