//! Ground truth: run each fixture image's PID 1 in real PID and network namespaces (`unshare --pid --net --fork
//! --mount-proc` + `unshare --root --wd` into the unpacked rootfs), send its stop signal from outside, and
//! check that initlint's verdict matches what happened: delivered (it exits) vs ignored (it
//! keeps running), and for the forking programs reaped vs leaked (zombies parented to PID 1).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::fixtures;

/// Images whose PID 1 is run, and whether their application is the `handler` program, which
/// says on stderr when it has shut down cleanly after the stop signal (so a prompt stop where
/// it was SIGKILLed before that is told apart: `abrupt`). The verdict must be decided (not "unknown") for all but the static
/// ones, which are run to show what initlint cannot know.
const CASES: &[(&str, bool)] = &[
    ("c-handler-dyn", true),
    ("c-nohandler-dyn", false),
    ("tini-nohandler", false),
    ("dumb-init-nohandler", false),
    ("catatonit-nohandler", false),
    ("forker-noreap", false),
    ("forker-reap", false),
    ("busybox-exec-handler", true),
    ("bash-exec-handler", true),
    ("python-nohandler", false),
    ("python-handler", false),
    ("dash-shell-form", false),
    ("script-no-exec", false),
    ("script-exec-ok", true),
    ("go-server", false),
    ("exec-form-ok", true),
    ("dash-unresolved-child", true),
    ("busybox-cd-handler", true),
    ("script-env-unset", true),
    ("script-env-set", true),
    ("trap-foreground", true),
    ("trap-background-wait", true),
    ("tini-script-noexec", true),
    ("dumb-init-script-noexec", true),
    ("tini-g-script-noexec", true),
    ("busybox-sleep", false),
    ("bash-bg-list", true),
    ("bash-sleep", false),
    ("busybox-echo-sleep", false),
    ("tini-trap-ignore", false),
    ("tini-trap-ignore-handler", true),
    ("waiter-own-child", false),
    ("static-sigint-only", false),
    ("static-stripped", true),
    ("static-stripped-nohandler", false),
    ("static-stripped-reaper", false),
    ("static-musl-stripped-handler", true),
    ("static-musl-stripped-sleeper", false),
    ("python-execv-handler", true),
    ("python-handler-in-module", false),
    ("su-dash-handler", true),
    ("su-bash-handler", true),
    ("runuser-handler", true),
    // Judged from its top layer alone (the base, with the shell, is skipped): the answer
    // read from part of the image must be what the whole image does.
    ("static-on-top", true),
];

fn unshare_works() -> Result<(), String> {
    let out = Command::new("unshare")
        .args([
            "--pid",
            "--fork",
            "--mount-proc",
            "--net",
            "/usr/sbin/ip",
            "link",
            "set",
            "lo",
            "up",
        ])
        .output()
        .map_err(|e| format!("unshare: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// What initlint says about the image `target`.
fn verdict(target: &str, name: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args(["--format", "json", target])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    v["verdict"].clone()
}

/// The runtime config of an image of the OCI layout, unpacked.
struct Process {
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// The image's WorkingDir ("/" when it sets none).
    cwd: String,
}

fn unpack(layout: &Path, name: &str, dir: &Path) -> Process {
    let bundle = dir.join(name);
    let status = Command::new("umoci")
        .args(["unpack", "--rootless", "--image"])
        .arg(format!("{}:{name}", layout.display()))
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
    let cwd = cfg["process"]["cwd"].as_str().unwrap_or("/").to_string();
    Process { args, env, cwd }
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

fn appending(log: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap()
}

fn start(rootfs: &Path, process: &Process, log: &Path) -> Run {
    let argv = &process.args;
    let mut cmd = Command::new("unshare");
    // A runtime gives the container a /dev (dash's `cmd &` opens /dev/null): bind the host's
    // in the new mount namespace, then exec unshare again, which only changes root and working
    // directory and execs PID 1 (same PID throughout).
    // And a /proc of the new PID namespace (/dev/stderr is a link into it).
    std::fs::create_dir_all(rootfs.join("dev")).unwrap();
    std::fs::create_dir_all(rootfs.join("proc")).unwrap();
    // A network namespace of its own too, as a container has: servers bind 127.0.0.1:8000
    // without meeting the host's (or another run's) port.
    cmd.args(["--pid", "--fork", "--mount-proc", "--net", "--kill-child"])
        // Absolute: the environment below is the image's.
        .args([
            "/bin/sh",
            "-c",
            r#"/usr/sbin/ip link set lo up && /usr/bin/mount --bind /dev "$0/dev" && /usr/bin/mount -t proc proc "$0/proc" && exec /usr/bin/unshare --root "$0" --wd "$@""#,
        ])
        .arg(rootfs)
        .arg(&process.cwd)
        .args(argv)
        .env_clear()
        .envs(process.env.iter().cloned())
        .stdin(Stdio::null())
        // Both streams in the log (appending, so neither overwrites the other): servers say
        // they are ready on either.
        .stdout(appending(log))
        .stderr(appending(log));
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

/// The verdicts against the measurements, a row per image.
#[derive(Default)]
struct Tally {
    decided: usize,
    table: Vec<String>,
    wrong: Vec<String>,
}

impl Tally {
    /// Compares initlint's verdict `v` on `name` with what was measured. `marks`: the
    /// application says "handler: clean exit" when it shut down on the signal, so a prompt
    /// stop that SIGKILLed it first is told apart (`abrupt`).
    fn judge(&mut self, name: &str, v: &Value, m: &Measured, marks: bool) {
        let stop = if !m.exited {
            "ignored"
        } else if marks && !m.app_got_signal {
            "abrupt"
        } else {
            "delivered"
        };
        let said = v["stop_signal"].as_str().unwrap();
        let zombies_said = v["zombies"].as_str().unwrap();
        self.table.push(format!(
            "{name:<24} stop: initlint {said:<9} measured {stop:<9}  zombies: initlint {zombies_said:<8} measured {}",
            m.zombies
        ));
        if said == "unknown" {
            return;
        }
        self.decided += 1;
        if said != stop {
            self.wrong.push(format!(
                "{name}: stop signal {said}, measured {stop}: {v:#}"
            ));
        }
        let zombies_ok = match zombies_said {
            "may-leak" => m.zombies > 0,
            "reaped" => m.zombies == 0,
            _ => true,
        };
        if !zombies_ok {
            self.wrong.push(format!(
                "{name}: zombies {zombies_said}, measured {}: {v:#}",
                m.zombies
            ));
        }
    }

    /// Every decided verdict matched, and at least `min` were decided.
    fn check(&self, min: usize) {
        let table = self.table.join("\n");
        println!("{table}");
        assert!(
            self.wrong.is_empty(),
            "{}\n\n{table}",
            self.wrong.join("\n")
        );
        assert!(
            self.decided >= min,
            "only {} decided cases:\n{table}",
            self.decided
        );
    }
}

/// One measurement at a time: a stop is timed (3 s), and a second namespace starting python
/// beside it on a 2-core machine would only add noise.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn can_run_pid1() -> bool {
    let unshare = unshare_works().map_err(|e| {
        format!("unshare --pid --fork --mount-proc --net with `ip link set lo up` does not work here (run as root; iproute2): {e}")
    });
    common::require("unshare", unshare.and(common::tool("umoci", "umoci")))
}

#[test]
fn verdicts_match_what_happens_in_a_real_pid_namespace() {
    if !can_run_pid1() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let fx = fixtures();
    let layout = fx.join("oci");
    let tmp = tempfile::tempdir().unwrap();
    let mut tally = Tally::default();
    for &(name, marks) in CASES {
        let archive = fx.join(format!("{name}.tar"));
        if !archive.exists() {
            // Only the Go fixture can be absent, and only with INITLINT_TEST_SKIP=go.
            assert!(
                name == "go-server" && !common::require("go", Err("not built".into())),
                "{name}: fixture not built"
            );
            continue;
        }
        let v = verdict(&format!("docker-archive:{}", archive.display()), name);
        // The C programs and shells stop at once, or never.
        let m = measure(&layout, name, tmp.path(), &v, None, Duration::from_secs(3));
        tally.judge(name, &v, &m, marks);
    }
    tally.check(32);
}

const GRACE: Duration = Duration::from_secs(10);

/// Issue 26: the programs people really run, each decided and each right.
#[test]
fn application_servers_stop_as_initlint_says() {
    if !can_run_pid1() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let layout = fixtures().join("apps");
    let tmp = tempfile::tempdir().unwrap();
    let mut tally = Tally::default();
    for &(name, ready) in common::APP_CASES {
        let v = verdict(&format!("oci:{}:{name}", layout.display()), name);
        // A server's graceful stop takes its time (celery's warm shutdown ~4 s): docker stop's
        // default grace period.
        let m = measure(&layout, name, tmp.path(), &v, Some(ready), GRACE);
        // python3 -m http.server and flask run print nothing on a clean exit of their own:
        // every app of this list has the exit hook, so all are judged with it.
        tally.judge(name, &v, &m, true);
    }
    tally.check(common::APP_CASES.len());
}

/// What happened to one image's PID 1.
struct Measured {
    /// It exited within the grace period after the stop signal.
    exited: bool,
    /// The `handler` application got the signal and finished its (half-second) shutdown.
    app_got_signal: bool,
    /// Zombies parented to PID 1 after orphans were left to it (as `docker exec` does).
    zombies: usize,
}

/// Runs `name` of `layout` as PID 1. `ready`: a line it prints once it serves, waited for
/// (at most 30 s) before the 1.5 s every image is given to fork its children. `grace`: how
/// long it has to exit after the stop signal.
fn measure(
    layout: &Path,
    name: &str,
    tmp: &Path,
    v: &Value,
    ready: Option<&str>,
    grace: Duration,
) -> Measured {
    let process = unpack(layout, name, tmp);
    let rootfs = tmp.join(name).join("rootfs");
    let log = tmp.join(format!("{name}.stderr"));
    let mut run = start(&rootfs, &process, &log);
    if let Some(ready) = ready {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains(ready)
        {
            assert!(
                run.unshare.try_wait().unwrap().is_none(),
                "{name}: PID 1 exited before it was ready: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            assert!(
                Instant::now() < deadline,
                "{name}: not ready in 30 s (no {ready:?}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    // Let it start (python imports its stdlib) and fork its children.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        run.unshare.try_wait().unwrap().is_none(),
        "{name}: PID 1 exited before the stop signal: {:?}: {}",
        process.args,
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    orphan_into(run.pid1);
    std::thread::sleep(Duration::from_millis(800));
    let zombies = children(run.pid1).iter().filter(|(_, s)| *s == 'Z').count();
    let signal = v["signal"].as_str().unwrap().to_string();
    // The shell's builtin kill: /bin/kill (procps) is not on a minimal Debian.
    let sent = Command::new("/bin/sh")
        .args([
            "-c",
            r#"kill -s "$0" "$1""#,
            signal.trim_start_matches("SIG"),
        ])
        .arg(run.pid1.to_string())
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + grace;
    let exited = loop {
        if run.unshare.try_wait().unwrap().is_some() {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(run);
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    Measured {
        exited,
        app_got_signal: said.contains("handler: clean exit"),
        zombies,
    }
}

/// Leave two orphans to the namespace's PID 1, as a `docker exec` session or a timed-out
/// health check does: a process entered into the namespace starts a short child and exits
/// first, so the child is re-parented to PID 1 and dies there. Only a PID 1 that waits for
/// any child reaps them. (The host's sh and sleep; nsenter changes only the PID namespace.)
fn orphan_into(pid1: u32) {
    for _ in 0..2 {
        let status = Command::new("nsenter")
            .args([
                "-t",
                &pid1.to_string(),
                "-p",
                "--",
                "/bin/sh",
                "-c",
                "sleep 0.2 & exit 0",
            ])
            .status()
            .unwrap();
        assert!(status.success(), "nsenter into {pid1}");
    }
}
