//! `verify` runs images it did not build: the container gets only what starting and stopping
//! needs. No network; 256 MiB of memory, 256 processes, one CPU; every capability dropped but
//! those an entrypoint that switches users or fixes ownership needs (chown, setuid/setgid,
//! file owner and permission overrides, kill for an init that signals a child of another
//! user); `no-new-privileges`; a read-only root filesystem with small tmpfs mounts where
//! programs write at start (unless `--writable`). A watchdog process removes the container
//! if initlint itself is killed (`kill -9` included), and containers left by runs killed
//! before the watchdog existed are removed at the next start.

use std::collections::HashMap;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bollard::models::HostConfig;
use bollard::query_parameters::ListContainersOptions;
use bollard::Docker;

use super::LABEL;

/// Capabilities kept (Docker's default set has 14).
pub const CAPABILITIES: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "SETUID",
    "SETGID",
    "KILL",
];
/// Where a read-only root gets a writable tmpfs, and how large each is.
pub const TMPFS: &[&str] = &["/tmp", "/run", "/var/tmp"];
pub const TMPFS_SIZE: &str = "64m";
pub const MEMORY: i64 = 256 << 20;
pub const PIDS: i64 = 256;
pub const NANO_CPUS: i64 = 1_000_000_000;
/// A container of this label older than this is left over, whoever created it: a run lasts
/// at most the settle time (or the health cap), the grace period and the engine's work.
const STALE_AFTER: Duration = Duration::from_secs(3 * 3600);

/// How the container is confined.
#[derive(Debug, Clone, Default)]
pub struct Sandbox {
    /// `--user`: run as this user instead of the image's USER.
    pub user: Option<String>,
    /// `--writable`: a writable root filesystem (a layer on the engine's disk).
    pub writable: bool,
}

impl Sandbox {
    pub fn host_config(&self) -> HostConfig {
        let tmpfs: HashMap<String, String> = TMPFS
            .iter()
            .map(|p| (p.to_string(), format!("rw,nosuid,nodev,size={TMPFS_SIZE}")))
            .collect();
        HostConfig {
            network_mode: Some("none".into()),
            memory: Some(MEMORY),
            memory_swap: Some(MEMORY),
            pids_limit: Some(PIDS),
            nano_cpus: Some(NANO_CPUS),
            init: Some(false),
            cap_drop: Some(vec!["ALL".into()]),
            cap_add: Some(CAPABILITIES.iter().map(|c| c.to_string()).collect()),
            security_opt: Some(vec!["no-new-privileges".into()]),
            readonly_rootfs: Some(!self.writable),
            tmpfs: (!self.writable).then_some(tmpfs),
            ..Default::default()
        }
    }

    /// The sandbox as the report states it; `image_user` is the image's USER.
    pub fn json(&self, image_user: Option<&str>) -> serde_json::Value {
        serde_json::json!({
            "user": self.user_said(image_user),
            "network": "none",
            "memory_mib": MEMORY >> 20,
            "pids": PIDS,
            "cpus": NANO_CPUS / 1_000_000_000,
            "capabilities": CAPABILITIES,
            "no_new_privileges": true,
            "read_only_root": !self.writable,
            "tmpfs": if self.writable { Vec::new() } else { TMPFS.to_vec() },
        })
    }

    /// Who PID 1 runs as, in words.
    pub fn user_said(&self, image_user: Option<&str>) -> String {
        match (&self.user, image_user.filter(|u| !u.is_empty())) {
            (Some(u), _) => format!("{u} (--user)"),
            (None, Some(u)) => format!("{u} (the image's USER)"),
            (None, None) => "root (the image sets no USER; --user to run as another)".into(),
        }
    }

    /// One line for the progress output.
    pub fn describe(&self) -> String {
        format!(
            "no network, {} MiB, {PIDS} processes, 1 CPU, capabilities {}, no-new-privileges, {}",
            MEMORY >> 20,
            CAPABILITIES.join(" ").to_lowercase(),
            if self.writable {
                "writable root".to_string()
            } else {
                format!(
                    "read-only root with {TMPFS_SIZE} tmpfs at {}",
                    TMPFS.join(" ")
                )
            }
        )
    }
}

/// This run's label value: host, pid and a unique part, so a later run can tell whether the
/// run that made a container is still alive.
pub fn run_id(unique: u128) -> String {
    format!("{}:{}:{unique}", hostname(), std::process::id())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// Whether the run that labelled a container `value` is gone: a run on this host whose
/// process is not alive. (A run of another host is judged by the container's age.)
fn run_is_gone(value: &str) -> bool {
    let mut parts = value.split(':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        // The label of a version before the watchdog: `pid-unique`.
        return value
            .split('-')
            .next()
            .and_then(|p| p.parse::<u32>().ok())
            .is_some_and(|p| !alive(p));
    };
    host == hostname() && pid.parse::<u32>().is_ok_and(|p| !alive(p))
}

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Remove the containers of this label whose run is gone, or that are older than any run
/// lasts. Their names.
pub async fn remove_stale(docker: &Docker) -> Vec<String> {
    let options = ListContainersOptions {
        all: true,
        filters: Some([("label".to_string(), vec![LABEL.to_string()])].into()),
        ..Default::default()
    };
    let Ok(list) = docker.list_containers(Some(options)).await else {
        return Vec::new();
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut removed = Vec::new();
    for c in list {
        let value = c
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL))
            .cloned()
            .unwrap_or_default();
        let old = c
            .created
            .is_some_and(|t| now - t > STALE_AFTER.as_secs() as i64);
        let Some(id) = c.id.as_deref() else { continue };
        if old || run_is_gone(&value) {
            super::remove(docker, id).await;
            let name = c
                .names
                .and_then(|n| n.first().cloned())
                .unwrap_or_else(|| id.to_string());
            removed.push(name.trim_start_matches('/').to_string());
        }
    }
    removed
}

/// A process that removes the container when this one ends, however it ends: it waits for
/// its stdin to close, which happens when this process exits, `kill -9` included. Its own
/// process group keeps a Ctrl-C for initlint from reaching it.
pub struct Watchdog(Option<Child>);

impl Watchdog {
    pub fn start(engine: &str, container: &str) -> Watchdog {
        use std::os::unix::process::CommandExt;
        let child = std::env::current_exe().ok().and_then(|exe| {
            Command::new(exe)
                .args(["verify-watch", "--engine", engine, container])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .ok()
        });
        Watchdog(child)
    }

    pub fn running(&self) -> bool {
        self.0.is_some()
    }
}

impl Drop for Watchdog {
    /// The run removed its container itself: the watchdog has nothing to do.
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The watchdog's side: wait for stdin to close, then remove `container`.
pub fn watch(docker: &Docker, runtime: &tokio::runtime::Runtime, container: &str) {
    let mut sink = [0u8; 64];
    let mut stdin = std::io::stdin();
    while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
    runtime.block_on(super::remove(docker, container));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_on_this_host_is_gone_when_its_process_is() {
        let me = run_id(1);
        assert!(!run_is_gone(&me));
        let dead = format!("{}:{}:1", hostname(), u32::MAX - 1);
        assert!(run_is_gone(&dead));
        assert!(!run_is_gone(&format!("elsewhere:{}:1", u32::MAX - 1)));
        assert!(run_is_gone(&format!("{}-123", u32::MAX - 1)));
    }
}
