//! Images in a real local Docker daemon: the test starts its own `dockerd` (Debian package
//! docker.io) on a private socket and data root, with no network set-up, `docker load`s
//! fixture images and `docker build`s one FROM a loaded image. `docker-daemon:NAME`, the bare
//! name, `docker-archive:` (plain, gzip, zstd) and `oci:` must give the same findings.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::Digest;

mod common;
use common::dockerd::Dockerd;
use common::{findings, fixtures};

fn compressed(plain: &Path, dir: &Path, program: &str, ext: &str) -> PathBuf {
    let out = dir.join(format!(
        "{}.{ext}",
        plain.file_name().unwrap().to_string_lossy()
    ));
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{program} -c < '{}' > '{}'",
            plain.display(),
            out.display()
        ))
        .status()
        .unwrap();
    assert!(status.success(), "{program}");
    out
}

#[test]
fn the_daemon_the_bare_name_and_every_archive_give_the_same_findings() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    let fx = fixtures();
    let tmp = tempfile::tempdir().unwrap();
    for name in [
        "dash-shell-form",
        "script-no-exec",
        "c-nohandler-dyn",
        "python-handler",
    ] {
        let tar = fx.join(format!("{name}.tar"));
        daemon
            .docker(&["load", "-i", &tar.to_string_lossy()])
            .unwrap();
        let tag = format!("initlint/{name}:latest");
        let targets = [
            format!("docker-daemon:{tag}"),
            tag.clone(),
            format!("docker-archive:{}", tar.display()),
            format!(
                "docker-archive:{}",
                compressed(&tar, tmp.path(), "gzip", "gz").display()
            ),
            format!(
                "docker-archive:{}",
                compressed(&tar, tmp.path(), "zstd", "zst").display()
            ),
            format!("oci:{}:{name}", fx.join("oci").display()),
        ];
        let first = daemon.json(&targets[0]);
        assert_eq!(first["target"]["source"], "docker-daemon", "{first:#}");
        for t in &targets[1..] {
            assert_eq!(
                findings(&first),
                findings(&daemon.json(t)),
                "{name}: {} vs {t}",
                targets[0]
            );
        }
    }
    // No DOCKER_HOST: the current docker context names the socket, as `docker context use`
    // leaves it in the docker config.
    let cfg = tmp.path().join("docker-config");
    let id: String = sha2::Sha256::digest(b"private")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let meta = cfg.join("contexts/meta").join(id);
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(cfg.join("config.json"), r#"{"currentContext": "private"}"#).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        serde_json::json!({"Name": "private", "Endpoints": {"docker": {"Host": daemon.host()}}})
            .to_string(),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args([
            "--format",
            "json",
            "docker-daemon:initlint/script-no-exec:latest",
        ])
        .env_remove("DOCKER_HOST")
        .env("DOCKER_CONFIG", &cfg)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An image built in the daemon from a loaded one, with a script that forgets exec.
    let ctx = tmp.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM initlint/dash-shell-form:latest\nCOPY start.sh /start.sh\nENTRYPOINT [\"/start.sh\"]\n",
    )
    .unwrap();
    std::fs::write(ctx.join("start.sh"), "#!/bin/sh\n/app/handler\n").unwrap();
    let mut perms = std::fs::metadata(ctx.join("start.sh"))
        .unwrap()
        .permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(ctx.join("start.sh"), perms).unwrap();
    daemon
        .docker(&[
            "build",
            "--network",
            "none",
            "-t",
            "built:dev",
            &ctx.to_string_lossy(),
        ])
        .unwrap();
    let built = daemon.json("built:dev");
    assert_eq!(built["target"]["source"], "docker-daemon", "{built:#}");
    let codes: Vec<&str> = built["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["IL201"], "{built:#}");
    assert_eq!(built["verdict"]["stop_signal"], "ignored", "{built:#}");
}

/// Podman's Docker-compatible API, served by the test with a private root.
struct PodmanService {
    child: Child,
    dir: tempfile::TempDir,
}

impl PodmanService {
    fn start() -> Result<PodmanService, String> {
        common::tool("podman", "podman")?;
        let dir = tempfile::tempdir().unwrap();
        let mut service = PodmanService {
            child: Command::new("podman")
                .args(PodmanService::roots(dir.path()))
                .args(["system", "service", "--time=0"])
                .arg(format!(
                    "unix://{}",
                    dir.path().join("podman.sock").display()
                ))
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(dir.path().join("log")).unwrap())
                .spawn()
                .map_err(|e| format!("podman: {e}"))?,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !service.dir.path().join("podman.sock").exists() {
            if Instant::now() > deadline || service.child.try_wait().ok().flatten().is_some() {
                let log =
                    std::fs::read_to_string(service.dir.path().join("log")).unwrap_or_default();
                return Err(format!(
                    "podman system service did not start: {}",
                    log.trim()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(service)
    }

    fn roots(dir: &Path) -> Vec<String> {
        vec![
            "--root".into(),
            dir.join("root").display().to_string(),
            "--runroot".into(),
            dir.join("run").display().to_string(),
        ]
    }
}

impl Drop for PodmanService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn podman_serves_the_same_image_through_its_api() {
    let started = PodmanService::start();
    if !common::require("podman", started.as_ref().map(|_| ()).map_err(Clone::clone)) {
        return;
    }
    let podman = started.unwrap();
    let fx = fixtures();
    let tar = fx.join("script-no-exec.tar");
    let loaded = Command::new("podman")
        .args(PodmanService::roots(podman.dir.path()))
        .args(["load", "-i"])
        .arg(&tar)
        .output()
        .unwrap();
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    let run = |target: &str| -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
            .args(["--format", "json", "--image-src", "podman", target])
            .env(
                "CONTAINER_HOST",
                format!("unix://{}", podman.dir.path().join("podman.sock").display()),
            )
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{target}: {err}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let via_api = run("podman:initlint/script-no-exec:latest");
    assert_eq!(via_api["target"]["source"], "podman", "{via_api:#}");
    let bare = run("initlint/script-no-exec:latest");
    let archive = run(&format!("docker-archive:{}", tar.display()));
    assert_eq!(findings(&via_api), findings(&archive));
    assert_eq!(findings(&bare), findings(&archive));
}

#[test]
fn a_missing_daemon_or_image_is_a_clear_error() {
    // No daemon at all: the socket and where it came from are named.
    let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
        .arg("docker-daemon:app:latest")
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("/nonexistent/docker.sock") && err.contains("DOCKER_HOST"),
        "{err}"
    );
    // A bare name with only unreachable engines to try says what each said.
    let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args(["--image-src", "docker,podman", "app:latest"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("CONTAINER_HOST", "unix:///nonexistent/podman.sock")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("docker.sock") && err.contains("podman.sock"),
        "{err}"
    );
    // A running daemon without the image.
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    let out = daemon.initlint(&["docker-daemon:nothing-here:1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("has no image nothing-here:1"), "{err}");
}

/// A fake engine on a unix socket in `dir`: it answers the ping, and `inspect` answers the
/// rest (the stream, after the request's headers).
fn fake_engine(dir: &Path, inspect: fn(&mut std::os::unix::net::UnixStream)) -> PathBuf {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::net::UnixListener;
    let sock = dir.join("docker.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut request = String::new();
                    if reader.read_line(&mut request).unwrap_or(0) == 0 {
                        return;
                    }
                    // The headers, up to the blank line.
                    let mut line = String::new();
                    while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                        line.clear();
                    }
                    if request.contains("/_ping") {
                        let _ = stream.write_all(
                            b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK",
                        );
                    } else {
                        inspect(&mut stream);
                        return;
                    }
                }
            });
        }
    });
    sock
}

/// An engine that answers its ping and never the inspect: the inspect's own deadline (here
/// the shorter --network-timeout) ends the wait with a clear error, not the whole 600 s.
#[test]
fn an_engine_that_never_answers_inspect_is_a_bounded_error() {
    let dir = tempfile::tempdir().unwrap();
    let sock = fake_engine(dir.path(), |_| {
        std::thread::sleep(std::time::Duration::from_secs(120))
    });
    let err = fails_within(&sock, "3", 20);
    assert!(
        err.contains("inspect app:latest: no answer within 3 s"),
        "{err}"
    );
}

/// `initlint --network-timeout TIMEOUT docker-daemon:app:latest` against the engine at
/// `sock`: it must fail (exit 2) within `secs` seconds. Its stderr.
fn fails_within(sock: &Path, timeout: &str, secs: u64) -> String {
    let t0 = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args(["--network-timeout", timeout, "docker-daemon:app:latest"])
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(secs),
        "{:?}",
        t0.elapsed()
    );
    err
}

/// An engine whose inspect answer never ends (issue 27: 2.35 GB read whole): initlint stops
/// reading at its cap and says so, in seconds and without holding the answer.
#[test]
fn an_endless_inspect_answer_is_cut_at_its_cap() {
    let dir = tempfile::tempdir().unwrap();
    let sock = fake_engine(dir.path(), |stream| {
        use std::io::Write;
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        let chunk = format!("100000\r\n{}\r\n", " ".repeat(0x100000));
        // Until initlint hangs up (a broken pipe), or 4 GiB.
        for _ in 0..4096 {
            if stream.write_all(chunk.as_bytes()).is_err() {
                return;
            }
        }
    });
    let err = fails_within(&sock, "60", 30);
    assert!(
        err.contains("inspect app:latest: the answer is larger than 16 MiB"),
        "{err}"
    );
}
