//! `initlint verify` against a real engine: a private `dockerd` started by the test, the
//! project's fixture images loaded into it. What verify measures must be what the ground truth
//! (tests/ground_truth.rs, PID 1 in a real PID namespace) measured for the same image, and
//! where the static verdict is decided, verify must find that they agree. Then: Ctrl-C in the
//! middle of an experiment leaves no container behind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::dockerd::Dockerd;
use serde_json::Value;

/// Every image tests/ground_truth.rs runs as PID 1 in a real PID namespace. That test asserts
/// its measurement equals every decided static verdict; here verify's measurement must agree
/// with the same static verdicts, so it equals the ground truth's too.
const GROUND_TRUTH: &[&str] = &[
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
    "dash-unresolved-child",
    "busybox-cd-handler",
    "trap-foreground",
    "trap-background-wait",
    "tini-script-noexec",
    "dumb-init-script-noexec",
    "tini-g-script-noexec",
    "busybox-sleep",
    "bash-bg-list",
    "waiter-own-child",
    "static-sigint-only",
    "static-stripped",
    "python-execv-handler",
    "python-handler-in-module",
    "su-dash-handler",
    "su-bash-handler",
    "runuser-handler",
    "static-stripped-nohandler",
    "static-stripped-reaper",
    "static-musl-stripped-handler",
    "static-musl-stripped-sleeper",
    "bash-sleep",
    "busybox-echo-sleep",
    "tini-trap-ignore",
    "tini-trap-ignore-handler",
];

/// And, for some, the numbers the ground truth printed: SIGKILL needed, zombies left by the
/// 2 orphans (forker-noreap leaves 3 of its own as well). static-stripped is static and
/// stripped: its verdict rests on the system calls its libc makes.
const CASES: &[(&str, bool, usize)] = &[
    ("static-stripped", false, 2),
    ("c-handler-dyn", false, 2),
    ("c-nohandler-dyn", true, 2),
    ("tini-nohandler", false, 0),
    ("forker-reap", false, 0),
    ("forker-noreap", true, 5),
    ("dash-shell-form", true, 0),
    ("script-exec-ok", false, 2),
    ("tini-script-noexec", false, 0),
    ("busybox-sleep", true, 2),
];

fn load(daemon: &Dockerd, name: &str) -> String {
    let tar = common::fixtures().join(format!("{name}.tar"));
    let out = daemon
        .docker(&["load", "-i", &tar.display().to_string()])
        .unwrap();
    assert!(out.contains("Loaded image"), "{out}");
    format!("initlint/{name}")
}

fn verify(daemon: &Dockerd, image: &str) -> (Option<i32>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args([
            "verify", "--format", "json", "--settle", "1", "--grace", "2", image,
        ])
        .env("DOCKER_HOST", daemon.host())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{image}: {e}: {err}"));
    (out.status.code(), doc)
}

fn leftovers(daemon: &Dockerd) -> String {
    daemon
        .docker(&[
            "ps",
            "-a",
            "--filter",
            "label=org.initlint.verify",
            "--format",
            "{{.Names}}",
        ])
        .unwrap()
}

#[test]
fn verify_measures_what_the_ground_truth_measured() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    let mut table = Vec::new();
    for name in GROUND_TRUTH {
        let tar = common::fixtures().join(format!("{name}.tar"));
        // The Go fixture is built only when Go is (INITLINT_TEST_SKIP=go says so).
        if !tar.exists() && *name == "go-server" {
            continue;
        }
        let image = load(&daemon, name);
        let t0 = Instant::now();
        let (code, doc) = verify(&daemon, &image);
        let took = t0.elapsed();
        let m = &doc["measured"];
        let killed = m["killed"].as_bool().unwrap();
        let zombies = m["zombies"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: {m}"));
        if let Some((_, want_killed, want_zombies)) = CASES.iter().find(|c| c.0 == *name) {
            assert_eq!(killed, *want_killed, "{name}: {m}");
            assert_eq!(zombies, *want_zombies as u64, "{name}: {m}");
        }
        assert_eq!(m["stop_signal"], "SIGTERM", "{name}");
        assert!(
            m["latency_ms"].as_u64().is_some() && m["pid1"].as_str().is_some_and(|p| !p.is_empty())
        );
        // Decided static verdicts agree with what happened.
        let decided =
            doc["static"]["stop_signal"] != "unknown" || doc["static"]["zombies"] != "unknown";
        if decided {
            assert_eq!(
                doc["agree"], true,
                "{name}: static {} vs measured {m}",
                doc["static"]
            );
        } else {
            assert!(doc["agree"].is_null(), "{name}");
        }
        // The gate: exit 1 when SIGKILL was needed or zombies stayed.
        assert_eq!(code, Some(i32::from(killed || zombies > 0)), "{name}");
        table.push(format!(
            "| {name} | {}/{} | {}/{zombies} | {} ms |",
            doc["static"]["stop_signal"].as_str().unwrap_or("?"),
            doc["static"]["zombies"].as_str().unwrap_or("?"),
            if killed { "killed" } else { "stopped" },
            took.as_millis()
        ));
    }
    eprintln!("{}", table.join("\n"));
    assert_eq!(leftovers(&daemon).trim(), "", "containers left behind");
}

#[test]
fn ctrl_c_or_sigterm_mid_experiment_leaves_no_container() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    let image = load(&daemon, "c-nohandler-dyn");
    // Ctrl-C in a terminal, and SIGTERM from a cancelled CI job.
    for signal in ["-INT", "-TERM"] {
        // Wait until its container exists, then interrupt it.
        let child = verify_in_progress(&daemon, &image);
        let sent = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{signal}: {err}");
        assert!(err.contains("the container was removed"), "{err}");
        assert_eq!(leftovers(&daemon).trim(), "", "{signal} left its container");
    }
}

#[test]
fn the_action_verifies_image_targets_when_asked() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    let image = load(&daemon, "tini-nohandler");
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_initlint"), root.join("bin/initlint")).unwrap();
    let (outputs, summary) = (tmp.path().join("out"), tmp.path().join("summary"));
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(repo.join("action/run.sh"))
        .current_dir(tmp.path())
        .env("GITHUB_ACTION_PATH", repo)
        .env("INITLINT_ROOT", &root)
        .env("INPUT_TARGET", &image)
        .env("INPUT_VERIFY", "true")
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("DOCKER_HOST", daemon.host())
        .env("DOCKER_CONFIG", empty.path())
        .env_remove("INITLINT_FAILURE_THRESHOLD")
        .output()
        .unwrap();
    let summary = std::fs::read_to_string(&summary).unwrap_or_default();
    let log = format!(
        "{}{}\n{summary}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(summary.contains("## initlint verify"), "{log}");
    assert!(
        summary.contains(&format!("- `{image}`: SIGTERM stopped in"))
            && summary.contains("zombies left: 0; agrees with the static verdict: yes"),
        "{log}"
    );
    let outputs = std::fs::read_to_string(&outputs).unwrap();
    assert!(outputs.ends_with("exit-code=0\n"), "{outputs}");
    assert_eq!(leftovers(&daemon).trim(), "");
}

#[test]
fn build_then_verify() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    let base = load(&daemon, "c-handler-dyn");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {base}\nLABEL built=by-verify\n"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args([
            "verify", "--format", "json", "--settle", "1", "--grace", "2", "--build",
        ])
        .arg(dir.path())
        .arg("app:built")
        .env("DOCKER_HOST", daemon.host())
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert!(err.contains("docker build"), "{err}");
    assert_eq!(doc["measured"]["killed"], false, "{doc}");
    assert_eq!(doc["agree"], true, "{doc}");
    // The tag was given to the image built.
    assert!(daemon.docker(&["image", "inspect", "app:built"]).is_ok());
    assert_eq!(leftovers(&daemon).trim(), "");
}

/// IL307's ground truth: health checks that outlive their timeout, run for real by the
/// engine beside a PID 1 that does not reap (python, busybox's `sleep`). The engine kills the
/// check process at the timeout; when that process is a shell that kept the program as its
/// child (dash always; busybox ash for a pipeline), the program is re-parented to PID 1 and
/// stays a zombie once it exits. In exec form, or when busybox execs a simple command, the
/// killed process is the program itself and nothing is left. The static finding must match.
#[test]
fn health_checks_that_time_out_leave_zombies_where_il307_says() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    let python = load(&daemon, "python-nohandler");
    let busybox = load(&daemon, "busybox-sleep");
    let check = "HEALTHCHECK --interval=1s --timeout=1s CMD";
    let cases = [
        (
            "dash-shell-form",
            &python,
            format!("{check} /usr/bin/python3.11 -c \"import time; time.sleep(3)\""),
            true,
        ),
        (
            "dash-exec-form",
            &python,
            format!("{check} [\"/usr/bin/python3.11\", \"-c\", \"import time; time.sleep(3)\"]"),
            false,
        ),
        (
            "busybox-simple",
            &busybox,
            format!("{check} sleep 3"),
            false,
        ),
        (
            "busybox-pipeline",
            &busybox,
            format!("{check} sleep 3 | cat"),
            true,
        ),
    ];
    let mut running = Vec::new();
    for (name, base, line, leaks) in &cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Dockerfile"),
            format!("FROM {base}\n{line}\n"),
        )
        .unwrap();
        let tag = format!("initlint-hc/{name}:latest");
        let ctx = dir.path().display().to_string();
        daemon
            .docker(&["build", "-q", "--network", "none", "-t", &tag, &ctx])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let doc = daemon.json(&tag);
        let il307 = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "IL307");
        assert_eq!(il307, *leaks, "{name}: {:?}", common::findings(&doc));
        assert_eq!(doc["verdict"]["zombies"], "may-leak", "{name}");
        let id = daemon
            .docker(&[
                "run",
                "-d",
                "--network",
                "none",
                "--name",
                &format!("hc-{name}"),
                &tag,
            ])
            .unwrap();
        running.push((name, leaks, id.trim().to_string()));
    }
    // Checks start at 1 s, time out at 2 s, and the orphaned program exits 3 s later.
    std::thread::sleep(Duration::from_secs(10));
    let mut table = Vec::new();
    for (name, leaks, id) in running {
        let pid: u32 = daemon
            .docker(&["inspect", "-f", "{{.State.Pid}}", &id])
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let zombies = initlint::verify::zombie_children(pid);
        daemon.docker(&["rm", "-f", &id]).unwrap();
        table.push(format!("{name}: {zombies} zombies, IL307 {leaks}"));
        assert_eq!(zombies > 0, *leaks, "{name}: {zombies} zombies under PID 1");
    }
    eprintln!("{}", table.join("\n"));
}

/// `sh -c '…; sleep 1000'`: the last `sleep` is the program. busybox ash execs it, even after
/// a background job, so `sleep` is PID 1: it drops SIGTERM and reaps nothing (measured here,
/// and the static verdict of the same overridden launch must agree).
#[test]
fn a_last_sleep_in_a_shell_string_is_pid_1_under_busybox() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    let image = load(&daemon, "busybox-sleep");
    for string in ["echo ready; sleep 1000", "/app/handler & sleep 1000"] {
        let cmd = serde_json::to_string(&["-c", string]).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
            .args([
                "verify", "--format", "json", "--settle", "1", "--grace", "2",
            ])
            .args(["--entrypoint", "/bin/sh", "--cmd", &cmd, &image])
            .env("DOCKER_HOST", daemon.host())
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{string}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        let m = &doc["measured"];
        assert_eq!(m["pid1"], "sleep 1000", "{string}: {m}");
        assert_eq!(m["killed"], true, "{string}: {m}");
        assert_eq!(m["zombies"], 2, "{string}: {m}");
        assert_eq!(
            doc["static"]["pid1"], "sleep (ELF static)",
            "{string}: {}",
            doc["static"]
        );
        assert_eq!(doc["static"]["zombies"], "may-leak", "{string}");
        assert_eq!(doc["agree"], true, "{string}: {doc}");
    }
    assert_eq!(leftovers(&daemon).trim(), "");
}

/// `trap '' TERM` sets SIG_IGN, which a shell's children keep across fork and exec: tini
/// forwards SIGTERM to a process that ignores it, and nothing stops until SIGKILL, unless the
/// program installs its own handler. Measured with tini and dash; the static verdicts of the
/// same launches must agree.
#[test]
fn an_ignored_stop_signal_is_inherited_under_tini() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    let image = load(&daemon, "tini-nohandler");
    let cases = [
        // dash stays and dies of the forwarded signal: the app is SIGKILLed.
        ("/app/sleeper --serve", "abrupt", false),
        ("trap '' TERM; /app/sleeper --serve", "ignored", true),
        ("trap '' TERM; exec /app/sleeper --serve", "ignored", true),
        // The handler replaces the inherited SIG_IGN.
        ("trap '' TERM; exec /app/handler", "delivered", false),
        // Behind a shell that ignores it, the handler is never sent it.
        ("trap '' TERM; /app/handler", "ignored", true),
    ];
    for (string, fate, killed) in cases {
        let cmd = serde_json::to_string(&["/bin/sh", "-c", string]).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
            .args([
                "verify", "--format", "json", "--settle", "1", "--grace", "2",
            ])
            .args(["--cmd", &cmd, &image])
            .env("DOCKER_HOST", daemon.host())
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{string}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(
            doc["static"]["stop_signal"], fate,
            "{string}: {}",
            doc["static"]
        );
        assert_eq!(
            doc["measured"]["killed"], killed,
            "{string}: {}",
            doc["measured"]
        );
        assert_eq!(doc["agree"], true, "{string}: {doc}");
    }
    assert_eq!(leftovers(&daemon).trim(), "");
}

/// `initlint verify --settle 60 IMAGE`, returned once its container exists.
fn verify_in_progress(daemon: &Dockerd, image: &str) -> std::process::Child {
    let child = Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args(["verify", "--settle", "60", image])
        .env("DOCKER_HOST", daemon.host())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while leftovers(daemon).trim().is_empty() {
        assert!(Instant::now() < deadline, "no container appeared");
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

/// `kill -9` of initlint cannot be caught: the watchdog it started removes the container.
/// While it runs, the container is confined as the README says.
#[test]
fn the_container_is_sandboxed_and_kill_9_leaves_nothing() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    let image = load(&daemon, "c-nohandler-dyn");
    let child = verify_in_progress(&daemon, &image);
    let id = leftovers(&daemon)
        .trim()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let inspect: Value = serde_json::from_str(&daemon.docker(&["inspect", &id]).unwrap()).unwrap();
    let host = &inspect[0]["HostConfig"];
    assert_eq!(host["ReadonlyRootfs"], true, "{host}");
    assert_eq!(host["CapDrop"], serde_json::json!(["ALL"]), "{host}");
    assert_eq!(
        host["SecurityOpt"],
        serde_json::json!(["no-new-privileges"])
    );
    assert_eq!(host["NetworkMode"], "none");
    assert_eq!(host["PidsLimit"], 256);
    assert_eq!(host["Memory"], 256 << 20);
    assert_eq!(host["NanoCpus"], 1_000_000_000);
    assert!(
        host["Tmpfs"]["/tmp"].as_str().unwrap().contains("size=64m"),
        "{host}"
    );
    // kill -9 of initlint alone (not its process group): the watchdog is left to act.
    let sent = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut child = child;
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !leftovers(&daemon).trim().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the container outlived the killed run: {}",
            leftovers(&daemon)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A container left by a run killed before it could clean up (an older initlint, or a
/// watchdog that was killed too) is removed when the next verify starts, and said so; one of
/// a run still alive is not touched.
#[test]
fn containers_of_killed_runs_are_removed_at_the_next_start() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    let image = load(&daemon, "c-handler-dyn");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let dead = format!("org.initlint.verify={}:{}:1", host.trim(), u32::MAX - 1);
    let alive = format!(
        "org.initlint.verify={}:{}:2",
        host.trim(),
        std::process::id()
    );
    for (name, label) in [("stale-left", &dead), ("still-running", &alive)] {
        daemon
            .docker(&["create", "--name", name, "--label", label, &image])
            .unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args([
            "verify", "--format", "json", "--settle", "1", "--grace", "2", &image,
        ])
        .env("DOCKER_HOST", daemon.host())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert_eq!(
        doc["measured"]["stale_removed"],
        serde_json::json!(["stale-left"]),
        "{doc}"
    );
    assert!(
        err.contains("removed stale-left, a container left by an earlier run that was killed"),
        "{err}"
    );
    assert_eq!(doc["measured"]["watchdog"], true);
    assert!(daemon.docker(&["inspect", "stale-left"]).is_err());
    assert!(daemon.docker(&["inspect", "still-running"]).is_ok());
    daemon.docker(&["rm", "-f", "still-running"]).unwrap();
}

/// The root filesystem is read-only (writes go to the tmpfs at /tmp, /run, /var/tmp), unless
/// `--writable`; `--user` runs PID 1 as another user, and the report says who ran it.
#[test]
fn a_read_only_root_and_the_user_are_stated() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    let image = load(&daemon, "busybox-sleep");
    let run = |extra: &[&str], script: &str| -> (Option<i32>, Value, String) {
        let entrypoint = serde_json::json!(["/bin/sh", "-c", script]).to_string();
        let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
            .args([
                "verify", "--format", "json", "--settle", "1", "--grace", "2",
            ])
            .args(["--entrypoint", &entrypoint])
            .args(extra)
            .arg(&image)
            .env("DOCKER_HOST", daemon.host())
            .output()
            .unwrap();
        let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (
            out.status.code(),
            doc,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Writing to / fails, so the container exits before it can be stopped.
    let (code, _, err) = run(&[], "echo x > /probe && exec /app/handler");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not running after the settle time"), "{err}");
    assert!(err.contains("--writable gives it a writable root"), "{err}");
    assert!(err.contains("Read-only file system"), "{err}");
    // /tmp is a tmpfs: the handler runs and stops.
    let (code, doc, err) = run(&[], "echo x > /tmp/probe && exec /app/handler");
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(doc["measured"]["killed"], false, "{doc}");
    assert_eq!(doc["measured"]["sandbox"]["read_only_root"], true);
    assert!(doc["measured"]["sandbox"]["user"]
        .as_str()
        .unwrap()
        .starts_with("root"));
    // --writable: the same write to / works.
    let (_, doc, err) = run(&["--writable"], "echo x > /probe && exec /app/handler");
    assert_eq!(doc["measured"]["killed"], false, "{err}");
    assert_eq!(doc["measured"]["sandbox"]["read_only_root"], false);
    // --user: PID 1 is that user; the report says so.
    let (_, doc, err) = run(
        &["--user", "65534:65534"],
        "id -u > /tmp/u; exec /app/handler",
    );
    assert_eq!(
        doc["measured"]["sandbox"]["user"], "65534:65534 (--user)",
        "{err}"
    );
    assert_eq!(doc["measured"]["killed"], false, "{doc}");
    assert_eq!(leftovers(&daemon).trim(), "");
}

/// Every application server of testdata/images/apps.sh (issue 26): verify, in a real
/// container with docker stop's 10 s, agrees with the static verdict as the ground truth does
/// in bare namespaces. Writable: npm writes its log under /root.
#[test]
fn verify_agrees_on_the_application_servers() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    let layout = common::fixtures().join("apps");
    let mut table = Vec::new();
    for &(name, _) in common::APP_CASES {
        let image = format!("initlint/{name}:latest");
        daemon.load_oci(&layout, name, &image);
        let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
            .args([
                "verify",
                "--format",
                "json",
                "--writable",
                "--settle",
                "3",
                "--grace",
                "10",
            ])
            .arg(format!("docker-daemon:{image}"))
            .env("DOCKER_HOST", daemon.host())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let doc: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{name}: {e}: {err}"));
        assert_ne!(doc["static"]["stop_signal"], "unknown", "{name}: {doc:#}");
        assert_eq!(
            doc["agree"], true,
            "{name}: static {} vs measured {}",
            doc["static"], doc["measured"]
        );
        table.push(format!(
            "| {name} | {}/{} | killed {}, zombies {} |",
            doc["static"]["stop_signal"].as_str().unwrap_or("?"),
            doc["static"]["zombies"].as_str().unwrap_or("?"),
            doc["measured"]["killed"],
            doc["measured"]["zombies"]
        ));
    }
    eprintln!("{}", table.join("\n"));
    assert_eq!(leftovers(&daemon).trim(), "", "containers left behind");
}
