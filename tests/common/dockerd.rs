//! A private `dockerd` (Debian package docker.io) on its own socket and data root, with no
//! network set-up, for the tests that need a real engine.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A private dockerd, stopped when dropped.
pub struct Dockerd {
    child: Child,
    dir: tempfile::TempDir,
}

impl Dockerd {
    /// A started dockerd, or `None` when the `docker` part is skipped (and it cannot start);
    /// a failure otherwise.
    pub fn required() -> Option<Dockerd> {
        let started = Dockerd::start();
        if !super::require("docker", started.as_ref().map(|_| ()).map_err(Clone::clone)) {
            return None;
        }
        started.ok()
    }

    pub fn start() -> Result<Dockerd, String> {
        super::tool("dockerd", "docker.io")?;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let child = Command::new("dockerd")
            .arg("--host")
            .arg(format!("unix://{}", d.join("docker.sock").display()))
            .arg("--data-root")
            .arg(d.join("data"))
            .arg("--exec-root")
            .arg(d.join("exec"))
            .arg("--pidfile")
            .arg(d.join("pid"))
            .args(["--iptables=false", "--bridge=none"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("log")).unwrap())
            .spawn()
            .map_err(|e| format!("dockerd: {e}"))?;
        let mut daemon = Dockerd { child, dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        while daemon.docker(&["version"]).is_err() {
            if Instant::now() > deadline || daemon.child.try_wait().ok().flatten().is_some() {
                let log =
                    std::fs::read_to_string(daemon.dir.path().join("log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                return Err(format!(
                    "dockerd did not start (run as root?): {}",
                    tail.join(" / ")
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(daemon)
    }

    pub fn host(&self) -> String {
        format!("unix://{}", self.dir.path().join("docker.sock").display())
    }

    /// `skopeo copy` of `name` in the OCI layout `layout` into this engine as `image`.
    pub fn load_oci(&self, layout: &std::path::Path, name: &str, image: &str) {
        let copied = Command::new("skopeo")
            .args(["copy", "-q", "--dest-daemon-host", &self.host()])
            .arg(format!("oci:{}:{name}", layout.display()))
            .arg(format!("docker-daemon:{image}"))
            .output()
            .unwrap();
        assert!(
            copied.status.success(),
            "skopeo copy {name}: {}",
            String::from_utf8_lossy(&copied.stderr)
        );
    }

    pub fn docker(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("docker")
            .args(args)
            .env("DOCKER_HOST", self.host())
            .env("DOCKER_BUILDKIT", "0")
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    pub fn initlint(&self, args: &[&str]) -> std::process::Output {
        let empty = tempfile::tempdir().unwrap();
        Command::new(env!("CARGO_BIN_EXE_initlint"))
            .args(["--color", "never"])
            .args(args)
            .env("DOCKER_HOST", self.host())
            .env("DOCKER_CONFIG", empty.path())
            .output()
            .unwrap()
    }

    pub fn json(&self, target: &str) -> Value {
        let out = self.initlint(&["--format", "json", "--image-src", "docker", target]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{target}: {err}");
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{target}: {e}: {err}"))
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
