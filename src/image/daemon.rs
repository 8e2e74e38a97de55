//! Images in a local container engine: the Docker daemon (`DOCKER_HOST`, the current docker
//! context, `/var/run/docker.sock`) or Podman's Docker-compatible API, through bollard. The
//! config comes from the inspect call, so the layers' wanted files are known before they
//! pass; the layers are streamed once from the engine's `docker save` export and indexed as
//! they arrive, never written to disk.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::Duration;

use bollard::models::ImageInspect;
use bollard::Docker;
use futures_util::StreamExt;

use super::config::ImageConfig;
use super::{saved, ImageError, Options};

/// Which engine's API to talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Docker,
    Podman,
}

impl Engine {
    /// Its command-line program: `docker`, `podman`.
    pub fn program(self) -> &'static str {
        match self {
            Engine::Docker => "docker",
            Engine::Podman => "podman",
        }
    }

    /// The source kind shown in output: `docker-daemon`, `podman`.
    pub fn kind(self) -> &'static str {
        match self {
            Engine::Docker => "docker-daemon",
            Engine::Podman => "podman",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Engine::Docker => "the Docker daemon",
            Engine::Podman => "Podman",
        }
    }

    /// Where its API listens, and what said so.
    fn host(self) -> (String, String) {
        match self {
            Engine::Docker => docker_host(),
            Engine::Podman => podman_host(),
        }
    }
}

/// `DOCKER_HOST`, else the current docker context's endpoint, else the default socket.
fn docker_host() -> (String, String) {
    if let Ok(h) = std::env::var("DOCKER_HOST") {
        if !h.is_empty() {
            return (h, "DOCKER_HOST".into());
        }
    }
    if let Some((name, host)) = context_host() {
        return (host, format!("docker context {name}"));
    }
    (
        "unix:///var/run/docker.sock".into(),
        "the default socket (set DOCKER_HOST to use another)".into(),
    )
}

/// The endpoint of the current docker context (`DOCKER_CONTEXT`, or `currentContext` in
/// the docker config), from its meta.json.
fn context_host() -> Option<(String, String)> {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))?;
    let name = match std::env::var("DOCKER_CONTEXT") {
        Ok(n) if !n.is_empty() => n,
        _ => {
            let config = std::fs::read(dir.join("config.json")).ok()?;
            let v: serde_json::Value = serde_json::from_slice(&config).ok()?;
            v.get("currentContext")?.as_str()?.to_string()
        }
    };
    if name == "default" {
        return None;
    }
    let id = super::sha256_hex(name.as_bytes());
    let meta = std::fs::read(dir.join("contexts/meta").join(id).join("meta.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&meta).ok()?;
    let host = v.pointer("/Endpoints/docker/Host")?.as_str()?.to_string();
    Some((name, host))
}

/// `CONTAINER_HOST`, else the rootless socket, else the system one.
fn podman_host() -> (String, String) {
    if let Ok(h) = std::env::var("CONTAINER_HOST") {
        if !h.is_empty() {
            return (h, "CONTAINER_HOST".into());
        }
    }
    if let Ok(dir) = std::env::var("XDG_RUNTIME_DIR") {
        let sock = PathBuf::from(dir).join("podman/podman.sock");
        if sock.exists() {
            return (
                format!("unix://{}", sock.display()),
                "XDG_RUNTIME_DIR".into(),
            );
        }
    }
    (
        "unix:///run/podman/podman.sock".into(),
        "the default socket (set CONTAINER_HOST to use another)".into(),
    )
}

/// A connected engine.
/// How long an inspect may take: the answer is a small JSON document.
pub const INSPECT_DEADLINE: Duration = Duration::from_secs(30);

pub struct Daemon {
    engine: Engine,
    docker: Docker,
    host: String,
    /// The connection's per-request timeout.
    timeout: Duration,
    runtime: Arc<tokio::runtime::Runtime>,
}

/// Connect and ping. The error says which socket was tried, what chose it, and what to do.
pub fn connect(engine: Engine, timeout: Duration) -> Result<Daemon, String> {
    let (host, why) = engine.host();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let docker = Docker::connect_with_host(&host)
        .map_err(|e| {
            format!(
                "{} is not reachable at {host} (from {why}): {}",
                engine.name(),
                connect_error(&e)
            )
        })?
        .with_timeout(timeout);
    let ping = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(5), docker.ping()).await });
    let failure = match ping {
        Ok(Ok(_)) => None,
        Err(_) => Some("it did not answer within 5 s".to_string()),
        Ok(Err(e)) => Some(connect_error(&e)),
    };
    if let Some(f) = failure {
        return Err(format!(
            "{} is not reachable at {host} (from {why}): {f}",
            engine.name()
        ));
    }
    Ok(Daemon {
        engine,
        docker,
        host,
        timeout,
        runtime: Arc::new(runtime),
    })
}

fn connect_error(e: &bollard::errors::Error) -> String {
    let text = crate::image::registry::causes(e);
    if text.contains("Permission denied") || text.contains("permission denied") {
        format!("permission denied on the socket ({text}); add your user to the `docker` group or run as root")
    } else if text.contains("No such file")
        || text.contains("not found")
        || matches!(e, bollard::errors::Error::SocketNotFoundError(_))
    {
        format!("no socket there ({text}); is the daemon running?")
    } else if text.contains("Connection refused") {
        format!("nothing listens there ({text})")
    } else {
        text
    }
}

impl Daemon {
    /// The API client, for experiments on containers (`initlint verify`).
    pub fn client(&self) -> &Docker {
        &self.docker
    }

    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Where the engine listens (for messages).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The image's config, if the engine has the image. The inspect call has a deadline of
    /// its own ([`INSPECT_DEADLINE`], or the connection's timeout when shorter): an engine
    /// that answers its ping and then never the inspect does not hold the run for the whole
    /// network timeout.
    pub fn config(&self, name: &str) -> Result<Option<ImageConfig>, String> {
        let deadline = INSPECT_DEADLINE.min(self.timeout);
        let inspect = self
            .runtime
            .block_on(async { tokio::time::timeout(deadline, self.inspect(name)).await });
        let no_answer = || {
            format!(
                "{}: inspect {name}: no answer within {} s (an engine that answers its ping but not this)",
                self.engine.name(),
                deadline.as_secs_f64()
            )
        };
        let inspect = match inspect {
            Err(_) | Ok(Err(Refused::Timeout)) => return Err(no_answer()),
            Ok(Ok(None)) => return Ok(None),
            Ok(Ok(Some(i))) => i,
            Ok(Err(Refused::Other(why))) => {
                return Err(format!("{}: inspect {name}: {why}", self.engine.name()))
            }
        };
        // The inspect output carries the config's fields under the same names.
        let config = serde_json::json!({
            "architecture": inspect.architecture,
            "os": inspect.os,
            "variant": inspect.variant,
            "config": inspect.config,
            "rootfs": {"type": "layers", "diff_ids": inspect.root_fs.and_then(|r| r.layers).unwrap_or_default()},
        });
        let bytes = serde_json::to_vec(&config).map_err(|e| e.to_string())?;
        ImageConfig::parse(&bytes, &format!("{name} (inspect)")).map(Some)
    }

    /// The image's inspect answer; None when the engine has no such image. On a unix socket
    /// the answer is read with a cap ([`INSPECT_MAX`]): bollard would read an endless one
    /// whole. Over TCP or SSH (rare for a local engine) bollard reads it, and only the
    /// deadline bounds it.
    async fn inspect(&self, name: &str) -> Result<Option<ImageInspect>, Refused> {
        if let Some(socket) = self.host.strip_prefix("unix://") {
            return inspect_capped(socket, name, INSPECT_MAX).await;
        }
        match self.docker.inspect_image(name).await {
            Ok(i) => Ok(Some(i)),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(bollard::errors::Error::RequestTimeoutError) => Err(Refused::Timeout),
            Err(e) => Err(Refused::Other(crate::image::registry::causes(&e))),
        }
    }

    /// Read the image: its config from inspect, its layers from one export stream.
    pub fn load(
        self,
        name: &str,
        config: &ImageConfig,
        shown: &str,
        opts: &Options,
    ) -> Result<super::Image, ImageError> {
        let want = super::want_for(config);
        let kind = self.engine.kind();
        let source = Arc::new(Export {
            daemon: self,
            name: name.to_string(),
        });
        saved::load(source, Some(want), None, kind, shown, super::fresh(opts))
    }
}

/// At most this much of an inspect answer is read: an image's is a few KiB.
pub const INSPECT_MAX: usize = 16 << 20;

/// Why an engine gave no inspect answer.
enum Refused {
    Timeout,
    Other(String),
}

/// `GET /images/NAME/json` on the engine's unix socket, reading at most `cap` bytes.
async fn inspect_capped(
    socket: &str,
    name: &str,
    cap: usize,
) -> Result<Option<ImageInspect>, Refused> {
    use http_body_util::BodyExt;
    let failed = |what: &str, e: &dyn std::fmt::Display| Refused::Other(format!("{what}: {e}"));
    let stream = tokio::net::UnixStream::connect(socket)
        .await
        .map_err(|e| failed(&format!("cannot connect to {socket}"), &e))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| failed("the connection failed", &e))?;
    tokio::spawn(connection);
    let request = hyper::Request::get(format!("/images/{name}/json"))
        .header("Host", "docker")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .map_err(|e| failed(&format!("{name:?} is not an image name the API takes"), &e))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| failed("the request failed", &e))?;
    let status = response.status();
    let mut body = response.into_body();
    let mut answer = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| failed("the answer broke off", &e))?;
        if let Some(data) = frame.data_ref() {
            if answer.len() + data.len() > cap {
                return Err(Refused::Other(format!(
                    "the answer is larger than {} MiB (an image's inspect is a few KiB); not read further",
                    cap >> 20
                )));
            }
            answer.extend_from_slice(data);
        }
    }
    match status.as_u16() {
        404 => Ok(None),
        200..=299 => serde_json::from_slice(&answer)
            .map(Some)
            .map_err(|e| failed("the answer is not an image inspect", &e)),
        code => {
            let message = serde_json::from_slice::<serde_json::Value>(&answer)
                .ok()
                .and_then(|v| v.get("message")?.as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&answer).chars().take(200).collect());
            // Printed through report::clean, as every error is.
            Err(Refused::Other(format!("HTTP {code}: {message}")))
        }
    }
}

/// One image's export (`docker save`), as a stream that can be opened again.
struct Export {
    daemon: Daemon,
    name: String,
}

impl saved::Source for Export {
    fn open(&self) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let (tx, rx) = sync_channel::<io::Result<bytes::Bytes>>(16);
        let mut stream = Box::pin(self.daemon.docker.export_image(&self.name));
        let host = self.daemon.host.clone();
        self.daemon.runtime.spawn(async move {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| {
                    io::Error::other(format!(
                        "the export from {host} failed: {}",
                        crate::image::registry::causes(&e)
                    ))
                });
                let failed = chunk.is_err();
                if tx.send(chunk).is_err() || failed {
                    return;
                }
            }
        });
        Ok(Box::new(super::registry::ChannelReader::new(rx)))
    }
}

/// Read `name` from `engine`, for a `docker-daemon:` or `podman:` target.
pub fn load(
    engine: Engine,
    name: &str,
    shown: &str,
    opts: &Options,
) -> Result<super::Image, ImageError> {
    let err = |m: String| ImageError::Other(format!("{shown}: {m}"));
    let daemon = connect(engine, opts.network_timeout).map_err(err)?;
    match daemon.config(name).map_err(err)? {
        Some(config) => daemon.load(name, &config, shown, opts),
        None => Err(err(format!(
            "{} at {} has no image {name}",
            engine.name(),
            daemon.host
        ))),
    }
}
