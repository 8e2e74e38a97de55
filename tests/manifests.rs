//! Compose files and Kubernetes manifests over fixture images loaded into a private dockerd.
//! Each case is written next to its equivalent `docker run` (the flags `initlint verify`
//! takes); verify runs that container, stops it as `docker stop` does and counts zombies, and
//! the verdict initlint gives for the manifest must be the one measured.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use serde_json::Value;

mod common;
use common::dockerd::Dockerd;

struct Case {
    name: &'static str,
    format: &'static str,
    /// The manifest, with `IMAGE` for the image.
    manifest: &'static str,
    image: &'static str,
    /// The equivalent `docker run` flags.
    run: &'static [&'static str],
    stop: &'static str,
    zombies: &'static str,
    /// A rule the manifest must trigger, if any.
    code: Option<&'static str>,
}

const CASES: &[Case] = &[
    // Compose splits a string with no shell and stops at `&&`: only /app/handler runs.
    Case {
        name: "compose-string-cut",
        format: "compose",
        manifest: "services:\n  app:\n    image: IMAGE\n    command: /app/handler && echo started\n",
        image: "busybox-sleep",
        run: &["--cmd", r#"["/app/handler"]"#],
        stop: "delivered",
        zombies: "may-leak",
        code: Some("IL401"),
    },
    // init: true puts docker-init in front of the image's `sleep`: it forwards and reaps.
    Case {
        name: "compose-init",
        format: "compose",
        manifest: "services:\n  app:\n    image: IMAGE\n    init: true\n",
        image: "busybox-sleep",
        run: &["--init"],
        stop: "delivered",
        zombies: "reaped",
        code: Some("IL403"),
    },
    // docker-init in front of an image that already runs `tini --`: it still works.
    Case {
        name: "compose-init-over-tini",
        format: "compose",
        manifest: "services:\n  app:\n    image: IMAGE\n    init: true\n",
        image: "tini-nohandler",
        run: &["--init"],
        stop: "delivered",
        zombies: "reaped",
        code: None,
    },
    // docker-init forwards to `sh -c`, which is not PID 1 there: dash dies of SIGTERM.
    Case {
        name: "compose-init-sh-c",
        format: "compose",
        manifest: "services:\n  app:\n    image: IMAGE\n    init: true\n    command: [\"sh\", \"-c\", \"/app/sleeper --serve\"]\n",
        image: "python-nohandler",
        run: &["--init", "--cmd", r#"["sh", "-c", "/app/sleeper --serve"]"#],
        stop: "abrupt",
        zombies: "reaped",
        code: None,
    },
    // A new entrypoint drops the image's CMD too: the sleeper alone, which ignores SIGTERM.
    Case {
        name: "compose-entrypoint",
        format: "compose",
        manifest: "services:\n  app:\n    image: IMAGE\n    entrypoint: [\"/app/sleeper\"]\n",
        image: "busybox-sleep",
        run: &["--entrypoint", r#"["/app/sleeper"]"#],
        stop: "ignored",
        zombies: "may-leak",
        code: Some("IL301"),
    },
    // The list form keeps `sh -c`: dash stays PID 1 and drops SIGTERM.
    Case {
        name: "compose-sh-c-dash",
        format: "compose",
        manifest: "services:\n  app:\n    image: IMAGE\n    command: [\"sh\", \"-c\", \"/app/handler --serve\"]\n",
        image: "python-nohandler",
        run: &["--cmd", r#"["sh", "-c", "/app/handler --serve"]"#],
        stop: "ignored",
        zombies: "reaped",
        code: Some("IL101"),
    },
    // Kubernetes `command:` replaces the ENTRYPOINT and drops the CMD: the image's tini is
    // gone, and the sleeper is PID 1.
    Case {
        name: "kube-command-drops-tini",
        format: "kubernetes",
        manifest: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: app\n      image: IMAGE\n      command: [\"/app/sleeper\"]\n",
        image: "tini-nohandler",
        run: &["--entrypoint", r#"["/app/sleeper"]"#],
        stop: "ignored",
        zombies: "may-leak",
        code: Some("IL402"),
    },
    // `args:` alone replaces the CMD: tini stays in front of the handler.
    Case {
        name: "kube-args-keep-tini",
        format: "kubernetes",
        manifest: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: IMAGE\n          args: [\"/app/handler\"]\n",
        image: "tini-nohandler",
        run: &["--cmd", r#"["/app/handler"]"#],
        stop: "delivered",
        zombies: "reaped",
        code: None,
    },
];

fn load(daemon: &Dockerd, name: &str) -> String {
    let tar = common::fixtures().join(format!("{name}.tar"));
    daemon
        .docker(&["load", "-i", &tar.display().to_string()])
        .unwrap();
    format!("initlint/{name}")
}

/// The reports of a manifest (one per container).
fn lint(daemon: &Dockerd, file: &std::path::Path) -> Vec<Value> {
    let out = daemon.initlint(&[
        "--format",
        "json",
        "--no-fail",
        "--image-src",
        "docker",
        &file.display().to_string(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}: {err}", file.display());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {err}"));
    match v {
        Value::Array(list) => list,
        one => vec![one],
    }
}

fn verify(daemon: &Dockerd, image: &str, run: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args([
            "verify", "--format", "json", "--settle", "1", "--grace", "2",
        ])
        .args(run)
        .arg(image)
        .env("DOCKER_HOST", daemon.host())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{image}: {e}: {err}"))
}

#[test]
fn each_manifest_stops_as_its_docker_run_measures() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    for image in ["busybox-sleep", "python-nohandler", "tini-nohandler"] {
        load(&daemon, image);
    }
    let mut table = Vec::new();
    for case in CASES {
        let dir = tempfile::tempdir().unwrap();
        let image = format!("initlint/{}", case.image);
        let file = dir.path().join(match case.format {
            "compose" => "compose.yaml",
            _ => "pod.yaml",
        });
        std::fs::write(&file, case.manifest.replace("IMAGE", &image)).unwrap();
        let reports = lint(&daemon, &file);
        assert_eq!(reports.len(), 1, "{}", case.name);
        let r = &reports[0];
        let verdict = &r["verdict"];
        let codes: Vec<&str> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        let doc = verify(&daemon, &image, case.run);
        table.push(format!(
            "{}: initlint {}/{}, measured killed={} zombies={}",
            case.name,
            verdict["stop_signal"],
            verdict["zombies"],
            doc["measured"]["killed"],
            doc["measured"]["zombies"]
        ));
        assert_eq!(
            verdict["stop_signal"], case.stop,
            "{}: {verdict}",
            case.name
        );
        assert_eq!(verdict["zombies"], case.zombies, "{}: {verdict}", case.name);
        // The equivalent docker run, judged statically and measured, says the same.
        assert_eq!(doc["agree"], true, "{}: {doc}", case.name);
        assert_eq!(
            doc["static"]["stop_signal"], case.stop,
            "{}: {doc}",
            case.name
        );
        assert_eq!(
            doc["measured"]["killed"],
            case.stop == "ignored",
            "{}: {doc}",
            case.name
        );
        if let Some(code) = case.code {
            assert!(codes.contains(&code), "{}: {codes:?}", case.name);
            // The finding points into the manifest when the manifest set the launch.
            let f = r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["code"] == code)
                .unwrap();
            let path = f["path"].as_str().unwrap_or_default();
            assert!(path.ends_with(".yaml"), "{}: {f}", case.name);
        }
    }
    eprintln!("{}", table.join("\n"));
}

/// `shareProcessNamespace: true`, measured as Kubernetes runs it: a pod's first container
/// (here tini, which reaps, standing in for pause) is PID 1, and the app container joins its
/// PID namespace (`docker run --pid container:POD`); `docker stop` sends the app's own process
/// the stop signal, as the kubelet does. Not PID 1, a program with no handler dies of it, and
/// a shell that stays the parent dies at once while the app is SIGKILLed with the container.
#[test]
fn a_shared_pid_namespace_stops_as_initlint_says() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    for image in ["busybox-sleep", "python-nohandler", "tini-nohandler"] {
        load(&daemon, image);
    }
    let pod = "initlint-pod";
    let _ = daemon.docker(&["rm", "-f", pod]);
    daemon
        .docker(&["run", "-d", "--name", pod, "initlint/tini-nohandler"])
        .unwrap();
    let cases: &[(&str, &str, &[&str], &str)] = &[
        ("sleeper", "busybox-sleep", &["/app/sleeper"], "delivered"),
        ("handler", "busybox-sleep", &["/app/handler"], "delivered"),
        (
            "sh-c-dash",
            "python-nohandler",
            &["sh", "-c", "/app/handler --serve"],
            "abrupt",
        ),
    ];
    let mut table = Vec::new();
    for (name, image, cmd, expected) in cases {
        let image = format!("initlint/{image}");
        let manifest = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  shareProcessNamespace: true\n  containers:\n    - name: app\n      image: {image}\n      command: {}\n",
            serde_json::to_string(cmd).unwrap()
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pod.yaml");
        std::fs::write(&file, manifest).unwrap();
        let v = &lint(&daemon, &file)[0]["verdict"];
        // The equivalent: the app in the pod's PID namespace, stopped with a 3 s grace.
        let app = format!("initlint-app-{name}");
        let _ = daemon.docker(&["rm", "-f", &app]);
        let mut run = vec![
            "run",
            "-d",
            "--name",
            &app,
            "--pid",
            "container:initlint-pod",
            "--entrypoint",
        ];
        run.push(cmd[0]);
        run.push(&image);
        run.extend(&cmd[1..]);
        daemon.docker(&run).unwrap();
        std::thread::sleep(std::time::Duration::from_secs(1));
        let t0 = std::time::Instant::now();
        daemon.docker(&["stop", "-t", "3", &app]).unwrap();
        let took = t0.elapsed();
        let logs = daemon.docker(&["logs", &app]).unwrap_or_default()
            + &Command::new("docker")
                .args(["logs", &app])
                .env("DOCKER_HOST", daemon.host())
                .output()
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .unwrap_or_default();
        let code = daemon
            .docker(&["inspect", "-f", "{{.State.ExitCode}}", &app])
            .unwrap();
        let killed = took >= std::time::Duration::from_secs(3);
        let handler = cmd.iter().any(|w| w.contains("handler"));
        let measured = match (killed, handler && !logs.contains("handler: clean exit")) {
            (true, _) => "ignored",
            (false, true) => "abrupt",
            (false, false) => "delivered",
        };
        table.push(format!(
            "{name}: initlint {}/{} pid1 {}, measured {measured} (exit {}, {:?})",
            v["stop_signal"],
            v["zombies"],
            v["pid1"],
            code.trim(),
            took
        ));
        let _ = daemon.docker(&["rm", "-f", &app]);
        assert_eq!(
            measured,
            *expected,
            "{name}: the measurement changed: {}",
            table.join("\n")
        );
        assert_eq!(
            v["stop_signal"],
            *expected,
            "{name}: {v}\n{}",
            table.join("\n")
        );
        // The pod's PID 1 reaps (pause: waitpid(-1) on SIGCHLD).
        assert_eq!(v["zombies"], "reaped", "{name}: {v}");
    }
    let _ = daemon.docker(&["rm", "-f", pod]);
    eprintln!("{}", table.join("\n"));
}
