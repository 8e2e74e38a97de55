//! A `docker save` archive read as one stream, the way a daemon exports it (GET
//! /images/NAME/get) or `docker save app | gzip` stores it: layers are indexed as they pass,
//! small members (the config, `manifest.json`) are kept, and `manifest.json`, which comes
//! last, puts the layers in order. Nothing is written to disk; reading a blob again means
//! opening the stream again.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;

use super::config::ImageConfig;
use super::layer::{self, Expect, LayerIndex, Limits, Want};
use super::registry::ChannelReader;
use super::store::{self, Blobs, MAX_SMALL};
use super::{ImageError, Manifested};

/// Something that can hand out the whole `docker save` stream, again if asked.
pub trait Source: Send + Sync {
    fn open(&self) -> Result<Box<dyn Read + Send + '_>, ImageError>;
}

/// A compressed `docker save` archive on disk (gzip or zstd, by magic bytes).
pub struct CompressedFile(pub std::path::PathBuf);

impl Source for CompressedFile {
    fn open(&self) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let file = std::fs::File::open(&self.0)
            .map_err(|e| ImageError::Part(format!("cannot open: {e}")))?;
        let mut buffered = io::BufReader::with_capacity(256 << 10, file);
        let gzip = io::BufRead::fill_buf(&mut buffered)
            .map_err(|e| ImageError::Part(format!("cannot read: {e}")))?
            .starts_with(&[0x1f, 0x8b]);
        let stream: Box<dyn Read + Send> = if gzip {
            Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
        } else {
            Box::new(
                zstd::stream::read::Decoder::with_buffer(buffered)
                    .map_err(|e| ImageError::Part(e.to_string()))?,
            )
        };
        Ok(stream)
    }
}

/// What one pass over the stream found.
#[derive(Default)]
pub struct Streamed {
    /// Members that are not layers, up to [`MAX_SMALL`] bytes each: manifest.json, the
    /// config.
    small: HashMap<String, Vec<u8>>,
    /// Layer members, indexed.
    layers: HashMap<String, LayerIndex>,
    /// Members that are symlinks to other members (`docker save` deduplicates layers so).
    links: HashMap<String, String>,
}

/// Read the stream once. `want` says which file contents to keep; without it, the config is
/// looked for among the members before the first layer, and the shells and scripts are kept
/// until it is found.
pub fn read(
    stream: impl Read,
    want: Option<Want>,
    limits: &Limits,
    shown: &str,
) -> Result<Streamed, ImageError> {
    let err = |m: String| ImageError::Other(format!("{shown}: {m}"));
    let mut out = Streamed::default();
    let mut want = want;
    let mut archive = tar::Archive::new(stream);
    let entries = archive
        .entries()
        .map_err(|e| err(format!("not a tar archive: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| err(format!("not a valid `docker save` stream: {e}")))?;
        let name = member_name(&entry.path_bytes());
        match entry.header().entry_type() {
            tar::EntryType::Symlink | tar::EntryType::Link => {
                if let Some(target) = entry.link_name_bytes() {
                    let target = member_name(&target);
                    out.links
                        .insert(name.clone(), resolve_relative(&name, &target));
                }
                continue;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            _ => continue,
        }
        let size = entry.size();
        let mut head = Vec::with_capacity(512);
        (&mut entry)
            .take(512)
            .read_to_end(&mut head)
            .map_err(|e| err(format!("{name}: {e}")))?;
        let body = head.as_slice().chain(&mut entry);
        if is_layer(&head) {
            let w = want.clone().unwrap_or_else(default_want);
            let expect = Expect {
                record_tar: true,
                ..Expect::default()
            };
            let idx = layer::index(body, &name, &expect, &w, limits.clone())?;
            out.layers.insert(name, idx);
        } else if size <= MAX_SMALL {
            let mut bytes = Vec::new();
            body.take(MAX_SMALL)
                .read_to_end(&mut bytes)
                .map_err(|e| err(format!("{name}: {e}")))?;
            if want.is_none() && name.ends_with(".json") && name != "manifest.json" {
                if let Ok(c) = ImageConfig::parse(&bytes, &name) {
                    if c.rootfs.is_some() {
                        want = Some(super::want_for(&c));
                    }
                }
            }
            out.small.insert(name, bytes);
        }
    }
    Ok(out)
}

/// The shells and scripts, until the config says which programs matter.
fn default_want() -> Want {
    super::want_for(&ImageConfig::default())
}

/// A layer member: compressed, or a tar (its `ustar` magic, or an empty archive's zeros).
fn is_layer(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
        || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
        || head.get(257..262) == Some(b"ustar")
        || (head.len() == 512 && head.iter().all(|b| *b == 0))
}

fn member_name(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .trim_start_matches("./")
        .to_string()
}

/// `../abc/layer.tar` seen from `def/layer.tar` is `abc/layer.tar`.
fn resolve_relative(from: &str, target: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for p in target.split('/') {
        match p {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.join("/")
}

impl Streamed {
    fn resolve<'a>(&'a self, name: &'a str) -> &'a str {
        store::follow_links(&self.links, name)
    }

    /// Put the layers in manifest.json's order, checked against the config's diff_ids.
    pub fn manifested(
        &self,
        tag: Option<&str>,
        shown: &str,
    ) -> Result<(Manifested, Vec<LayerIndex>), ImageError> {
        let m = store::docker_archive(self, tag, shown)?;
        let mut indexes = Vec::with_capacity(m.layers.len());
        for (i, l) in m.layers.iter().enumerate() {
            let name = super::layer_name(&m.layers, i);
            let idx =
                self.layers
                    .get(self.resolve(&l.locator))
                    .ok_or_else(|| ImageError::Layer {
                        layer: name.clone(),
                        message: format!(
                            "manifest.json names {} but the stream has no such layer",
                            l.locator
                        ),
                    })?;
            if let (Some(want), Some(got)) = (&l.expect.tar, &idx.tar_digest) {
                if want != got {
                    return Err(ImageError::Layer {
                        layer: name,
                        message: format!(
                            "digest mismatch: the uncompressed layer should be {want} but its bytes hash to {got}; the image is corrupt or was tampered with"
                        ),
                    });
                }
            }
            indexes.push(idx.clone());
        }
        Ok((m, indexes))
    }
}

/// Only the small members are blobs here (for reading manifest.json and the config).
impl Blobs for Streamed {
    fn open(&self, locator: &str) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let name = self.resolve(locator);
        self.small
            .get(name)
            .map(|b| Box::new(b.as_slice()) as Box<dyn Read + Send>)
            .ok_or_else(|| ImageError::Part(format!("{locator}: not in the stream")))
    }
}

/// Blobs read again from a reopened stream: each read walks the stream to the member and
/// pipes its bytes through, on a thread of its own.
pub struct Reopened<S: Source + 'static> {
    pub source: Arc<S>,
    /// Member → the member it links to.
    links: HashMap<String, String>,
}

impl<S: Source + 'static> Reopened<S> {
    pub fn new(source: Arc<S>, streamed: &Streamed) -> Self {
        Reopened {
            source,
            links: streamed.links.clone(),
        }
    }
}

impl<S: Source + 'static> Blobs for Reopened<S> {
    fn open(&self, locator: &str) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let wanted = store::follow_links(&self.links, locator).to_string();
        let (tx, rx) = sync_channel::<io::Result<bytes::Bytes>>(16);
        let source = Arc::clone(&self.source);
        let worker = std::thread::spawn(move || {
            let send_err = |m: String| {
                let _ = tx.send(Err(io::Error::other(m)));
            };
            let stream = match source.open() {
                Ok(s) => s,
                Err(e) => return send_err(e.to_string()),
            };
            let mut archive = tar::Archive::new(stream);
            let Ok(entries) = archive.entries() else {
                return send_err("not a tar archive".into());
            };
            for entry in entries {
                let mut entry = match entry {
                    Ok(e) => e,
                    Err(e) => return send_err(e.to_string()),
                };
                if member_name(&entry.path_bytes()) != wanted {
                    continue;
                }
                let mut buf = vec![0u8; 256 << 10];
                loop {
                    match entry.read(&mut buf) {
                        Ok(0) => return,
                        Ok(n) => {
                            if tx
                                .send(Ok(bytes::Bytes::copy_from_slice(&buf[..n])))
                                .is_err()
                            {
                                return;
                            }
                        }
                        Err(e) => return send_err(e.to_string()),
                    }
                }
            }
            send_err(format!("{wanted}: not in the stream any more"));
        });
        Ok(Box::new(Piped {
            reader: Some(ChannelReader::new(rx)),
            worker: Some(worker),
        }))
    }
}

/// The reading end of a member piped from another thread. Dropping it stops the thread
/// (its next send fails) and waits for it, so no reader outlives the read.
pub struct Piped {
    reader: Option<ChannelReader>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Piped {
    fn drop(&mut self) {
        self.reader = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

impl Read for Piped {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.reader {
            Some(r) => r.read(buf),
            None => Ok(0),
        }
    }
}

/// Read a whole image from `source`: one pass, then manifest.json's order.
pub fn load<S: Source + 'static>(
    source: Arc<S>,
    want: Option<Want>,
    tag: Option<&str>,
    kind: &'static str,
    shown: &str,
    limits: Limits,
) -> Result<super::Image, ImageError> {
    let streamed = read(source.open()?, want, &limits, shown)?;
    let (m, indexes) = streamed.manifested(tag, shown)?;
    let blobs: Arc<dyn Blobs> = Arc::new(Reopened::new(source, &streamed));
    super::assemble(shown, kind, m, blobs, indexes, limits)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dedup_links_resolve_between_members() {
        assert_eq!(
            resolve_relative("def/layer.tar", "../abc/layer.tar"),
            "abc/layer.tar"
        );
        assert!(is_layer(&[0u8; 512]));
        assert!(!is_layer(b"{\"Config\": 1}"));
    }
}
