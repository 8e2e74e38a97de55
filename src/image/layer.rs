//! One layer blob, read as a stream: digest check over the stored bytes, decompression
//! (gzip, zstd or none, sniffed from the magic bytes), and a walk over its tar headers that
//! records every change the layer makes. Contents are kept only for the files the launch
//! chain may need (see [`Want`]); everything else is skipped as it streams past.

use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read};
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

#[derive(Debug, Default)]
pub struct LayerIndex {
    pub changes: Vec<Change>,
    pub stored_bytes: u64,
    pub tar_bytes: u64,
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
}

/// Caps that keep a hostile layer from exhausting the machine.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Uncompressed bytes per layer (decompression bombs).
    pub max_layer_bytes: u64,
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
    let mut stored = Hashing::new(blob, expect.stored.is_some());
    let mut idx = LayerIndex::default();
    {
        let buffered = BufReader::with_capacity(256 << 10, &mut stored);
        let decoded = decoder(buffered).map_err(|e| err(format!("cannot read: {e}")))?;
        let mut tar_stream = Capped {
            inner: Hashing::new(decoded, expect.tar.is_some()),
            left: limits.max_layer_bytes,
            cap: limits.max_layer_bytes,
        };
        walk(&mut tar_stream, want, &mut idx).map_err(|e| err(e.to_string()))?;
        // The tar end marker is not the end of the stream: read to the end so the gzip
        // trailer (CRC) and the digest cover every byte.
        io::copy(&mut tar_stream, &mut io::sink()).map_err(|e| err(read_error(&e)))?;
        idx.tar_bytes = tar_stream.cap - tar_stream.left;
        if let Some(want_digest) = &expect.tar {
            check_digest(
                want_digest,
                &tar_stream.inner.finish(),
                "uncompressed layer",
            )
            .map_err(err)?;
        }
    }
    io::copy(&mut stored, &mut io::sink()).map_err(|e| err(read_error(&e)))?;
    idx.stored_bytes = stored.bytes;
    if let Some(want_digest) = &expect.stored {
        check_digest(want_digest, &stored.finish(), "blob").map_err(err)?;
    }
    Ok(idx)
}

fn read_error(e: &io::Error) -> String {
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

fn decoder<'a, R: BufRead + 'a>(mut r: R) -> io::Result<Box<dyn Read + 'a>> {
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
        let (dir, base) = split(&path);
        if base == ".wh..wh..opq" {
            idx.changes.push(Change::Opaque(dir.to_string()));
            continue;
        }
        if let Some(hidden) = base.strip_prefix(".wh.") {
            if !hidden.starts_with(".wh.") {
                idx.changes.push(Change::Whiteout(join(dir, hidden)));
            }
            continue;
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
    Ok(())
}

/// The tar reader's messages quote raw header bytes: keep them short and printable.
fn tar_error(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return read_error(e);
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
    if peek && head.starts_with(b"#!") {
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
struct Hashing<R> {
    inner: R,
    hasher: Option<Sha256>,
    bytes: u64,
}

impl<R> Hashing<R> {
    fn new(inner: R, hash: bool) -> Self {
        Hashing {
            inner,
            hasher: hash.then(Sha256::new),
            bytes: 0,
        }
    }

    fn finish(&mut self) -> String {
        self.hasher
            .take()
            .map(|h| {
                h.finalize()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            })
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
        Ok(n)
    }
}

/// Fails once more than `cap` bytes have been read: a decompression bomb stops here.
struct Capped<R> {
    inner: R,
    left: u64,
    cap: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(io::Error::other(format!(
                "the layer expands to more than {} bytes uncompressed; stopped (a decompression bomb?). Raise the cap with --max-layer-size",
                self.cap
            )));
        }
        self.left -= n as u64;
        Ok(n)
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

    const LIMITS: Limits = Limits {
        max_layer_bytes: 1 << 30,
    };

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
            };
            let idx = index(&blob[..], "l", &expect, &want, LIMITS).unwrap();
            assert_eq!(idx.tar_bytes, tar.len() as u64);
            let script = idx.changes.iter().find_map(|c| match c {
                Change::Add(Entry {
                    path,
                    kind: Kind::File { content, whole, .. },
                    ..
                }) if path == "/entrypoint.sh" => Some((content.clone(), *whole)),
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
            tar: None,
        };
        let err = index(&bad[..], "layer 1/1", &expect, &want, LIMITS).unwrap_err();
        assert!(err.to_string().starts_with("layer 1/1: "), "{err}");
    }

    #[test]
    fn a_bomb_stops_at_the_cap() {
        let tar = tar_of(&[("zeros", &[0u8; 1 << 20], 0o644)]);
        let zst = zstd::encode_all(&tar[..], 3).unwrap();
        let limits = Limits {
            max_layer_bytes: 64 << 10,
        };
        let err = index(&zst[..], "l", &Expect::default(), &Want::default(), limits).unwrap_err();
        assert!(err.to_string().contains("decompression bomb"), "{err}");
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
