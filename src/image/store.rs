//! Where image blobs are stored on disk: `docker save` tars, OCI layouts (a directory or a
//! tar of one). Each gives the config and the layer descriptors; layers are opened as
//! streams, never unpacked.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::config::ImageConfig;
use super::layer::Expect;
use super::{ImageError, LayerRef, Manifested};

/// Manifests, indexes and configs are small; a bigger one is hostile.
pub const MAX_SMALL: u64 = 16 << 20;

/// Something layer blobs can be streamed from, by locator (a digest or an archive member).
pub trait Blobs: Send + Sync {
    fn open(&self, locator: &str) -> Result<Box<dyn Read + Send + '_>, ImageError>;

    /// Bytes `offset..offset + len` of a blob, when the store can read a part without the
    /// rest; `None` when it cannot (the caller reads the whole blob).
    fn open_range(
        &self,
        _locator: &str,
        _offset: u64,
        _len: u64,
    ) -> Result<Option<Box<dyn Read + Send + '_>>, ImageError> {
        Ok(None)
    }

    /// The stored size of a blob, when the store knows it without reading it.
    fn size(&self, _locator: &str) -> Option<u64> {
        None
    }

    fn read_small(&self, locator: &str) -> Result<Vec<u8>, ImageError> {
        let mut buf = Vec::new();
        self.open(locator)?
            .take(MAX_SMALL + 1)
            .read_to_end(&mut buf)
            .map_err(|e| ImageError::Part(format!("{locator}: cannot read: {e}")))?;
        if buf.len() as u64 > MAX_SMALL {
            return Err(ImageError::Oversized(format!(
                "{locator}: larger than {MAX_SMALL} bytes; not a manifest or config"
            )));
        }
        Ok(buf)
    }
}

/// `sha256:<64 hex>`, checked before it is turned into a path (a digest of
/// `sha256:../../etc/passwd` must not open that file).
pub fn digest_path(digest: &str) -> Result<String, ImageError> {
    let (alg, hex) = digest
        .split_once(':')
        .ok_or_else(|| ImageError::Part(format!("{digest:?} is not a digest")))?;
    let ok = alg == "sha256" && hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    // The OCI spec allows lowercase hex only; an uppercase one would otherwise look like a
    // blob whose bytes were tampered with.
    if ok && hex.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(ImageError::Part(format!(
            "{digest:?} is not a valid digest: its hex must be lowercase (OCI image spec)"
        )));
    }
    if !ok {
        return Err(ImageError::Part(format!(
            "{digest:?} is not a sha256 digest; refusing to use it as a blob name"
        )));
    }
    Ok(format!("blobs/{alg}/{hex}"))
}

/// Whether the file starts with gzip or zstd magic (`docker save app | gzip`).
pub fn is_compressed(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut magic))
        .unwrap_or(0);
    magic[..n.min(2)] == [0x1f, 0x8b] || magic[..n] == [0x28, 0xb5, 0x2f, 0xfd]
}

/// The member `name` stands for after following member-to-member links (old `docker save`
/// deduplicates layers so), at most 8 of them.
pub fn follow_links<'a>(links: &'a HashMap<String, String>, name: &'a str) -> &'a str {
    let mut name = name.trim_start_matches("./");
    for _ in 0..8 {
        match links.get(name) {
            Some(t) => name = t,
            None => break,
        }
    }
    name
}

/// Members of a tar file (a `docker save` archive or an `oci-archive`), read by seeking.
pub struct ArchiveBlobs {
    path: PathBuf,
    members: HashMap<String, (u64, u64)>,
    /// Members that are symlinks to other members (old `docker save` deduplicates layers so).
    links: HashMap<String, String>,
}

impl ArchiveBlobs {
    pub fn open_archive(path: &Path) -> Result<Self, ImageError> {
        let mut file =
            File::open(path).map_err(|e| ImageError::Part(format!("cannot open: {e}")))?;
        let mut magic = [0u8; 4];
        let n = file.read(&mut magic).unwrap_or(0);
        if magic[..n.min(2)] == [0x1f, 0x8b] || magic[..n] == [0x28, 0xb5, 0x2f, 0xfd] {
            return Err(ImageError::Part(
                "the archive is compressed; decompress it first (gunzip / zstd -d): its members must be seekable".into(),
            ));
        }
        file.seek(SeekFrom::Start(0))
            .map_err(|e| ImageError::Part(e.to_string()))?;
        let mut archive = tar::Archive::new(file);
        let mut members = HashMap::new();
        let mut links = HashMap::new();
        let entries = archive
            .entries()
            .map_err(|e| ImageError::Part(format!("not a tar archive: {e}")))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| ImageError::Part(format!("not a valid tar archive: {e}")))?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let name = name.trim_start_matches("./").to_string();
            match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    members.insert(name, (entry.raw_file_position(), entry.size()));
                }
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    if let Some(target) = entry.link_name_bytes() {
                        let target = String::from_utf8_lossy(&target).into_owned();
                        let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                        let joined = if entry.header().entry_type() == tar::EntryType::Link {
                            target
                        } else {
                            format!("{dir}/{target}")
                        };
                        links.insert(
                            name,
                            crate::source::join_path("/", &joined)[1..].to_string(),
                        );
                    }
                }
                _ => {}
            }
        }
        Ok(ArchiveBlobs {
            path: path.to_path_buf(),
            members,
            links,
        })
    }

    fn member(&self, name: &str) -> Option<(u64, u64)> {
        let name = name.trim_start_matches("./");
        self.members
            .get(name)
            .or_else(|| self.members.get(follow_links(&self.links, name)))
            .copied()
    }

    pub fn has(&self, name: &str) -> bool {
        self.member(name).is_some()
    }
}

impl Blobs for ArchiveBlobs {
    fn size(&self, locator: &str) -> Option<u64> {
        self.member(locator).map(|m| m.1)
    }

    fn open(&self, locator: &str) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        self.member_range(locator, 0, None)
    }

    fn open_range(
        &self,
        locator: &str,
        offset: u64,
        len: u64,
    ) -> Result<Option<Box<dyn Read + Send + '_>>, ImageError> {
        self.member_range(locator, offset, Some(len)).map(Some)
    }
}

impl ArchiveBlobs {
    /// A member's bytes from `offset`, `len` of them (else to its end), never past its end.
    fn member_range(
        &self,
        locator: &str,
        offset: u64,
        len: Option<u64>,
    ) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let shown = self.path.display();
        let (start, size) = self.member(locator).ok_or_else(|| {
            ImageError::Other(format!(
                "{shown}: the archive has no member {locator:?} (named by its manifest)"
            ))
        })?;
        let rest = size.saturating_sub(offset);
        let mut file =
            File::open(&self.path).map_err(|e| ImageError::Other(format!("{shown}: {e}")))?;
        file.seek(SeekFrom::Start(start + offset.min(size)))
            .map_err(|e| ImageError::Other(format!("{shown}: {e}")))?;
        Ok(Box::new(file.take(len.map_or(rest, |l| l.min(rest)))))
    }
}

/// An OCI image layout directory.
pub struct LayoutBlobs {
    pub dir: PathBuf,
}

impl Blobs for LayoutBlobs {
    fn open(&self, locator: &str) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        Ok(Box::new(self.file(locator)?))
    }

    fn open_range(
        &self,
        locator: &str,
        offset: u64,
        len: u64,
    ) -> Result<Option<Box<dyn Read + Send + '_>>, ImageError> {
        let mut file = self.file(locator)?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| ImageError::Part(format!("blob {locator}: {e}")))?;
        Ok(Some(Box::new(file.take(len))))
    }
}

impl LayoutBlobs {
    fn file(&self, locator: &str) -> Result<File, ImageError> {
        let path = self.dir.join(locator);
        // A blob is a regular file inside the layout: a symlink out of it would have a host
        // file's bytes read (and quoted in a tar error), a FIFO would block.
        let inside = match (path.canonicalize(), self.dir.canonicalize()) {
            (Ok(p), Ok(d)) => p.starts_with(d) && p.is_file(),
            _ => true,
        };
        if !inside {
            return Err(ImageError::Part(format!(
                "blob {locator} is not a regular file inside the layout; initlint does not read it"
            )));
        }
        File::open(&path).map_err(|e| ImageError::Part(format!("cannot open blob {locator}: {e}")))
    }
}

/// An OCI layout stored in an archive: blobs are members `blobs/sha256/…`.
impl ArchiveBlobs {
    pub fn blob_exists(&self, digest: &str) -> bool {
        digest_path(digest).is_ok_and(|p| self.has(&p))
    }
}

#[derive(Debug, Deserialize)]
struct DockerManifestItem {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

/// A `docker save` / `skopeo copy docker-archive:` tar: `manifest.json` names the config and
/// the layer members. `want` picks one of several images by `RepoTags`.
pub fn docker_archive(
    blobs: &dyn Blobs,
    want: Option<&str>,
    shown: &str,
) -> Result<Manifested, ImageError> {
    let raw = blobs.read_small("manifest.json").map_err(|_| {
        ImageError::Other(format!(
            "{shown}: no manifest.json: not a `docker save` archive (for an OCI layout in a tar use oci-archive:)"
        ))
    })?;
    let items: Vec<DockerManifestItem> = serde_json::from_slice(&raw)
        .map_err(|e| ImageError::Other(format!("{shown}: manifest.json is not valid: {e}")))?;
    let item = match (want, items.len()) {
        (_, 0) => {
            return Err(ImageError::Other(format!(
                "{shown}: manifest.json lists no image"
            )))
        }
        (None, 1) => &items[0],
        (Some(tag), _) => items
            .iter()
            .find(|i| i.repo_tags.iter().flatten().any(|t| t == tag))
            .ok_or_else(|| {
                ImageError::Other(format!(
                    "{shown}: no image tagged {tag:?}; tags: {}",
                    tags(&items)
                ))
            })?,
        (None, _) => {
            return Err(ImageError::Other(format!(
            "{shown}: the archive holds {} images; name one: docker-archive:{shown}:TAG (tags: {})",
            items.len(),
            tags(&items)
        )))
        }
    };
    let config_bytes = blobs.read_small(&item.config)?;
    // Docker names the config after its digest: check it when it does.
    let stem = item
        .config
        .trim_start_matches("blobs/sha256/")
        .trim_end_matches(".json");
    if stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit()) {
        let actual = super::sha256_hex(&config_bytes);
        if actual != stem {
            return Err(ImageError::Other(format!(
                "{shown}: config {} has digest sha256:{actual}, not the one in its name; the archive is corrupt",
                item.config
            )));
        }
    }
    let config = ImageConfig::parse(&config_bytes, &format!("{shown}: {}", item.config))
        .map_err(ImageError::Other)?;
    let diff_ids = config.diff_ids();
    if diff_ids.len() != item.layers.len() {
        return Err(ImageError::Other(format!(
            "{shown}: manifest.json lists {} layers but the config's rootfs has {} diff_ids",
            item.layers.len(),
            diff_ids.len()
        )));
    }
    let layers = item
        .layers
        .iter()
        .zip(diff_ids)
        .map(|(member, diff_id)| LayerRef {
            locator: member.clone(),
            digest: diff_id.clone(),
            size: blobs.size(member),
            expect: Expect {
                tar: Some(diff_id),
                ..Expect::default()
            },
            toc: None,
        })
        .collect();
    Ok(Manifested {
        config,
        layers,
        manifest_digest: None,
    })
}

fn tags(items: &[DockerManifestItem]) -> String {
    let all: Vec<&str> = items
        .iter()
        .flat_map(|i| i.repo_tags.iter().flatten())
        .map(String::as_str)
        .collect();
    if all.is_empty() {
        "none".into()
    } else {
        all.join(", ")
    }
}

#[derive(Debug, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: Option<String>,
    pub digest: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub platform: Option<Platform>,
    #[serde(default)]
    pub annotations: Option<HashMap<String, String>>,
}

#[derive(Debug, Deserialize, Clone, Default)]
pub struct Platform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl Platform {
    pub fn show(&self) -> String {
        match self.variant.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => format!("{}/{}/{v}", self.os, self.architecture),
            None => format!("{}/{}", self.os, self.architecture),
        }
    }

    /// `os/arch[/variant]`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] | [os, arch, _] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: parts.get(2).map(|v| v.to_string()),
            }),
            _ => Err(format!(
                "--platform {s:?}: expected OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm/v7"
            )),
        }
    }

    /// The platform images run on here: linux and this machine's architecture.
    pub fn host() -> Self {
        let (architecture, variant) = match std::env::consts::ARCH {
            "x86_64" => ("amd64", None),
            "aarch64" => ("arm64", None),
            "arm" => ("arm", Some("v7".to_string())),
            "x86" => ("386", None),
            "powerpc64" => ("ppc64le", None),
            other => (other, None),
        };
        Platform {
            os: "linux".into(),
            architecture: architecture.into(),
            variant,
        }
    }

    fn matches(&self, want: &Platform) -> bool {
        self.os == want.os
            && self.architecture == want.architecture
            && match (&want.variant, &self.variant) {
                (Some(w), Some(v)) => w == v,
                // arm64 images usually omit the implied v8.
                (Some(_), None) | (None, _) => true,
            }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexOrManifest {
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    pub config: Option<Descriptor>,
    #[serde(default)]
    pub layers: Option<Vec<Descriptor>>,
}

pub fn parse_manifest(bytes: &[u8], what: &str) -> Result<IndexOrManifest, ImageError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ImageError::Other(format!("{what}: not a valid OCI manifest or index: {e}")))
}

/// Pick the manifest for `want` from an index; attestation manifests are not images.
pub fn choose_platform<'a>(
    manifests: &'a [Descriptor],
    want: &Platform,
    what: &str,
) -> Result<&'a Descriptor, ImageError> {
    let images: Vec<&Descriptor> = manifests
        .iter()
        .filter(|d| {
            let attestation = d
                .annotations
                .as_ref()
                .and_then(|a| a.get("vnd.docker.reference.type"))
                .is_some_and(|t| t == "attestation-manifest");
            let unknown = d
                .platform
                .as_ref()
                .is_some_and(|p| p.os == "unknown" || p.architecture == "unknown");
            !attestation && !unknown
        })
        .collect();
    if let Some(d) = images
        .iter()
        .find(|d| d.platform.as_ref().is_some_and(|p| p.matches(want)))
    {
        return Ok(d);
    }
    if images.len() == 1 && images[0].platform.is_none() {
        return Ok(images[0]);
    }
    let available: Vec<String> = images
        .iter()
        .filter_map(|d| d.platform.as_ref().map(Platform::show))
        .collect();
    Err(ImageError::Other(format!(
        "{what}: no image for platform {}; available: {}. Choose one with --platform",
        want.show(),
        if available.is_empty() {
            "none".to_string()
        } else {
            available.join(", ")
        }
    )))
}

/// Follow an index (possibly nested) to an image manifest and read its config.
pub fn resolve_manifest(
    read_manifest: &dyn Fn(&str) -> Result<Vec<u8>, ImageError>,
    read: &dyn Fn(&str) -> Result<Vec<u8>, ImageError>,
    mut digest: String,
    mut bytes: Vec<u8>,
    platform: &Platform,
    what: &str,
) -> Result<Manifested, ImageError> {
    for _ in 0..4 {
        let m = parse_manifest(&bytes, what)?;
        if let Some(list) = &m.manifests {
            let chosen = choose_platform(list, platform, what)?;
            digest = chosen.digest.clone();
            bytes = read_manifest(&digest)?;
            check(&digest, &bytes, what)?;
            continue;
        }
        let config_desc = m
            .config
            .ok_or_else(|| ImageError::Other(format!("{what}: manifest {digest} has no config")))?;
        let config_bytes = read(&config_desc.digest)?;
        check(&config_desc.digest, &config_bytes, what)?;
        let config = ImageConfig::parse(&config_bytes, &format!("{what}: config"))
            .map_err(ImageError::Other)?;
        let diff_ids = config.diff_ids();
        let layers = m.layers.unwrap_or_default();
        if !diff_ids.is_empty() && diff_ids.len() != layers.len() {
            return Err(ImageError::Other(format!(
                "{what}: the manifest lists {} layers but the config's rootfs has {} diff_ids",
                layers.len(),
                diff_ids.len()
            )));
        }
        let layers = layers
            .into_iter()
            .map(|d| {
                if let Some(mt) = &d.media_type {
                    if !(mt.contains("layer") || mt.contains("rootfs")) {
                        return Err(ImageError::Other(format!(
                            "{what}: layer {} has media type {mt}, which is not a filesystem layer",
                            d.digest
                        )));
                    }
                }
                Ok(LayerRef {
                    locator: d.digest.clone(),
                    toc: d
                        .annotations
                        .as_ref()
                        .and_then(|a| super::toc::TocRef::from_descriptor(a, d.size)),
                    digest: d.digest.clone(),
                    size: d.size,
                    expect: Expect {
                        stored: Some(d.digest),
                        ..Expect::default()
                    },
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Manifested {
            config,
            layers,
            manifest_digest: Some(digest),
        });
    }
    Err(ImageError::Other(format!(
        "{what}: indexes nested too deeply"
    )))
}

fn check(digest: &str, bytes: &[u8], what: &str) -> Result<(), ImageError> {
    let hex = digest.strip_prefix("sha256:").unwrap_or_default();
    let actual = super::sha256_hex(bytes);
    if hex != actual {
        return Err(ImageError::Other(format!(
            "{what}: blob {digest} hashes to sha256:{actual}: digest mismatch; the image is corrupt or was tampered with"
        )));
    }
    Ok(())
}

/// An OCI layout (directory or archive): `index.json`, then the manifest named `reference`
/// (the `org.opencontainers.image.ref.name` annotation) or the only one.
pub fn oci_layout(
    blobs: &dyn Blobs,
    locate: &dyn Fn(&str) -> Result<String, ImageError>,
    reference: Option<&str>,
    platform: &Platform,
    shown: &str,
) -> Result<Manifested, ImageError> {
    let index_bytes = blobs.read_small("index.json").map_err(|e| {
        // A 50 MB index.json is there, just hostile: say that, not that it is missing.
        let too_large = matches!(&e, ImageError::Oversized(_));
        ImageError::Other(match too_large {
            true => format!("{shown}: {e}"),
            false => format!("{shown}: no index.json: not an OCI image layout"),
        })
    })?;
    let index = parse_manifest(&index_bytes, &format!("{shown}: index.json"))?;
    let list = index.manifests.unwrap_or_default();
    let ref_name = |d: &Descriptor| {
        d.annotations
            .as_ref()
            .and_then(|a| a.get("org.opencontainers.image.ref.name"))
            .cloned()
    };
    let chosen = match reference {
        Some(r) => list
            .iter()
            .find(|d| ref_name(d).as_deref() == Some(r))
            .ok_or_else(|| {
                ImageError::Other(format!(
                    "{shown}: index.json has no image named {r:?}; names: {}",
                    names(&list, &ref_name)
                ))
            })?,
        None if list.len() == 1 => &list[0],
        None if list.is_empty() => {
            return Err(ImageError::Other(format!(
                "{shown}: index.json lists no image"
            )))
        }
        None => {
            // Several entries without a name may be one multi-platform image.
            if list
                .iter()
                .all(|d| ref_name(d).is_none() && d.platform.is_some())
            {
                let d = choose_platform(&list, platform, shown)?;
                return read_manifest(blobs, locate, d, platform, shown);
            }
            return Err(ImageError::Other(format!(
                "{shown}: the layout holds {} images; name one as oci:DIR:NAME (names: {})",
                list.len(),
                names(&list, &ref_name)
            )));
        }
    };
    read_manifest(blobs, locate, chosen, platform, shown)
}

fn read_manifest(
    blobs: &dyn Blobs,
    locate: &dyn Fn(&str) -> Result<String, ImageError>,
    d: &Descriptor,
    platform: &Platform,
    shown: &str,
) -> Result<Manifested, ImageError> {
    let read = |digest: &str| -> Result<Vec<u8>, ImageError> {
        let loc = locate(digest)?;
        blobs.read_small(&loc).map_err(|e| {
            ImageError::Other(format!(
                "{shown}: blob {digest} is missing or unreadable ({e})"
            ))
        })
    };
    let bytes = read(&d.digest)?;
    check(&d.digest, &bytes, shown)?;
    let mut m = resolve_manifest(&read, &read, d.digest.clone(), bytes, platform, shown)?;
    for l in &mut m.layers {
        l.locator = locate(&l.digest)?;
    }
    Ok(m)
}

fn names(list: &[Descriptor], ref_name: &dyn Fn(&Descriptor) -> Option<String>) -> String {
    let n: Vec<String> = list.iter().filter_map(ref_name).collect();
    if n.is_empty() {
        "none".into()
    } else {
        n.join(", ")
    }
}
