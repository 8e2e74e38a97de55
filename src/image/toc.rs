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
use std::hash::BuildHasher;
use std::io::Read;
use std::sync::Arc;

use hashbrown::HashTable;
use serde::Deserialize;

use super::layer::{self, Change, Entry, Kind, LayerIndex};
use super::store::Blobs;

/// The TOC is a few hundred bytes per file; a bigger one is hostile.
const MAX_TOC: u64 = 64 << 20;
const MAX_TOC_JSON: u64 = 512 << 20;

/// Where a layer's TOC is and what it must hash to, from its descriptor. A layer is read by
/// its TOC only when the manifest (which is digest-checked) pins the TOC's digest: the blob's
/// own digest cannot be checked without reading all of it, so an unpinned TOC could say
/// anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TocRef {
    /// zstd:chunked: the annotations give the TOC's position and its stored bytes' digest.
    ZstdChunked {
        offset: u64,
        length: u64,
        uncompressed: u64,
        /// `sha256:…` of the TOC's stored (compressed) bytes.
        checksum: String,
    },
    /// eStargz: the blob's last 51 bytes say where the TOC is; the annotation gives the
    /// digest of its JSON.
    Estargz { toc_digest: String, blob_size: u64 },
}

/// The annotation prefixes: containers/image wrote `io.containers.` before it moved to
/// `io.github.containers.`; both are in registries.
const PREFIXES: [&str; 2] = [
    "io.github.containers.zstd-chunked.",
    "io.containers.zstd-chunked.",
];

/// eStargz's annotation: the digest of the TOC JSON (stargz-snapshotter, estargz/types.go).
const ESTARGZ_TOC_DIGEST: &str = "containerd.io/snapshot/stargz/toc.digest";

/// An eStargz blob ends with an empty gzip member whose extra field says where the TOC is.
const ESTARGZ_FOOTER: u64 = 51;
/// The tar entry that holds the TOC JSON in an eStargz blob.
const ESTARGZ_TOC_NAME: &str = "stargz.index.json";

impl TocRef {
    /// The TOC a layer descriptor points to, if it pins one.
    pub fn from_descriptor(
        annotations: &HashMap<String, String>,
        size: Option<u64>,
    ) -> Option<TocRef> {
        Self::zstd_chunked(annotations).or_else(|| {
            Some(TocRef::Estargz {
                toc_digest: annotations.get(ESTARGZ_TOC_DIGEST)?.clone(),
                blob_size: size?,
            })
        })
    }

    /// `manifest-position` is `OFFSET:LENGTH:UNCOMPRESSED_LENGTH:TYPE`; type 1 is the JSON TOC.
    fn zstd_chunked(annotations: &HashMap<String, String>) -> Option<TocRef> {
        PREFIXES.iter().find_map(|prefix| {
            let position = annotations.get(&format!("{prefix}manifest-position"))?;
            let n: Vec<u64> = position
                .split(':')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            let [offset, length, uncompressed, 1] = n[..] else {
                return None;
            };
            Some(TocRef::ZstdChunked {
                offset,
                length,
                uncompressed,
                checksum: annotations
                    .get(&format!("{prefix}manifest-checksum"))?
                    .clone(),
            })
        })
    }
}

/// How a layer's file contents are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// One zstd frame per file (zstd:chunked).
    Zstd,
    /// gzip members (eStargz): a file's data starts a member, and may share it with the
    /// files after it (at `inner` bytes in).
    Gzip,
}

/// Where a file's compressed bytes are in the blob, and what they must hash to.
#[derive(Debug, Clone)]
pub struct FileRange {
    /// A keyed 128-bit hash of its path: its key in [`RangeTable`].
    key: [u64; 2],
    pub offset: u64,
    pub end: u64,
    pub size: u64,
    /// Uncompressed bytes before the file's own, from `offset`.
    pub inner: u32,
    /// SHA-256 of the whole file.
    pub digest: Option<[u8; 32]>,
    pub codec: Codec,
}

/// A layer's file ranges, found by path. The paths are not kept (a layer of a million files
/// would hold each path again, next to the tree's): a file is found by a 128-bit hash of its
/// path keyed with random keys, which no layer can aim a collision at.
#[derive(Debug, Default)]
pub struct RangeTable {
    index: HashTable<u32>,
    ranges: Vec<FileRange>,
    keys: [std::hash::RandomState; 2],
}

impl RangeTable {
    fn key(&self, path: &str) -> [u64; 2] {
        [self.keys[0].hash_one(path), self.keys[1].hash_one(path)]
    }

    pub fn get(&self, path: &str) -> Option<&FileRange> {
        let key = self.key(path);
        let ranges = &self.ranges;
        self.index
            .find(key[0], |&i| ranges[i as usize].key == key)
            .map(|&i| &ranges[i as usize])
    }

    /// Add `range` for `path` (a later entry for the same path replaces it, as in a tar);
    /// its number.
    fn insert(&mut self, path: &str, mut range: FileRange) -> usize {
        range.key = self.key(path);
        let key = range.key;
        let ranges = &mut self.ranges;
        if let Some(&i) = self.index.find(key[0], |&i| ranges[i as usize].key == key) {
            ranges[i as usize] = range;
            return i as usize;
        }
        let i = ranges.len();
        ranges.push(range);
        self.index
            .insert_unique(key[0], i as u32, |&j| ranges[j as usize].key[0]);
        i
    }
}

/// Each layer's file ranges (layers not read by TOC have none).
pub type Ranges = Arc<RangeTable>;

#[derive(Deserialize)]
struct TocEntry {
    #[serde(rename = "type")]
    kind: String,
    /// The root directory's is empty; a writer may leave it out.
    #[serde(default)]
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
    #[serde(default, rename = "innerOffset")]
    inner_offset: u64,
    #[serde(default)]
    digest: Option<String>,
}

/// What a TOC says about the blob it is in.
struct Layout {
    /// Bytes fetched to read the TOC.
    stored: u64,
    codec: Codec,
    /// Where file data ends (the TOC's own offset): the end of the last file's range.
    data_end: u64,
}

/// Index a layer from its TOC: the index (no contents) and the ranges of its files. `None`
/// when the store cannot read parts of the blob.
pub fn index(
    blobs: &dyn Blobs,
    locator: &str,
    toc: &TocRef,
) -> Result<Option<(LayerIndex, Ranges)>, String> {
    let parsed = match toc {
        TocRef::ZstdChunked {
            offset,
            length,
            uncompressed,
            checksum,
        } => zstd_toc(blobs, locator, *offset, *length, *uncompressed, checksum)?,
        TocRef::Estargz {
            toc_digest,
            blob_size,
        } => estargz_toc(blobs, locator, toc_digest, *blob_size)?,
    };
    Ok(parsed.map(|(idx, ranges)| (idx, Arc::new(ranges))))
}

/// `len` bytes of the blob at `offset`; `None` when the store cannot read parts of it.
fn fetch(
    blobs: &dyn Blobs,
    locator: &str,
    offset: u64,
    len: u64,
    what: &str,
) -> Result<Option<Vec<u8>>, String> {
    let Some(part) = blobs
        .open_range(locator, offset, len)
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    part.take(len + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("reading its {what}: {e}"))?;
    if bytes.len() as u64 != len {
        return Err(format!(
            "its {what} is {} bytes, where {len} were asked for at offset {offset}",
            bytes.len()
        ));
    }
    Ok(Some(bytes))
}

fn too_big(stored: u64, unpacked: u64) -> Result<(), String> {
    if stored > MAX_TOC || unpacked > MAX_TOC_JSON {
        return Err(format!(
            "its table of contents claims {stored} bytes ({unpacked} unpacked), more than initlint reads"
        ));
    }
    Ok(())
}

fn zstd_toc(
    blobs: &dyn Blobs,
    locator: &str,
    offset: u64,
    length: u64,
    uncompressed: u64,
    checksum: &str,
) -> Result<Option<(LayerIndex, RangeTable)>, String> {
    too_big(length, uncompressed)?;
    let Some(stored) = fetch(blobs, locator, offset, length, "table of contents")? else {
        return Ok(None);
    };
    let got = format!("sha256:{}", super::sha256_hex(&stored));
    if got != checksum {
        return Err(format!(
            "its table of contents has digest {got}, the manifest says {checksum}"
        ));
    }
    let json = zstd::stream::read::Decoder::new(&stored[..])
        .map_err(|e| format!("its table of contents: {e}"))?
        .take(uncompressed + 1);
    let layout = Layout {
        stored: length,
        codec: Codec::Zstd,
        data_end: offset,
    };
    parse(json, &layout).map(Some)
}

fn estargz_toc(
    blobs: &dyn Blobs,
    locator: &str,
    toc_digest: &str,
    size: u64,
) -> Result<Option<(LayerIndex, RangeTable)>, String> {
    let Some(body) = size.checked_sub(ESTARGZ_FOOTER) else {
        return Err(format!(
            "it is {size} bytes, too short to end with an eStargz footer"
        ));
    };
    let Some(footer) = fetch(blobs, locator, body, ESTARGZ_FOOTER, "eStargz footer")? else {
        return Ok(None);
    };
    let offset = footer_offset(&footer)?;
    let Some(length) = body.checked_sub(offset).filter(|_| offset > 0) else {
        return Err(format!(
            "its eStargz footer puts the table of contents at offset {offset}, outside the blob's {size} bytes"
        ));
    };
    too_big(length, 0)?;
    let Some(stored) = fetch(blobs, locator, offset, length, "table of contents")? else {
        return Ok(None);
    };
    let layout = Layout {
        stored: length + ESTARGZ_FOOTER,
        codec: Codec::Gzip,
        data_end: offset,
    };
    parse_tar(&stored, toc_digest, &layout).map(Some)
}

/// The TOC offset in an eStargz footer: a gzip header whose extra field is the subfield
/// `SG`, 22 bytes long, holding `%016x` of the offset and `STARGZ`.
fn footer_offset(footer: &[u8]) -> Result<u64, String> {
    let bad =
        |why: &str| format!("its last {ESTARGZ_FOOTER} bytes are not an eStargz footer: {why}");
    if footer.len() < 38 || footer[..3] != [0x1f, 0x8b, 8] || footer[3] & 4 == 0 {
        return Err(bad("no gzip header with an extra field"));
    }
    if footer[10..16] != [26, 0, b'S', b'G', 22, 0] || &footer[32..38] != b"STARGZ" {
        return Err(bad(
            "its extra field is not an SG subfield ending in STARGZ",
        ));
    }
    std::str::from_utf8(&footer[16..32])
        .ok()
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .ok_or_else(|| bad("the offset is not 16 hex digits"))
}

/// An eStargz TOC: a gzip member holding a tar whose first entry is `stargz.index.json`,
/// parsed as it inflates and checked against the digest the manifest pins.
fn parse_tar(
    stored: &[u8],
    toc_digest: &str,
    layout: &Layout,
) -> Result<(LayerIndex, RangeTable), String> {
    let bad = |e: std::io::Error| format!("its table of contents is not a gzip tar: {e}");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(stored));
    let mut entry = archive
        .entries()
        .map_err(bad)?
        .next()
        .ok_or("its table of contents is an empty tar")?
        .map_err(bad)?;
    let name = entry.path_bytes().into_owned();
    if name != ESTARGZ_TOC_NAME.as_bytes() {
        return Err(format!(
            "its table of contents holds {:?}, not {ESTARGZ_TOC_NAME}",
            String::from_utf8_lossy(&name)
        ));
    }
    too_big(0, entry.size())?;
    let mut json = layer::Hashing::new(entry.by_ref().take(MAX_TOC_JSON + 1), true);
    let parsed = parse(&mut json, layout);
    // Every byte is hashed, also after a parse error: a TOC that is not the one the manifest
    // pins is reported as that, whatever else is wrong with it.
    std::io::copy(&mut json, &mut std::io::sink()).map_err(bad)?;
    let got = format!("sha256:{}", json.finish());
    if got != toc_digest {
        return Err(format!(
            "its table of contents has digest {got}, the manifest says {toc_digest}"
        ));
    }
    parsed
}

/// Parse a TOC's JSON as it streams (a million entries are never held at once) into the
/// layer's index and its files' ranges.
fn parse(json: impl Read, layout: &Layout) -> Result<(LayerIndex, RangeTable), String> {
    let mut builder = Builder::new(layout);
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(json));
    let read = serde::de::DeserializeSeed::deserialize(TocSeed(&mut builder), &mut de)
        .and_then(|()| de.end());
    if let Some(e) = builder.error.take() {
        return Err(e);
    }
    read.map_err(|e| {
        format!(
            "its table of contents is not valid JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        )
    })?;
    builder.finish()
}

/// The TOC object: its `entries`, each handed to the builder as it is read; the rest skipped.
struct TocSeed<'a, 'b>(&'a mut Builder<'b>);

impl<'de> serde::de::DeserializeSeed<'de> for TocSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TocSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a table of contents object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "entries" {
                map.next_value_seed(Entries(&mut *self.0))?;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Entries<'a, 'b>(&'a mut Builder<'b>);

impl<'de> serde::de::DeserializeSeed<'de> for Entries<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Entries<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of entries")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(e) = seq.next_element::<TocEntry>()? {
            if let Err(message) = self.0.entry(e) {
                // Reported as it is, not as a JSON error (see `parse`).
                self.0.error = Some(message);
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// The index and ranges, built entry by entry.
struct Builder<'a> {
    layout: &'a Layout,
    idx: LayerIndex,
    ranges: RangeTable,
    /// eStargz: the regular file whose chunks may follow.
    open: Option<usize>,
    /// eStargz: ranges that end where the next gzip member starts.
    pending: Vec<usize>,
    error: Option<String>,
}

impl<'a> Builder<'a> {
    fn new(layout: &'a Layout) -> Self {
        Builder {
            layout,
            idx: LayerIndex {
                stored_bytes: layout.stored,
                ..Default::default()
            },
            ranges: RangeTable::default(),
            open: None,
            pending: Vec::new(),
            error: None,
        }
    }

    fn entry(&mut self, e: TocEntry) -> Result<(), String> {
        let gzip = self.layout.codec == Codec::Gzip;
        // A member starts here: the data before it ends here. (An entry at an inner offset
        // shares the member before it.)
        if gzip && e.offset != 0 && e.inner_offset == 0 {
            for i in self.pending.drain(..) {
                self.ranges.ranges[i].end = e.offset;
            }
        }
        if e.kind == "chunk" {
            // A chunk continues the file before it: its range runs on to the chunk's end.
            if let (true, Some(i)) = (gzip, self.open) {
                self.pending.push(i);
            }
            return Ok(());
        }
        self.open = None;
        let path =
            layer::normalise_entry(&e.name).map_err(|m| format!("TOC entry {:?}: {m}", e.name))?;
        let Some(path) = path else { return Ok(()) };
        if let Some(whiteout) = layer::whiteout(&path) {
            if let Some(change) = whiteout {
                self.idx.changes.push(change);
            }
            return Ok(());
        }
        let kind = match e.kind.as_str() {
            "dir" => Kind::Dir,
            "symlink" => Kind::Symlink(e.link_name),
            "hardlink" => match layer::normalise_entry(&e.link_name) {
                Ok(t) => Kind::Hardlink(t.unwrap_or_else(|| "/".into())),
                Err(m) => return Err(format!("hard link {path} → {:?}: {m}", e.link_name)),
            },
            "reg" => {
                let range = self.range(&path, &e)?;
                let i = self.ranges.insert(&path, range);
                if gzip {
                    self.open = Some(i);
                    self.pending.push(i);
                }
                Kind::File {
                    size: e.size,
                    content: None,
                    whole: e.size == 0,
                }
            }
            "char" | "block" | "fifo" => Kind::Special,
            _ => return Ok(()),
        };
        self.idx.changes.push(Change::Add(Entry {
            path,
            kind,
            mode: e.mode & 0o7777,
        }));
        Ok(())
    }

    fn range(&self, path: &str, e: &TocEntry) -> Result<FileRange, String> {
        let digest = match &e.digest {
            Some(d) => Some(
                parse_digest(d)
                    .ok_or_else(|| format!("TOC entry {path}: {d:?} is not a SHA-256"))?,
            ),
            None => None,
        };
        let inner = u32::try_from(e.inner_offset).map_err(|_| {
            format!(
                "TOC entry {path}: inner offset {} is past any gzip member",
                e.inner_offset
            )
        })?;
        Ok(FileRange {
            key: [0; 2],
            offset: e.offset,
            // eStargz: where the next member starts, once it is seen.
            end: e.end_offset,
            size: e.size,
            inner,
            digest,
            codec: self.layout.codec,
        })
    }

    fn finish(mut self) -> Result<(LayerIndex, RangeTable), String> {
        for i in self.pending.drain(..) {
            self.ranges.ranges[i].end = self.layout.data_end;
        }
        let data_end = self.layout.data_end;
        if let Some(r) = self
            .ranges
            .ranges
            .iter()
            .find(|r| r.size > 0 && (r.end <= r.offset || r.end > data_end))
        {
            return Err(format!(
                "its table of contents gives a file of {} bytes the blob's bytes {}..{}, not a range of its file data (which ends at {data_end})",
                r.size, r.offset, r.end
            ));
        }
        self.idx.changes.shrink();
        // Kept for as long as the image is looked at: give back what the list grew into.
        self.ranges.ranges.shrink_to_fit();
        self.idx.tar_bytes = self.ranges.ranges.iter().map(|r| r.size).sum();
        Ok((self.idx, self.ranges))
    }
}

/// `sha256:` and 64 hex digits, as bytes.
fn parse_digest(d: &str) -> Option<[u8; 32]> {
    let hex = d.strip_prefix("sha256:")?;
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Compressed bytes fetched for a file's head before its whole range.
const HEAD_FETCH: u64 = 64 << 10;
/// A file up to this size is read whole when only its head is asked for, so its bytes are
/// checked against the TOC's digest; the head of a larger one (an ELF binary's first bytes)
/// is not checked.
const CHECKED_WHOLE: u64 = 1 << 20;

/// Up to `want` bytes of a file, inflated from `len` of its stored bytes (a truncated range
/// gives what it holds, then an error). `None` when the store answers with the whole blob
/// instead of the range (a registry that served the TOC's range, then stopped).
fn inflate(
    blobs: &dyn Blobs,
    locator: &str,
    range: &FileRange,
    len: u64,
    want: u64,
) -> Result<Option<Vec<u8>>, String> {
    let Some(part) = blobs
        .open_range(locator, range.offset, len)
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let mut decoder: Box<dyn Read> = match range.codec {
        Codec::Zstd => Box::new(zstd::stream::read::Decoder::new(part).map_err(|e| e.to_string())?),
        // A file split in chunks spans members.
        Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(part)),
    };
    let skipped = std::io::copy(
        &mut decoder.by_ref().take(u64::from(range.inner)),
        &mut std::io::sink(),
    )
    .map_err(|e| e.to_string())?;
    if skipped < u64::from(range.inner) {
        return Err(format!(
            "its member ends {skipped} bytes in, before the file starts at {}",
            range.inner
        ));
    }
    let mut bytes = Vec::new();
    let read = decoder.by_ref().take(want).read_to_end(&mut bytes);
    match read {
        Ok(_) => Ok(Some(bytes)),
        Err(_) if bytes.len() as u64 >= want => Ok(Some(bytes)),
        Err(e) => Err(e.to_string()),
    }
}

/// Up to `cap` bytes of a file read by its range, checked against the TOC's digest when the
/// whole file was read. `None` when the store no longer serves ranges: the caller reads the
/// layer whole.
pub fn read_file(
    blobs: &dyn Blobs,
    locator: &str,
    path: &str,
    range: &FileRange,
    cap: u64,
) -> Result<Option<Arc<[u8]>>, String> {
    if range.size == 0 {
        return Ok(Some(Arc::from(&[][..])));
    }
    // The TOC's digest covers the whole file: a small one is read whole so that even its
    // head is checked, then cut.
    if cap < range.size && range.size <= CHECKED_WHOLE && range.digest.is_some() {
        return Ok(read_file(blobs, locator, path, range, range.size)?
            .map(|b| Arc::from(&b[..(cap as usize).min(b.len())])));
    }
    // A head (is it an ELF binary?) is in the first compressed block: fetch a little first.
    let mut head = None;
    if cap <= HEAD_FETCH {
        let len = (range.end - range.offset).min(HEAD_FETCH);
        match inflate(blobs, locator, range, len, cap.min(range.size)) {
            Ok(None) => return Ok(None),
            Ok(Some(bytes)) if bytes.len() as u64 == cap.min(range.size) => head = Some(bytes),
            _ => {}
        }
    }
    let bytes = match head {
        Some(bytes) => bytes,
        None => {
            let len = range.end - range.offset;
            let Some(bytes) = inflate(blobs, locator, range, len, cap.min(range.size))
                .map_err(|e| format!("{path}: its compressed bytes do not inflate: {e}"))?
            else {
                return Ok(None);
            };
            bytes
        }
    };
    if bytes.len() as u64 == range.size {
        if let Some(want) = &range.digest {
            let got = super::sha256_hex(&bytes);
            if got != super::hex(want) {
                return Err(format!(
                    "{path}: its bytes have digest sha256:{got}, the table of contents says sha256:{}",
                    super::hex(want)
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
    Ok(Some(bytes.into()))
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
                TocRef::from_descriptor(&a, Some(1 << 20)),
                Some(TocRef::ZstdChunked {
                    offset: 1736064,
                    length: 4157,
                    uncompressed: 16513,
                    checksum: "sha256:41".into()
                })
            );
        }
        // Another TOC type, garbage, or no checksum to pin it: not read by TOC.
        for (position, checksum) in [("1:2:3:2", true), ("1:2:x:1", true), ("1:2:3:1", false)] {
            let mut a: HashMap<String, String> = [(
                format!("{}manifest-position", PREFIXES[0]),
                position.to_string(),
            )]
            .into_iter()
            .collect();
            if checksum {
                a.insert(
                    format!("{}manifest-checksum", PREFIXES[0]),
                    "sha256:41".into(),
                );
            }
            assert_eq!(TocRef::from_descriptor(&a, Some(1 << 20)), None, "{a:?}");
        }
        // eStargz: the TOC's digest, and the blob's size to find its footer by.
        let a: HashMap<String, String> = [(ESTARGZ_TOC_DIGEST.to_string(), "sha256:42".into())]
            .into_iter()
            .collect();
        assert_eq!(
            TocRef::from_descriptor(&a, Some(99)),
            Some(TocRef::Estargz {
                toc_digest: "sha256:42".into(),
                blob_size: 99
            })
        );
        assert_eq!(TocRef::from_descriptor(&a, None), None);
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

    /// A store that serves no ranges (a registry answering 200 to a range request).
    struct Whole(Vec<u8>);

    impl Blobs for Whole {
        fn open(&self, _: &str) -> Result<Box<dyn Read + Send + '_>, crate::image::ImageError> {
            Ok(Box::new(&self.0[..]))
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
        let at = TocRef::ZstdChunked {
            offset: file.len() as u64,
            length: toc.len() as u64,
            uncompressed: json.len() as u64,
            checksum: format!("sha256:{}", crate::image::sha256_hex(&toc)),
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
        let r = ranges.get("/entrypoint.sh").unwrap();
        let bytes = read_file(&mem, "x", "/entrypoint.sh", r, 1 << 20)
            .unwrap()
            .unwrap();
        assert_eq!(&bytes[..], b"#!/bin/sh\nexec app\n");
        // The head only.
        let head = read_file(&mem, "x", "/entrypoint.sh", r, 4)
            .unwrap()
            .unwrap();
        assert_eq!(&head[..], b"#!/b");
        // A store that answers with the whole blob now: none, and the caller reads it whole.
        let whole = Whole(mem.0.clone());
        assert!(read_file(&whole, "x", "/entrypoint.sh", r, 4)
            .unwrap()
            .is_none());
        assert!(read_file(&whole, "x", "/entrypoint.sh", r, 1 << 20)
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_hostile_toc_is_refused_with_the_reason() {
        let entries = serde_json::json!([{"type": "reg", "name": "app"}]);
        // The manifest's checksum does not match the TOC.
        let (mem, mut at) = blob(b"x", entries.clone());
        if let TocRef::ZstdChunked { checksum, .. } = &mut at {
            *checksum = format!("sha256:{}", "0".repeat(64));
        }
        let e = index(&mem, "x", &at).unwrap_err();
        assert!(e.contains("digest"), "{e}");
        // A name that climbs out of the root.
        let (mem, at) = blob(
            b"x",
            serde_json::json!([{"type": "reg", "name": "../../etc/x"}]),
        );
        let e = index(&mem, "x", &at).unwrap_err();
        assert!(e.contains("climbs out"), "{e}");
        // A file whose range runs backwards, or into the TOC; a digest that is not one.
        for (fields, why) in [
            (
                serde_json::json!({"offset": 5, "endOffset": 2, "size": 1}),
                "not a range",
            ),
            (
                serde_json::json!({"offset": 0, "endOffset": 1 << 30, "size": 1}),
                "not a range",
            ),
            (
                serde_json::json!({"offset": 0, "endOffset": 1, "size": 1, "digest": "md5:00"}),
                "not a SHA-256",
            ),
        ] {
            let mut entry = serde_json::json!({"type": "reg", "name": "app"});
            for (k, v) in fields.as_object().unwrap() {
                entry[k] = v.clone();
            }
            let (mem, at) = blob(b"x", serde_json::json!([entry]));
            let e = index(&mem, "x", &at).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        // A TOC bigger than initlint reads, by the manifest's word: not fetched at all.
        let (mem, mut at) = blob(b"x", entries.clone());
        if let TocRef::ZstdChunked { uncompressed, .. } = &mut at {
            *uncompressed = u64::MAX;
        }
        assert!(index(&mem, "x", &at).unwrap_err().contains("more than"));
        // A file whose bytes are not what the TOC says.
        let (mem, at) = blob(b"the real bytes", entries);
        let (_, ranges) = index(&mem, "x", &at).unwrap().unwrap();
        let mut r = ranges.get("/app").unwrap().clone();
        r.digest = Some([1; 32]);
        let e = read_file(&mem, "x", "/app", &r, 1 << 20).unwrap_err();
        assert!(e.contains("digest"), "{e}");
        // Its head alone too: a small file is read whole to be checked.
        let e = read_file(&mem, "x", "/app", &r, 4).unwrap_err();
        assert!(e.contains("digest"), "{e}");
        // A range that is not one.
        let mut bad = ranges.get("/app").unwrap().clone();
        bad.offset = 1 << 40;
        bad.end = (1 << 40) + 10;
        assert!(read_file(&mem, "x", "/app", &bad, 1 << 20).is_err());
    }

    /// An eStargz blob as stargz-snapshotter writes it (and testdata/images/estargz.py): a
    /// gzip member per file's data (and per `chunk` bytes of it), headers in the members
    /// between, the TOC in a tar in a member of its own, then the 51-byte footer.
    fn estargz(files: &[(&str, &[u8])], chunk: usize) -> (Mem, TocRef) {
        use flate2::{write::GzEncoder, Compression};
        use std::io::Write;
        fn header(name: &str, size: usize) -> Vec<u8> {
            let mut h = tar::Header::new_gnu();
            h.set_path(name).unwrap();
            h.set_size(size as u64);
            h.set_mode(0o755);
            h.set_cksum();
            h.as_bytes().to_vec()
        }
        let mut blob: Vec<u8> = Vec::new();
        let mut member = GzEncoder::new(Vec::new(), Compression::default());
        let mut entries = Vec::new();
        for (name, body) in files {
            member.write_all(&header(name, body.len())).unwrap();
            let mut ent = serde_json::json!({"type": "reg", "name": name, "size": body.len(),
                "mode": 493, "digest": format!("sha256:{}", crate::image::sha256_hex(body))});
            for (i, part) in body.chunks(chunk).enumerate() {
                blob.extend(member.finish().unwrap());
                member = GzEncoder::new(Vec::new(), Compression::default());
                if i > 0 {
                    ent = serde_json::json!({"type": "chunk", "name": name,
                        "chunkOffset": i * chunk});
                }
                ent["offset"] = blob.len().into();
                member.write_all(part).unwrap();
                entries.push(ent.clone());
            }
            member
                .write_all(&vec![0; (512 - body.len() % 512) % 512])
                .unwrap();
        }
        blob.extend(member.finish().unwrap());
        let toc_at = blob.len();
        let json =
            serde_json::to_vec(&serde_json::json!({"version": 1, "entries": entries})).unwrap();
        let mut toc = GzEncoder::new(Vec::new(), Compression::default());
        toc.write_all(&header(ESTARGZ_TOC_NAME, json.len()))
            .unwrap();
        toc.write_all(&json).unwrap();
        toc.write_all(&vec![0; (512 - json.len() % 512) % 512 + 1024])
            .unwrap();
        blob.extend(toc.finish().unwrap());
        let mut footer = vec![
            0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 255, 26, 0, b'S', b'G', 22, 0,
        ];
        footer.extend(format!("{toc_at:016x}STARGZ").bytes());
        footer.extend([1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
        blob.extend(footer);
        let at = TocRef::Estargz {
            toc_digest: format!("sha256:{}", crate::image::sha256_hex(&json)),
            blob_size: blob.len() as u64,
        };
        (Mem(blob), at)
    }

    #[test]
    fn an_estargz_layer_is_indexed_from_its_footer_and_a_chunked_file_read_whole() {
        let big: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let (mem, at) = estargz(
            &[("app/run.sh", b"#!/bin/sh\nexec app\n"), ("app/big", &big)],
            64 << 10,
        );
        let (idx, ranges) = index(&mem, "x", &at).unwrap().unwrap();
        assert_eq!(idx.changes.len(), 2);
        // The whole layer is not read: the footer and the TOC are.
        assert!(idx.stored_bytes < 2048, "{}", idx.stored_bytes);
        let script = read_file(
            &mem,
            "x",
            "/app/run.sh",
            ranges.get("/app/run.sh").unwrap(),
            1 << 20,
        )
        .unwrap()
        .unwrap();
        assert_eq!(&script[..], b"#!/bin/sh\nexec app\n");
        // Seven chunks, read across their members and checked against the file's digest.
        let r = ranges.get("/app/big").unwrap();
        let all = read_file(&mem, "x", "/app/big", r, 8 << 20)
            .unwrap()
            .unwrap();
        assert_eq!(&all[..], &big[..]);
        let head = read_file(&mem, "x", "/app/big", r, 64).unwrap().unwrap();
        assert_eq!(&head[..], &big[..64]);
    }

    #[test]
    fn a_hostile_estargz_layer_is_refused_with_the_reason() {
        let files: &[(&str, &[u8])] = &[("app", b"x")];
        // The manifest pins another TOC.
        let (mem, at) = estargz(files, 1024);
        let TocRef::Estargz { blob_size, .. } = at else {
            unreachable!()
        };
        let other = TocRef::Estargz {
            toc_digest: format!("sha256:{}", "0".repeat(64)),
            blob_size,
        };
        assert!(index(&mem, "x", &other).unwrap_err().contains("digest"));
        // The descriptor's size is not the blob's: the footer is not where it says.
        let short = TocRef::Estargz {
            toc_digest: String::new(),
            blob_size: blob_size - 1,
        };
        assert!(index(&mem, "x", &short).unwrap_err().contains("footer"));
        let tiny = TocRef::Estargz {
            toc_digest: String::new(),
            blob_size: 10,
        };
        assert!(index(&mem, "x", &tiny).unwrap_err().contains("too short"));
        // A footer that points past the blob.
        let (Mem(mut bytes), at) = estargz(files, 1024);
        let n = bytes.len();
        bytes[n - 51 + 16..n - 51 + 32].copy_from_slice(b"0000000fffffffff");
        let e = index(&Mem(bytes), "x", &at).unwrap_err();
        assert!(e.contains("outside"), "{e}");
        // A file whose range reaches into the TOC.
        let (Mem(bytes), at) = estargz(files, 1024);
        let (_, ranges) = index(&Mem(bytes.clone()), "x", &at).unwrap().unwrap();
        let mut r = ranges.get("/app").unwrap().clone();
        r.inner = 1 << 20;
        let e = read_file(&Mem(bytes), "x", "/app", &r, 1 << 20).unwrap_err();
        assert!(e.contains("before the file starts"), "{e}");
    }

    #[test]
    fn ranges_are_found_by_path_alone() {
        let mut t = RangeTable::default();
        let range = |offset| FileRange {
            key: [0; 2],
            offset,
            end: offset + 1,
            size: 1,
            inner: 0,
            digest: None,
            codec: Codec::Zstd,
        };
        for i in 0..10_000u64 {
            t.insert(&format!("/node_modules/p{i}/index.js"), range(i));
        }
        assert_eq!(t.get("/node_modules/p7/index.js").unwrap().offset, 7);
        assert!(t.get("/node_modules/p10000/index.js").is_none());
        // A later entry for the same path replaces the first, as in a tar.
        t.insert("/node_modules/p7/index.js", range(99));
        assert_eq!(t.get("/node_modules/p7/index.js").unwrap().offset, 99);
        assert_eq!(t.ranges.len(), 10_000);
        assert!(parse_digest("sha256:00").is_none());
        assert!(parse_digest(&format!("sha256:{}", "é".repeat(32))).is_none());
    }
}
