//! Layers with a table of contents (zstd:chunked, as `skopeo copy --dest-compress-format
//! zstd:chunked` and podman push them): the TOC lists every entry with the byte range of its
//! compressed content, so the layer is indexed from the TOC alone and a file's bytes are read
//! by one range request when the launch chain asks for them. Nothing else of the layer is
//! transferred or inflated.
//!
//! Trust: the layer descriptor (in the digest-checked manifest) carries the TOC's position and
//! its SHA-256; each TOC entry carries its file's SHA-256, checked when the file is read whole.
//! The blob's own digest cannot be checked without reading it all (`--all-layers` does).

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use serde::Deserialize;

use super::layer::{self, Change, Entry, Kind, LayerIndex};
use super::store::Blobs;

/// The TOC is a few hundred bytes per file; a bigger one is hostile.
const MAX_TOC: u64 = 64 << 20;
const MAX_TOC_JSON: u64 = 512 << 20;

/// Where a layer's TOC is, from its descriptor's annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocRef {
    pub offset: u64,
    pub length: u64,
    pub uncompressed: u64,
    /// `sha256:…` of the TOC's stored (compressed) bytes.
    pub checksum: Option<String>,
}

/// The annotation prefixes: containers/image wrote `io.containers.` before it moved to
/// `io.github.containers.`; both are in registries.
const PREFIXES: [&str; 2] = [
    "io.github.containers.zstd-chunked.",
    "io.containers.zstd-chunked.",
];

impl TocRef {
    /// `manifest-position` is `OFFSET:LENGTH:UNCOMPRESSED_LENGTH:TYPE`; type 1 is the JSON TOC.
    pub fn from_annotations(annotations: &HashMap<String, String>) -> Option<TocRef> {
        PREFIXES.iter().find_map(|prefix| {
            let position = annotations.get(&format!("{prefix}manifest-position"))?;
            let n: Vec<u64> = position
                .split(':')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            let [offset, length, uncompressed, 1] = n[..] else {
                return None;
            };
            Some(TocRef {
                offset,
                length,
                uncompressed,
                checksum: annotations
                    .get(&format!("{prefix}manifest-checksum"))
                    .cloned(),
            })
        })
    }
}

/// Where a file's compressed bytes are in the blob, and what they must hash to.
#[derive(Debug, Clone)]
pub struct FileRange {
    pub offset: u64,
    pub end: u64,
    pub size: u64,
    pub digest: Option<String>,
}

/// Each layer's file ranges, by path (layers not read by TOC have none).
pub type Ranges = Arc<HashMap<String, FileRange>>;

#[derive(Deserialize)]
struct TocJson {
    entries: Vec<TocEntry>,
}

#[derive(Deserialize)]
struct TocEntry {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    #[serde(default, rename = "linkName")]
    link_name: String,
    #[serde(default)]
    mode: u32,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    offset: u64,
    #[serde(default, rename = "endOffset")]
    end_offset: u64,
    #[serde(default)]
    digest: Option<String>,
}

/// Index a layer from its TOC: the index (no contents) and the ranges of its files. `None`
/// when the store cannot read parts of the blob.
pub fn index(
    blobs: &dyn Blobs,
    locator: &str,
    toc: &TocRef,
) -> Result<Option<(LayerIndex, Ranges)>, String> {
    if toc.length > MAX_TOC || toc.uncompressed > MAX_TOC_JSON {
        return Err(format!(
            "its table of contents claims {} bytes ({} unpacked), more than initlint reads",
            toc.length, toc.uncompressed
        ));
    }
    let Some(mut part) = blobs
        .open_range(locator, toc.offset, toc.length)
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let mut stored = Vec::new();
    part.read_to_end(&mut stored)
        .map_err(|e| format!("reading its table of contents: {e}"))?;
    if stored.len() as u64 != toc.length {
        return Err(format!(
            "its table of contents is {} bytes, the manifest says {}",
            stored.len(),
            toc.length
        ));
    }
    if let Some(want) = &toc.checksum {
        let got = format!("sha256:{}", super::sha256_hex(&stored));
        if &got != want {
            return Err(format!(
                "its table of contents has digest {got}, the manifest says {want}"
            ));
        }
    }
    let mut json = Vec::new();
    zstd::stream::read::Decoder::new(&stored[..])
        .map_err(|e| format!("its table of contents: {e}"))?
        .take(toc.uncompressed + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("its table of contents is not zstd: {e}"))?;
    let parsed: TocJson = serde_json::from_slice(&json).map_err(|e| {
        format!(
            "its table of contents is not valid JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        )
    })?;
    let (index, ranges) = entries(parsed.entries, stored.len() as u64)?;
    Ok(Some((index, Arc::new(ranges))))
}

fn entries(
    list: Vec<TocEntry>,
    stored: u64,
) -> Result<(LayerIndex, HashMap<String, FileRange>), String> {
    let mut idx = LayerIndex {
        stored_bytes: stored,
        ..Default::default()
    };
    let mut ranges = HashMap::new();
    for e in list {
        // Chunks are parts of the file before them, for deduplication; the file's own range
        // covers them.
        if e.kind == "chunk" {
            continue;
        }
        let path =
            layer::normalise_entry(&e.name).map_err(|m| format!("TOC entry {:?}: {m}", e.name))?;
        let Some(path) = path else { continue };
        match layer::whiteout(&path) {
            Some(Some(change)) => {
                idx.changes.push(change);
                continue;
            }
            Some(None) => continue,
            None => {}
        }
        let kind = match e.kind.as_str() {
            "dir" => Kind::Dir,
            "symlink" => Kind::Symlink(e.link_name),
            "hardlink" => match layer::normalise_entry(&e.link_name) {
                Ok(t) => Kind::Hardlink(t.unwrap_or_else(|| "/".into())),
                Err(m) => return Err(format!("hard link {path} → {:?}: {m}", e.link_name)),
            },
            "reg" => {
                if e.size > 0 && e.end_offset <= e.offset {
                    return Err(format!(
                        "TOC entry {path}: its bytes {}..{} are not a range of the blob",
                        e.offset, e.end_offset
                    ));
                }
                ranges.insert(
                    path.clone(),
                    FileRange {
                        offset: e.offset,
                        end: e.end_offset,
                        size: e.size,
                        digest: e.digest,
                    },
                );
                Kind::File {
                    size: e.size,
                    content: None,
                    whole: e.size == 0,
                }
            }
            "char" | "block" | "fifo" => Kind::Special,
            _ => continue,
        };
        idx.changes.push(Change::Add(Entry {
            path,
            kind,
            mode: e.mode & 0o7777,
        }));
    }
    idx.tar_bytes = ranges.values().map(|r| r.size).sum();
    Ok((idx, ranges))
}

/// Compressed bytes fetched for a file's head before its whole range.
const HEAD_FETCH: u64 = 64 << 10;

/// Up to `want` bytes inflated from `len` stored bytes at `offset` (a truncated range gives
/// what it holds, then an error).
fn inflate(
    blobs: &dyn Blobs,
    locator: &str,
    path: &str,
    offset: u64,
    len: u64,
    want: u64,
) -> Result<Vec<u8>, String> {
    let part = blobs
        .open_range(locator, offset, len)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{path}: the store no longer serves ranges"))?;
    let mut bytes = Vec::new();
    let mut decoder = zstd::stream::read::Decoder::new(part).map_err(|e| e.to_string())?;
    let read = decoder.by_ref().take(want).read_to_end(&mut bytes);
    match read {
        Ok(_) => Ok(bytes),
        Err(_) if bytes.len() as u64 >= want => Ok(bytes),
        Err(e) => Err(e.to_string()),
    }
}

/// Up to `cap` bytes of a file read by its range, checked against the TOC's digest when the
/// whole file was read.
pub fn read_file(
    blobs: &dyn Blobs,
    locator: &str,
    path: &str,
    range: &FileRange,
    cap: u64,
) -> Result<Arc<[u8]>, String> {
    if range.size == 0 {
        return Ok(Arc::from(&[][..]));
    }
    // A head (is it an ELF binary?) is in the first compressed block: fetch a little first.
    if cap <= HEAD_FETCH {
        let len = (range.end - range.offset).min(HEAD_FETCH);
        if let Ok(bytes) = inflate(blobs, locator, path, range.offset, len, cap.min(range.size)) {
            if bytes.len() as u64 == cap.min(range.size) {
                return Ok(bytes.into());
            }
        }
    }
    let len = range.end - range.offset;
    let bytes = inflate(blobs, locator, path, range.offset, len, cap.min(range.size))
        .map_err(|e| format!("{path}: its compressed bytes do not inflate: {e}"))?;
    if bytes.len() as u64 == range.size {
        if let Some(want) = &range.digest {
            let got = format!("sha256:{}", super::sha256_hex(&bytes));
            if &got != want {
                return Err(format!(
                    "{path}: its bytes have digest {got}, the table of contents says {want}"
                ));
            }
        }
    } else if (bytes.len() as u64) < cap.min(range.size) {
        return Err(format!(
            "{path}: {} of its {} bytes in the layer",
            bytes.len(),
            range.size
        ));
    }
    Ok(bytes.into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn both_annotation_spellings_give_the_position() {
        for prefix in PREFIXES {
            let a: HashMap<String, String> = [
                (
                    format!("{prefix}manifest-position"),
                    "1736064:4157:16513:1".to_string(),
                ),
                (
                    format!("{prefix}manifest-checksum"),
                    "sha256:41".to_string(),
                ),
            ]
            .into_iter()
            .collect();
            assert_eq!(
                TocRef::from_annotations(&a),
                Some(TocRef {
                    offset: 1736064,
                    length: 4157,
                    uncompressed: 16513,
                    checksum: Some("sha256:41".into())
                })
            );
        }
        // Another TOC type, or garbage: not read by TOC.
        let a: HashMap<String, String> = [(
            format!("{}manifest-position", PREFIXES[0]),
            "1:2:3:2".to_string(),
        )]
        .into_iter()
        .collect();
        assert_eq!(TocRef::from_annotations(&a), None);
    }

    /// A blob in memory that serves ranges, as a layout does.
    struct Mem(Vec<u8>);

    impl Blobs for Mem {
        fn open(&self, _: &str) -> Result<Box<dyn Read + Send + '_>, crate::image::ImageError> {
            Ok(Box::new(&self.0[..]))
        }

        fn open_range(
            &self,
            _: &str,
            offset: u64,
            len: u64,
        ) -> Result<Option<Box<dyn Read + Send + '_>>, crate::image::ImageError> {
            let start = (offset as usize).min(self.0.len());
            let end = (start + len as usize).min(self.0.len());
            Ok(Some(Box::new(&self.0[start..end])))
        }
    }

    /// A blob holding one file's compressed bytes, then a TOC naming `entries` (the file's
    /// range is filled in for an entry whose offset is 0).
    fn blob(body: &[u8], entries: serde_json::Value) -> (Mem, TocRef) {
        let file = zstd::encode_all(body, 3).unwrap();
        let mut entries = entries;
        for e in entries.as_array_mut().unwrap() {
            if e["type"] == "reg" && e.get("offset").is_none() {
                e["offset"] = 0.into();
                e["endOffset"] = file.len().into();
                e["size"] = body.len().into();
                e["digest"] = format!("sha256:{}", crate::image::sha256_hex(body)).into();
            }
        }
        let json =
            serde_json::to_vec(&serde_json::json!({"version": 1, "entries": entries})).unwrap();
        let toc = zstd::encode_all(&json[..], 3).unwrap();
        let at = TocRef {
            offset: file.len() as u64,
            length: toc.len() as u64,
            uncompressed: json.len() as u64,
            checksum: Some(format!("sha256:{}", crate::image::sha256_hex(&toc))),
        };
        (Mem([file, toc].concat()), at)
    }

    #[test]
    fn a_toc_indexes_the_layer_and_a_file_is_read_by_its_range() {
        let (mem, at) = blob(
            b"#!/bin/sh\nexec app\n",
            serde_json::json!([
                {"type": "dir", "name": "./", "mode": 493},
                {"type": "reg", "name": "entrypoint.sh", "mode": 493},
                {"type": "symlink", "name": "bin", "linkName": "usr/bin"},
                {"type": "reg", "name": "etc/.wh.passwd", "size": 0},
                {"type": "reg", "name": "srv/.wh..wh..opq", "size": 0},
            ]),
        );
        let (idx, ranges) = index(&mem, "x", &at).unwrap().unwrap();
        let paths: Vec<String> = idx
            .changes
            .iter()
            .map(|c| match c {
                Change::Add(e) => e.path.clone(),
                Change::Whiteout(p) => format!("-{p}"),
                Change::Opaque(p) => format!("opaque {p}"),
            })
            .collect();
        assert_eq!(
            paths,
            ["/entrypoint.sh", "/bin", "-/etc/passwd", "opaque /srv"]
        );
        let r = &ranges["/entrypoint.sh"];
        let bytes = read_file(&mem, "x", "/entrypoint.sh", r, 1 << 20).unwrap();
        assert_eq!(&bytes[..], b"#!/bin/sh\nexec app\n");
        // The head only.
        let head = read_file(&mem, "x", "/entrypoint.sh", r, 4).unwrap();
        assert_eq!(&head[..], b"#!/b");
    }

    #[test]
    fn a_hostile_toc_is_refused_with_the_reason() {
        let entries = serde_json::json!([{"type": "reg", "name": "app"}]);
        // The manifest's checksum does not match the TOC.
        let (mem, mut at) = blob(b"x", entries.clone());
        at.checksum = Some(format!("sha256:{}", "0".repeat(64)));
        let e = index(&mem, "x", &at).unwrap_err();
        assert!(e.contains("digest"), "{e}");
        // A name that climbs out of the root.
        let (mem, at) = blob(
            b"x",
            serde_json::json!([{"type": "reg", "name": "../../etc/x"}]),
        );
        let e = index(&mem, "x", &at).unwrap_err();
        assert!(e.contains("climbs out"), "{e}");
        // A TOC bigger than initlint reads, by the manifest's word: not fetched at all.
        let (mem, mut at) = blob(b"x", entries.clone());
        at.uncompressed = u64::MAX;
        assert!(index(&mem, "x", &at).unwrap_err().contains("more than"));
        // A file whose bytes are not what the TOC says.
        let (mem, at) = blob(b"the real bytes", entries);
        let (_, ranges) = index(&mem, "x", &at).unwrap().unwrap();
        let mut r = ranges["/app"].clone();
        r.digest = Some(format!("sha256:{}", "1".repeat(64)));
        let e = read_file(&mem, "x", "/app", &r, 1 << 20).unwrap_err();
        assert!(e.contains("digest"), "{e}");
        // A range that is not one.
        let mut bad = ranges["/app"].clone();
        bad.offset = 1 << 40;
        bad.end = (1 << 40) + 10;
        assert!(read_file(&mem, "x", "/app", &bad, 1 << 20).is_err());
    }
}
