//! Ground truth: run each fixture image's PID 1 in a real PID namespace (`unshare --pid --fork
//! --mount-proc` + `chroot` into the unpacked rootfs), send its stop signal from outside, and
//! check that initlint's verdict matches what happened: delivered (it exits) vs ignored (it
//! keeps running), and for the forking programs reaped vs leaked (zombies parented to PID 1).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::fixtures;

/// Images whose PID 1 is run; the verdict must be decided (not "unknown") for all but the
/// static ones, which are run to show what initlint cannot know.
const CASES: &[&str] = &[
    "c-handler-dyn",
    "c-nohandler-dyn",
    "tini-nohandler",
    "dumb-init-nohandler",
    "catatonit-nohandler",
    "forker-noreap",
    "forker-reap",
    "busybox-exec-handler",
    "bash-exec-handler",
    "python-nohandler",
    "python-handler",
    "dash-shell-form",
    "script-no-exec",
    "script-exec-ok",
    "go-server",
    "exec-form-ok",
];

fn unshare_works() -> Result<(), String> {
    let out = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .output()
        .map_err(|e| format!("unshare: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// What initlint says about the image.
fn verdict(fx: &Path, name: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args(["--format", "json"])
        .arg(format!(
            "docker-archive:{}",
            fx.join(format!("{name}.tar")).display()
        ))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    v["verdict"].clone()
}

/// The runtime config of an unpacked bundle: argv, env, and the stop signal from the image.
fn unpack(fx: &Path, name: &str, dir: &Path) -> (Vec<String>, Vec<(String, String)>) {
    let bundle = dir.join(name);
    let status = Command::new("umoci")
        .args(["unpack", "--rootless", "--image"])
        .arg(format!("{}:{name}", fx.join("oci").display()))
        .arg(&bundle)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "umoci unpack {name}");
    let cfg: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    let args = cfg["process"]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let env = cfg["process"]["env"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|v| v.as_str()?.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    (args, env)
}

/// Host PIDs whose parent is `ppid`, with their state letter.
fn children(ppid: u32) -> Vec<(u32, char)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid …; comm may contain spaces: split after the last ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let state = f.next().and_then(|s| s.chars().next()).unwrap_or('?');
        if f.next().and_then(|p| p.parse::<u32>().ok()) == Some(ppid) {
            out.push((pid, state));
        }
    }
    out
}

struct Run {
    unshare: Child,
    pid1: u32,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
    }
}

fn start(rootfs: &Path, argv: &[String], env: &[(String, String)]) -> Run {
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child"])
        // Absolute: the environment below is the image's, and chroot lives in /usr/sbin.
        .arg("/usr/sbin/chroot")
        .arg(rootfs)
        .args(argv)
        .env_clear()
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut unshare = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let pid1 = loop {
        if let Some((pid, _)) = children(unshare.id()).first() {
            break *pid;
        }
        if let Some(status) = unshare.try_wait().unwrap() {
            panic!("unshare exited at once ({status}) for {argv:?}");
        }
        assert!(Instant::now() < deadline, "PID 1 did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    Run { unshare, pid1 }
}

#[test]
fn verdicts_match_what_happens_in_a_real_pid_namespace() {
    let unshare = unshare_works().map_err(|e| {
        format!("unshare --pid --fork --mount-proc is not permitted here (run as root): {e}")
    });
    if !common::require("unshare", unshare.and(common::tool("umoci", "umoci"))) {
        return;
    }
    let fx = fixtures();
    let tmp = tempfile::tempdir().unwrap();
    let mut decided = 0;
    let mut table = Vec::new();
    for name in CASES {
        if !fx.join(format!("{name}.tar")).exists() {
            // Only the Go fixture can be absent, and only with INITLINT_TEST_SKIP=go.
            assert!(
                *name == "go-server" && !common::require("go", Err("not built".into())),
                "{name}: fixture not built"
            );
            continue;
        }
        let v = verdict(fx, name);
        let (argv, env) = unpack(fx, name, tmp.path());
        let rootfs = tmp.path().join(name).join("rootfs");
        let mut run = start(&rootfs, &argv, &env);
        // Let it start (python imports its stdlib) and fork its children.
        std::thread::sleep(Duration::from_millis(1500));
        assert!(
            run.unshare.try_wait().unwrap().is_none(),
            "{name}: PID 1 exited before the stop signal: {argv:?}"
        );
        let zombies = children(run.pid1).iter().filter(|(_, s)| *s == 'Z').count();
        let signal = v["signal"].as_str().unwrap().to_string();
        let sent = Command::new("kill")
            .args(["-s", signal.trim_start_matches("SIG")])
            .arg(run.pid1.to_string())
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(3);
        let exited = loop {
            if run.unshare.try_wait().unwrap().is_some() {
                break true;
            }
            if Instant::now() > deadline {
                break false;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let measured = if exited { "delivered" } else { "ignored" };
        let said = v["stop_signal"].as_str().unwrap();
        table.push(format!(
            "{name:<22} initlint: {said:<9} measured: {measured:<9} zombies: initlint {:<8} measured {zombies}",
            v["zombies"].as_str().unwrap()
        ));
        if said == "unknown" {
            continue;
        }
        decided += 1;
        assert_eq!(said, measured, "{name}: verdict {v:#}");
        match v["zombies"].as_str().unwrap() {
            "may-leak" => assert!(zombies > 0, "{name}: predicted zombies, saw none"),
            "reaped" => assert_eq!(zombies, 0, "{name}: predicted none, saw {zombies}"),
            _ => {}
        }
        drop(run);
    }
    println!("{}", table.join("\n"));
    assert!(
        decided >= 12,
        "only {decided} decided cases:\n{}",
        table.join("\n")
    );
}
