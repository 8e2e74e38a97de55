//! Pulling from a registry with `oci-client`: manifests and the config in memory, layers as
//! streams handed to the same layer reader as local archives (several at a time).
//! Credentials come from the Docker config (`DOCKER_CONFIG` or `~/.docker/config.json`:
//! `auths`, `credHelpers`, `credsStore`); anonymous when it has none for the registry.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::Client;
use oci_client::RegistryOperation;

use super::cache::Cache;
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
    cache: Option<Cache>,
    client: Arc<Client>,
    reference: oci_client::Reference,
    runtime: Arc<tokio::runtime::Runtime>,
    shown: String,
    net: Net,
}

/// How long the network may take.
#[derive(Debug, Clone, Copy)]
struct Net {
    /// When the whole pull must be over (`--network-timeout`).
    deadline: Instant,
    timeout: Duration,
}

/// Connecting to the registry.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// A read that receives nothing for this long fails.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A manifest or config is small: it must arrive within this, so an endless body cannot
/// grow memory for long.
const SMALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries after a 5xx or a refused or reset connection, with 1 s, then 2 s between.
const RETRIES: u32 = 2;

impl Net {
    fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    fn expired(&self) -> String {
        format!(
            "the registry did not finish within {} s (--network-timeout)",
            self.timeout.as_secs()
        )
    }
}

/// Worth another try: a server error or a connection that failed or was reset.
fn retryable(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::ServerError { code, .. } => *code >= 500,
        OciDistributionError::RequestError(r) => {
            r.is_connect()
                || causes(r).contains("connection reset")
                || r.status().is_some_and(|s| s.is_server_error())
        }
        _ => false,
    }
}

/// Run a small request (a manifest, a config) within the deadlines, retrying what is worth
/// retrying.
fn small<T, F, Fut>(
    runtime: &tokio::runtime::Runtime,
    net: Net,
    what: &str,
    f: F,
) -> Result<T, String>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, OciDistributionError>>,
{
    let mut attempt = 0;
    loop {
        let left = net.left().min(SMALL_TIMEOUT);
        if left.is_zero() {
            return Err(net.expired());
        }
        // The timer must be made inside the runtime.
        match runtime.block_on(async { tokio::time::timeout(left, f()).await }) {
            Err(_) if net.left().is_zero() => return Err(net.expired()),
            Err(_) => {
                return Err(format!(
                    "{what} did not arrive within {} s; a manifest or config is small, so the registry is stalled or sending without end",
                    left.as_secs()
                ))
            }
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) if retryable(&e) && attempt < RETRIES => {
                attempt += 1;
                std::thread::sleep(Duration::from_secs(u64::from(attempt)).min(net.left()));
            }
            Ok(Err(e)) => {
                let tries = if attempt > 0 {
                    format!(" (after {} tries)", attempt + 1)
                } else {
                    String::new()
                };
                return Err(format!("{}{tries}", causes(&e)));
            }
        }
    }
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
pub(crate) fn causes(e: &dyn std::error::Error) -> String {
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
        Err(e) => Err(ImageError::Part(format!(
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
    let net = Net {
        deadline: Instant::now() + opts.network_timeout,
        timeout: opts.network_timeout,
    };
    let client = Client::new(ClientConfig {
        protocol,
        platform_resolver: None,
        connect_timeout: Some(CONNECT_TIMEOUT.min(opts.network_timeout)),
        read_timeout: Some(IDLE_TIMEOUT.min(opts.network_timeout)),
        ..Default::default()
    });
    let auth = credentials(r)?;
    let http = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(opts.network_timeout))
        .read_timeout(IDLE_TIMEOUT.min(opts.network_timeout))
        .build()
        .map_err(|e| err(format!("cannot start the HTTP client: {}", causes(&e))))?;
    let scheme = if insecure { "http" } else { "https" };
    let get = Manifests {
        client: &client,
        http: &http,
        auth: &auth,
        scheme,
    };
    let cache = opts.cache.as_ref();
    // A digest names its bytes: a cached one needs no registry. A tag is asked every time.
    let cached_top = r
        .digest
        .as_ref()
        .and_then(|d| Some((cache?.small(d)?, d.clone())));
    let (bytes, digest) = match cached_top {
        Some(top) => top,
        None => {
            let (bytes, digest) = small(&runtime, net, "the manifest", || get.fetch(&reference))
                .map_err(|e| err(format!("cannot pull the manifest from {}: {e}", r.registry)))?;
            if let Some(c) = cache {
                c.keep_small(&digest, &bytes);
                c.record(r, &digest);
            }
            (bytes, digest)
        }
    };
    let read_manifest = |d: &str| -> Result<Vec<u8>, ImageError> {
        if let Some(bytes) = cache.and_then(|c| c.small(d)) {
            return Ok(bytes);
        }
        let by_digest = oci_client::Reference::with_digest(
            r.registry.clone(),
            r.repository.clone(),
            d.to_string(),
        );
        small(&runtime, net, &format!("manifest {d}"), || {
            get.fetch(&by_digest)
        })
        .map(|(b, _)| keep(cache, d, b))
        .map_err(|e| err(format!("manifest {d}: {e}")))
    };
    let read_blob = |d: &str| -> Result<Vec<u8>, ImageError> {
        if let Some(bytes) = cache.and_then(|c| c.small(d)) {
            return Ok(bytes);
        }
        small(&runtime, net, &format!("the config blob {d}"), || {
            capped_blob(&client, &reference, d)
        })
        .map(|b| keep(cache, d, b))
        .map_err(|e| err(format!("the config blob {d}: {e}")))
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
        cache: cache.cloned(),
        client: Arc::new(client),
        reference,
        runtime: Arc::new(runtime),
        shown: shown.to_string(),
        net,
    };
    Ok((Arc::new(blobs), m))
}

impl RegistryBlobs {
    /// A blob streamed from the registry.
    fn streamed(&self, digest: &str) -> Box<dyn Read + Send + 'static> {
        // Chunks cross from the network runtime to the layer reader's thread; a small bound
        // keeps memory flat when decompression is the slower side.
        let (tx, rx) = sync_channel::<io::Result<bytes::Bytes>>(16);
        let client = Arc::clone(&self.client);
        let reference = self.reference.clone();
        let digest = digest.to_string();
        let shown = self.shown.clone();
        let net = self.net;
        self.runtime.spawn(async move {
            let deadline = tokio::time::Instant::from_std(net.deadline);
            let mut attempt = 0;
            let opened = loop {
                let open = client.pull_blob_stream(&reference, digest.as_str());
                match tokio::time::timeout_at(deadline, open).await {
                    Err(_) => break Err(net.expired()),
                    Ok(Ok(s)) => break Ok((s.stream, s.content_length)),
                    Ok(Err(e)) if retryable(&e) && attempt < RETRIES => {
                        attempt += 1;
                        tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
                    }
                    Ok(Err(e)) => break Err(causes(&e)),
                }
            };
            match opened {
                Ok((stream, length)) => pump(stream, length, tx, deadline, net).await,
                Err(e) => {
                    let _ = tx.send(Err(io::Error::other(format!(
                        "{shown}: cannot pull blob {digest}: {e}"
                    ))));
                }
            }
        });
        Box::new(ChannelReader::new(rx))
    }
}

/// A small blob read from the registry, kept in the cache on the way (it checks the digest).
fn keep(cache: Option<&Cache>, digest: &str, bytes: Vec<u8>) -> Vec<u8> {
    if let Some(c) = cache {
        c.keep_small(digest, &bytes);
    }
    bytes
}

impl Blobs for RegistryBlobs {
    fn open(&self, digest: &str) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        if let Some(file) = self.cache.as_ref().and_then(|c| c.open(digest)) {
            return Ok(Box::new(file));
        }
        let streamed = self.streamed(digest);
        Ok(match &self.cache {
            Some(c) => c.through(digest, streamed),
            None => streamed,
        })
    }

    /// An HTTP range request. A registry that answers with the whole blob (200, not 206)
    /// cannot serve parts: `None`, and the caller reads the layer whole.
    fn open_range(
        &self,
        digest: &str,
        offset: u64,
        len: u64,
    ) -> Result<Option<Box<dyn Read + Send + '_>>, ImageError> {
        let deadline = tokio::time::Instant::from_std(self.net.deadline);
        let open = self
            .client
            .pull_blob_stream_partial(&self.reference, digest, offset, Some(len));
        let opened = self
            .runtime
            .block_on(async { tokio::time::timeout_at(deadline, open).await });
        let stream = match opened {
            Err(_) => return Err(ImageError::Part(self.net.expired())),
            Ok(Err(e)) => {
                return Err(ImageError::Part(format!(
                    "{}: cannot pull bytes {offset}..{} of blob {digest}: {}",
                    self.shown,
                    offset + len,
                    causes(&e)
                )))
            }
            Ok(Ok(oci_client::client::BlobResponse::Full(_))) => return Ok(None),
            Ok(Ok(oci_client::client::BlobResponse::Partial(s))) => s,
        };
        let (tx, rx) = sync_channel::<io::Result<bytes::Bytes>>(16);
        let net = self.net;
        self.runtime.spawn(async move {
            pump(stream.stream, stream.content_length, tx, deadline, net).await;
        });
        // At most what was asked for, whatever the registry sends.
        Ok(Some(Box::new(ChannelReader::new(rx).take(len))))
    }
}

/// Forward a blob's body to the reader's thread, chunk by chunk, until it ends, fails, times
/// out, or the reader hangs up.
async fn pump(
    mut stream: futures_util::stream::BoxStream<'static, Result<bytes::Bytes, io::Error>>,
    length: Option<u64>,
    tx: std::sync::mpsc::SyncSender<io::Result<bytes::Bytes>>,
    deadline: tokio::time::Instant,
    net: Net,
) {
    let mut received = 0u64;
    loop {
        let chunk = match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => Some(Err(io::Error::new(io::ErrorKind::TimedOut, net.expired()))),
            Ok(Some(Ok(c))) => {
                received += c.len() as u64;
                Some(Ok(c))
            }
            // The connection ended before the length it announced: say so.
            Ok(Some(Err(e))) if length.is_some_and(|l| received < l) => Some(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "truncated: the registry sent {received} of the blob's {} bytes ({e})",
                    length.unwrap_or_default()
                ),
            ))),
            Ok(c) => c,
        };
        let Some(chunk) = chunk else { return };
        let failed = chunk.is_err();
        // The reader hung up (an error on its side): stop pulling.
        if tx.send(chunk).is_err() || failed {
            return;
        }
    }
}

/// Manifests are fetched here, not by oci-client, whose reader keeps a body of any size in
/// memory: an endless manifest grew memory by about 700 MB/s. oci-client still does the
/// authentication (bearer tokens, Docker Hub).
struct Manifests<'a> {
    client: &'a Client,
    http: &'a reqwest::Client,
    auth: &'a RegistryAuth,
    scheme: &'static str,
}

impl Manifests<'_> {
    async fn fetch(
        &self,
        reference: &oci_client::Reference,
    ) -> Result<(Vec<u8>, String), OciDistributionError> {
        let token = self
            .client
            .auth(reference, self.auth, RegistryOperation::Pull)
            .await?;
        let url = format!(
            "{}://{}/v2/{}/manifests/{}",
            self.scheme,
            reference.resolve_registry(),
            reference.repository(),
            reference.digest().or(reference.tag()).unwrap_or("latest")
        );
        let mut request = self
            .http
            .get(&url)
            .header(reqwest::header::ACCEPT, MANIFEST_TYPES.join(", "));
        request = match (token, self.auth) {
            (Some(t), _) => request.bearer_auth(t),
            (None, RegistryAuth::Basic(user, password)) => request.basic_auth(user, Some(password)),
            _ => request,
        };
        let mut response = request.send().await?;
        let status = response.status();
        let header_digest = response
            .headers()
            .get("Docker-Content-Digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut body = Vec::new();
        let cap = if status.is_success() {
            store::MAX_SMALL
        } else {
            4096
        };
        while let Some(chunk) = response.chunk().await? {
            body.extend_from_slice(&chunk);
            if body.len() as u64 > cap {
                if !status.is_success() {
                    break;
                }
                return Err(OciDistributionError::IoError(io::Error::other(format!(
                    "the manifest is larger than {} bytes; not a manifest",
                    store::MAX_SMALL
                ))));
            }
        }
        if !status.is_success() {
            return Err(OciDistributionError::ServerError {
                code: status.as_u16(),
                url,
                message: String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
            });
        }
        let computed = format!("sha256:{}", super::sha256_hex(&body));
        let claimed = reference.digest().or(header_digest.as_deref());
        if let Some(want) = claimed.filter(|d| *d != computed) {
            return Err(OciDistributionError::IoError(io::Error::other(format!(
                "digest mismatch: the registry sent a manifest that hashes to {computed}, not {want}"
            ))));
        }
        Ok((body, computed))
    }
}

/// A config blob, read as a stream and refused past [`store::MAX_SMALL`] bytes.
async fn capped_blob(
    client: &Client,
    reference: &oci_client::Reference,
    digest: &str,
) -> Result<Vec<u8>, OciDistributionError> {
    let mut stream = client.pull_blob_stream(reference, digest).await?.stream;
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        // oci-client's own digest check words it "Expected X, got X": say what happened.
        let chunk = chunk.map_err(|e| match e.to_string().contains("Invalid digest") {
            true => io::Error::other(format!(
                "digest mismatch: the registry sent bytes that do not hash to {digest}; the image is corrupt or was tampered with"
            )),
            false => e,
        })?;
        out.extend_from_slice(&chunk);
        if out.len() as u64 > store::MAX_SMALL {
            return Err(OciDistributionError::IoError(io::Error::other(format!(
                "larger than {} bytes; not a config",
                store::MAX_SMALL
            ))));
        }
    }
    Ok(out)
}

/// The reading end of a stream of chunks sent from an async task (a registry blob, a
/// daemon's export).
pub(super) struct ChannelReader {
    rx: Receiver<io::Result<bytes::Bytes>>,
    chunk: bytes::Bytes,
    /// The stream failed: every later read fails the same way (it is not a clean end).
    failed: Option<(io::ErrorKind, String)>,
}

impl ChannelReader {
    pub(super) fn new(rx: Receiver<io::Result<bytes::Bytes>>) -> Self {
        ChannelReader {
            rx,
            chunk: bytes::Bytes::new(),
            failed: None,
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, m)) = &self.failed {
            return Err(io::Error::new(*kind, m.clone()));
        }
        while self.chunk.is_empty() {
            match self.rx.recv() {
                Ok(Ok(c)) => self.chunk = c,
                Ok(Err(e)) => {
                    self.failed = Some((e.kind(), e.to_string()));
                    return Err(e);
                }
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
