//! Pulling from a registry with `oci-client`: manifests and the config in memory, layers as
//! streams handed to the same layer reader as local archives (several at a time).
//! Credentials come from the Docker config (`DOCKER_CONFIG` or `~/.docker/config.json`:
//! `auths`, `credHelpers`, `credsStore`); anonymous when it has none for the registry.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::Client;

use super::reference::Reference;
use super::store::{self, Blobs};
use super::{ImageError, Manifested, Options};

const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

struct RegistryBlobs {
    client: Arc<Client>,
    reference: oci_client::Reference,
    runtime: Arc<tokio::runtime::Runtime>,
    shown: String,
}

fn oci_reference(r: &Reference) -> oci_client::Reference {
    match (&r.tag, &r.digest) {
        (Some(t), Some(d)) => oci_client::Reference::with_tag_and_digest(
            r.registry.clone(),
            r.repository.clone(),
            t.clone(),
            d.clone(),
        ),
        (_, Some(d)) => {
            oci_client::Reference::with_digest(r.registry.clone(), r.repository.clone(), d.clone())
        }
        (t, None) => oci_client::Reference::with_tag(
            r.registry.clone(),
            r.repository.clone(),
            t.clone().unwrap_or_else(|| "latest".into()),
        ),
    }
}

/// An error and its causes ("error sending request: … : Connection refused").
fn causes(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// Credentials for a registry from the Docker config; anonymous when there are none.
fn credentials(r: &Reference) -> Result<RegistryAuth, ImageError> {
    use docker_credential::{CredentialRetrievalError as E, DockerCredential};
    let server = if r.registry == "docker.io" {
        "https://index.docker.io/v1/"
    } else {
        r.registry.as_str()
    };
    match docker_credential::get_credential(server) {
        Ok(DockerCredential::UsernamePassword(u, p)) => Ok(RegistryAuth::Basic(u, p)),
        Ok(DockerCredential::IdentityToken(t)) => Ok(RegistryAuth::Bearer(t)),
        Err(E::NoCredentialConfigured | E::ConfigNotFound | E::ConfigReadError) => {
            Ok(RegistryAuth::Anonymous)
        }
        Err(e) => Err(ImageError::Other(format!(
            "credentials for {}: {e:?} (from the Docker config: DOCKER_CONFIG or ~/.docker/config.json)",
            r.registry
        ))),
    }
}

pub fn pull(
    r: &Reference,
    opts: &Options,
    shown: &str,
) -> Result<(Arc<dyn Blobs>, Manifested), ImageError> {
    let err = |m: String| ImageError::Other(format!("{shown}: {m}"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| err(format!("cannot start the network runtime: {e}")))?;
    let insecure = r.is_local() || opts.insecure_registries.iter().any(|h| h == &r.registry);
    let reference = oci_reference(r);
    let protocol = if insecure {
        ClientProtocol::HttpsExcept(vec![reference.resolve_registry().to_string()])
    } else {
        ClientProtocol::Https
    };
    let client = Client::new(ClientConfig {
        protocol,
        platform_resolver: None,
        connect_timeout: Some(Duration::from_secs(15)),
        read_timeout: Some(Duration::from_secs(60)),
        ..Default::default()
    });
    let auth = credentials(r)?;
    let (bytes, digest) = runtime
        .block_on(client.pull_manifest_raw(&reference, &auth, MANIFEST_TYPES))
        .map_err(|e| {
            err(format!(
                "cannot pull the manifest from {}: {}",
                r.registry,
                causes(&e)
            ))
        })?;
    let read_manifest = |d: &str| -> Result<Vec<u8>, ImageError> {
        let by_digest = oci_client::Reference::with_digest(
            r.registry.clone(),
            r.repository.clone(),
            d.to_string(),
        );
        runtime
            .block_on(client.pull_manifest_raw(&by_digest, &auth, MANIFEST_TYPES))
            .map(|(b, _)| b.to_vec())
            .map_err(|e| err(format!("manifest {d}: {}", causes(&e))))
    };
    let read_blob = |d: &str| -> Result<Vec<u8>, ImageError> {
        let mut out = Vec::new();
        runtime
            .block_on(client.pull_blob(&reference, d, &mut out))
            .map_err(|e| err(format!("blob {d}: {}", causes(&e))))?;
        Ok(out)
    };
    let m = store::resolve_manifest(
        &read_manifest,
        &read_blob,
        digest,
        bytes.to_vec(),
        &opts.platform,
        shown,
    )?;
    let blobs = RegistryBlobs {
        client: Arc::new(client),
        reference,
        runtime: Arc::new(runtime),
        shown: shown.to_string(),
    };
    Ok((Arc::new(blobs), m))
}

impl Blobs for RegistryBlobs {
    fn open(&self, digest: &str) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        // Chunks cross from the network runtime to the layer reader's thread; a small bound
        // keeps memory flat when decompression is the slower side.
        let (tx, rx) = sync_channel::<io::Result<bytes::Bytes>>(16);
        let client = Arc::clone(&self.client);
        let reference = self.reference.clone();
        let digest = digest.to_string();
        let shown = self.shown.clone();
        self.runtime.spawn(async move {
            let stream = client.pull_blob_stream(&reference, digest.as_str()).await;
            let mut stream = match stream {
                Ok(s) => s.stream,
                Err(e) => {
                    let _ = tx.send(Err(io::Error::other(format!(
                        "{shown}: cannot pull blob {digest}: {}",
                        causes(&e)
                    ))));
                    return;
                }
            };
            while let Some(chunk) = stream.next().await {
                let failed = chunk.is_err();
                // The reader hung up (an error on its side): stop pulling.
                if tx.send(chunk).is_err() || failed {
                    return;
                }
            }
        });
        Ok(Box::new(ChannelReader {
            rx,
            chunk: bytes::Bytes::new(),
        }))
    }
}

struct ChannelReader {
    rx: Receiver<io::Result<bytes::Bytes>>,
    chunk: bytes::Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.recv() {
                Ok(Ok(c)) => self.chunk = c,
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        let _ = self.chunk.split_to(n);
        Ok(n)
    }
}

/// A progress bar of bytes read, on stderr; `None` unless asked (stderr is a terminal).
pub fn progress_bar(enabled: bool, total: u64) -> Option<ProgressBar> {
    if !enabled {
        return None;
    }
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template(
        "{spinner} reading layers {bytes}/{total_bytes} {bytes_per_sec} {wide_bar}",
    )
    .ok()?;
    bar.set_style(style);
    Some(bar)
}

/// Counts bytes into the progress bar as they are read.
pub struct Progress<'a, R> {
    inner: R,
    bar: Option<&'a ProgressBar>,
}

impl<'a, R: Read> Progress<'a, R> {
    pub fn wrap(inner: R, bar: Option<&'a ProgressBar>) -> Self {
        Progress { inner, bar }
    }
}

impl<R: Read> Read for Progress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(b) = self.bar {
            b.inc(n as u64);
        }
        Ok(n)
    }
}
