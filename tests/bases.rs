//! Dockerfile mode reads the base image of the linted stage: fixture images pushed to a real
//! `docker-registry` on 127.0.0.1 and loaded into a private dockerd. The base's config is what
//! the stage starts with (its CMD, ENV PATH, WORKDIR, /bin/sh), its files are what the
//! Dockerfile does not copy, and a Dockerfile built for real and stopped for real
//! (`initlint verify`) measures what the Dockerfile-mode verdict said.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::dockerd::Dockerd;
use common::registry::Registry;

/// Lint `dockerfile` (written to a fresh directory) with `args`; its JSON report.
fn lint(dockerfile: &str, args: &[&str], envs: &[(&str, &str)]) -> (Value, Output) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    // No stray credentials or engine from the machine running the tests.
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_initlint"));
    cmd.args(["--format", "json", "--no-fail", "--color", "never"])
        .args(args)
        .arg(dir.path().join("Dockerfile"))
        .env("DOCKER_CONFIG", empty.path())
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env_remove("INITLINT_NO_BASE")
        .env_remove("INITLINT_OFFLINE");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {err}"));
    (v, out)
}

fn codes(v: &Value) -> Vec<&str> {
    let mut c: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    c.sort();
    c
}

fn pushed(registry: &Registry, name: &str) -> String {
    let archive = common::fixtures().join(format!("{name}.tar"));
    registry.push(
        &format!("docker-archive:{}", archive.display()),
        &format!("initlint/{name}:latest"),
        &[],
    )
}

#[test]
fn a_base_from_the_registry_decides_what_the_dockerfile_alone_cannot() {
    let registry = Registry::start(None);
    let python = pushed(&registry, "python-nohandler");
    let remote = ["--image-src", "remote"];

    // Shell form on python's base: its /bin/sh is dash (read from the image), the app the
    // base holds has no handler.
    let shell_form = format!("FROM {python}\nCMD /usr/bin/python3.11 /app/main.py\n");
    let (v, _) = lint(&shell_form, &remote, &[]);
    let base = &v["target"]["base"];
    assert_eq!(base["read"], true, "{base}");
    assert_eq!(base["source"], "registry");
    assert!(base["manifest_digest"]
        .as_str()
        .is_some_and(|d| d.starts_with("sha256:")));
    assert_eq!(v["verdict"]["stop_signal"], "ignored");
    assert_eq!(v["verdict"]["pid1"], "/bin/sh (dash)");
    assert!(
        v["target"]["shell"]["basis"]
            .as_str()
            .unwrap()
            .contains("in the image"),
        "{}",
        v["target"]["shell"]
    );
    assert_eq!(codes(&v), ["IL101", "IL302"]);
    let python_step = &v["launch_chain"][1];
    assert_eq!(
        python_step["note"], "/app/main.py: no SIGTERM handler found",
        "{python_step}"
    );

    // Without the base, the same Dockerfile cannot see the app.
    let (alone, _) = lint(&shell_form, &["--no-base"], &[]);
    assert!(alone["target"]["base"].is_null());
    assert!(
        alone["launch_chain"][1]["note"]
            .as_str()
            .unwrap()
            .contains("not copied"),
        "{}",
        alone["launch_chain"][1]
    );

    // No CMD in the Dockerfile: the base's, with its provenance; decided, no IL106.
    let (v, _) = lint(&format!("FROM {python}\nENV MODE=prod\n"), &remote, &[]);
    assert_eq!(
        v["settings"]["cmd"]["from"]["kind"], "image-config",
        "{}",
        v["settings"]
    );
    assert_eq!(v["settings"]["cmd"]["from"]["key"], "Cmd");
    assert_eq!(v["verdict"]["stop_signal"], "ignored");
    assert_eq!(v["verdict"]["zombies"], "may-leak");
    assert_eq!(codes(&v), ["IL302"]);
    // ENV adds to the base's environment: PATH is still the base's.
    let env = v["settings"]["env"].as_array().unwrap();
    assert!(env
        .iter()
        .any(|e| e["name"] == "MODE" && e["from"]["kind"] == "dockerfile"));

    // A new ENTRYPOINT drops the base's CMD (docker build does).
    let (v, _) = lint(
        &format!("FROM {python}\nENTRYPOINT [\"/app/handler\"]\n"),
        &remote,
        &[],
    );
    assert!(v["settings"]["cmd"].is_null(), "{}", v["settings"]);
    assert_eq!(
        v["launch_chain"][0]["argv"],
        serde_json::json!(["/app/handler"])
    );
    // Even an empty one (measured: dockerd 20.10 builds it with Entrypoint and Cmd null),
    // which the parser refused before.
    let (v, out) = lint(&format!("FROM {python}\nENTRYPOINT []\n"), &remote, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(v["settings"]["cmd"].is_null(), "{}", v["settings"]);
    assert_eq!(v["settings"]["entrypoint"]["value"], serde_json::json!([]));
    assert_eq!(v["verdict"]["pid1"], "none");
}

#[test]
fn what_a_run_may_change_is_unsure_and_what_nothing_provides_is_missing() {
    let registry = Registry::start(None);
    let python = pushed(&registry, "python-nohandler");
    let remote = ["--image-src", "remote"];
    let step_note = |v: &Value| {
        v["launch_chain"][0]["note"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };

    // The base lacks the program and nothing runs: the container cannot start.
    let (v, _) = lint(
        &format!("FROM {python}\nCMD [\"myserver\", \"--port\", \"80\"]\n"),
        &remote,
        &[],
    );
    assert!(
        codes(&v).contains(&"IL206"),
        "{:?} {}",
        codes(&v),
        step_note(&v)
    );
    // A RUN may install it: unknown, and said so.
    let (v, _) = lint(
        &format!("FROM {python}\nRUN make install\nCMD [\"myserver\", \"--port\", \"80\"]\n"),
        &remote,
        &[],
    );
    assert!(!codes(&v).contains(&"IL206"), "{:?}", codes(&v));
    assert_eq!(v["verdict"]["stop_signal"], "unknown");
    assert!(step_note(&v).contains("RUN"), "{}", step_note(&v));
    // A file the base has, that a RUN names: unsure too.
    let (v, _) = lint(
        &format!("FROM {python}\nRUN echo 'import signal' >> /app/main.py\nCMD [\"/usr/bin/python3.11\", \"/app/main.py\"]\n"),
        &remote,
        &[],
    );
    let note = v["launch_chain"][0]["note"].as_str().unwrap();
    assert!(note.contains("RUN instruction mentions it"), "{note}");
}

#[test]
fn an_unreadable_base_is_said_and_bounded() {
    let remote = ["--image-src", "remote"];
    // Nothing listens on port 1.
    let t0 = Instant::now();
    let (v, _) = lint(
        "FROM 127.0.0.1:1/app:1\nCMD [\"/app/server\"]\n",
        &remote,
        &[],
    );
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
    let base = &v["target"]["base"];
    assert_eq!(base["read"], false, "{base}");
    assert_eq!(base["reference"], "127.0.0.1:1/app:1");
    assert!(
        base["why"].as_str().unwrap().contains("127.0.0.1:1"),
        "{base}"
    );
    assert!(
        v["launch_chain"][0]["note"]
            .as_str()
            .unwrap()
            .contains("which was not read"),
        "{}",
        v["launch_chain"][0]
    );
    // --offline asks no registry: a base no local engine has is not read.
    let (v, _) = lint(
        "FROM python:3.12-slim\nCMD [\"python\"]\n",
        &["--offline"],
        &[],
    );
    assert_eq!(v["target"]["base"]["read"], false);
    let why = v["target"]["base"]["why"].as_str().unwrap();
    assert!(!why.contains("docker.io"), "{why}");
    // So does the config key.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".initlint.toml"), "offline = true\n").unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM python:3.12-slim\nCMD [\"python\"]\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args(["--format", "json", "--no-fail"])
        .arg(dir.path().join("Dockerfile"))
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env_remove("INITLINT_NO_BASE")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let why = v["target"]["base"]["why"].as_str().unwrap();
    assert!(!why.contains("docker.io"), "{why}");
}

/// A base read online once is read again from initlint's cache: by digest with no registry
/// at all, and as a tag with --offline (the tag as last read online).
#[test]
fn a_base_read_once_online_is_read_offline_from_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().to_str().unwrap().to_string();
    let on = [
        ("INITLINT_NO_CACHE", "0"),
        ("INITLINT_CACHE_DIR", dir.as_str()),
    ];
    let registry = Registry::start(None);
    let python = pushed(&registry, "python-nohandler");
    let by_tag = format!("FROM {python}\nCMD /usr/bin/python3.11 /app/main.py\n");
    let (online, _) = lint(&by_tag, &["--image-src", "remote"], &on);
    assert_eq!(online["target"]["base"]["source"], "registry");
    assert_eq!(online["verdict"]["stop_signal"], "ignored");
    let digest = online["target"]["base"]["manifest_digest"]
        .as_str()
        .unwrap()
        .to_string();
    let blobs = std::fs::read_dir(cache.path().join("blobs/sha256"))
        .unwrap()
        .count();
    assert!(blobs >= 3, "manifest, config and a layer at least: {blobs}");
    drop(registry);

    // The registry is gone. --offline reads the tag from the cache, with the same verdict.
    let (offline, _) = lint(&by_tag, &["--offline"], &on);
    let base = &offline["target"]["base"];
    assert_eq!(base["source"], "cache", "{base}");
    assert_eq!(base["manifest_digest"], digest.as_str());
    let verdict = |v: &Value| {
        let v = &v["verdict"];
        (
            v["pid1"].clone(),
            v["stop_signal"].clone(),
            v["zombies"].clone(),
        )
    };
    assert_eq!(verdict(&offline), verdict(&online));
    // A digest reference needs no registry even online.
    let name = python.split(':').take(2).collect::<Vec<_>>().join(":");
    let by_digest = format!("FROM {name}@{digest}\nCMD /usr/bin/python3.11 /app/main.py\n");
    let (pinned, _) = lint(&by_digest, &["--image-src", "remote"], &on);
    assert_eq!(
        pinned["target"]["base"]["read"], true,
        "{}",
        pinned["target"]["base"]
    );
    assert_eq!(verdict(&pinned), verdict(&online));
    // Without the cache, offline has nothing to read it from, and says where it looked.
    let (none, _) = lint(&by_tag, &["--offline", "--no-cache"], &[]);
    assert_eq!(none["target"]["base"]["read"], false);
    let why = none["target"]["base"]["why"].as_str().unwrap();
    assert!(why.contains("cache is off"), "{why}");
    let empty = tempfile::tempdir().unwrap();
    let fresh = [
        ("INITLINT_NO_CACHE", "0"),
        ("INITLINT_CACHE_DIR", empty.path().to_str().unwrap()),
    ];
    let (none, _) = lint(&by_tag, &["--offline"], &fresh);
    let why = none["target"]["base"]["why"].as_str().unwrap();
    assert!(why.contains("not in initlint's cache"), "{why}");
}

/// A base in the local engine is read from there, and the image the Dockerfile builds, run
/// and stopped for real, does what the Dockerfile-mode verdict said.
#[test]
fn a_base_in_the_engine_and_the_built_image_measure_alike() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    for name in ["python-nohandler", "busybox-sleep"] {
        let tar = common::fixtures().join(format!("{name}.tar"));
        daemon
            .docker(&["load", "-i", &tar.display().to_string()])
            .unwrap();
    }
    // The OpenJDK runtime and the jar of testdata/images/apps.sh (an OCI layout only).
    for name in ["javabase", "java-jar"] {
        let layout = common::fixtures().join("apps");
        daemon.load_oci(&layout, name, &format!("initlint/{name}:latest"));
    }
    let cases = [
        // dash stays PID 1 and reaps; SIGTERM is dropped.
        (
            "shell-form",
            "python-nohandler",
            "CMD /usr/bin/python3.11 /app/main.py\n",
            "ignored",
            "reaped",
        ),
        // The base's CMD: python is PID 1, ignores SIGTERM, reaps nothing.
        (
            "inherited",
            "python-nohandler",
            "ENV MODE=prod\n",
            "ignored",
            "may-leak",
        ),
        // The base's handler binary, in exec form: it acts on SIGTERM.
        (
            "handler",
            "python-nohandler",
            "ENTRYPOINT [\"/app/handler\"]\n",
            "delivered",
            "may-leak",
        ),
        // The same string on busybox: ash execs it, so the handler is PID 1.
        (
            "busybox-shell-form",
            "busybox-sleep",
            "CMD /app/handler --serve\n",
            "delivered",
            "may-leak",
        ),
        // ... and a program without a handler there: SIGTERM is dropped.
        (
            "busybox-sleeper",
            "busybox-sleep",
            "CMD /app/sleeper --serve\n",
            "ignored",
            "may-leak",
        ),
        // A program copied from another image (COPY --from=IMAGE): read from that image, its
        // ELF has a handler.
        (
            "copy-from-image",
            "python-nohandler",
            "COPY --from=initlint/busybox-sleep /app/handler /app/srv\nENTRYPOINT [\"/app/srv\"]\n",
            "delivered",
            "may-leak",
        ),
        // A directory copied from another image provides only what that image has there:
        // /app/main.py is not in busybox-sleep's /app, so the base's stays and runs.
        (
            "copy-dir-from-image",
            "python-nohandler",
            "COPY --from=initlint/busybox-sleep /app/ /app/\n",
            "ignored",
            "may-leak",
        ),
        // The JVM, from the base, runs a jar copied from another image: its own SIGTERM
        // handler runs the shutdown hooks and exits; it reaps nothing.
        (
            "java-jar",
            "javabase",
            "COPY --from=initlint/java-jar /app/app.jar /app/app.jar\nCMD [\"java\", \"-jar\", \"/app/app.jar\"]\n",
            "delivered",
            "may-leak",
        ),
        // ... and with -Xrs it installs none: as PID 1, SIGTERM is dropped.
        (
            "java-xrs",
            "javabase",
            "COPY --from=initlint/java-jar /app/app.jar /app/app.jar\nCMD [\"java\", \"-Xrs\", \"-jar\", \"/app/app.jar\"]\n",
            "ignored",
            "may-leak",
        ),
        // A program a stage takes from its own base image: read there, it has none.
        (
            "stage-base",
            "python-nohandler",
            "FROM initlint/busybox-sleep AS tools\nFROM initlint/python-nohandler\nCOPY --from=tools /app/sleeper /app/srv\nENTRYPOINT [\"/app/srv\"]\n",
            "ignored",
            "may-leak",
        ),
    ];
    let host = daemon.host();
    for (name, base, tail, fate, zombies) in cases {
        let dockerfile = format!("FROM initlint/{base}\n{tail}");
        let (v, _) = lint(
            &dockerfile,
            &["--image-src", "docker"],
            &[("DOCKER_HOST", &host)],
        );
        assert_eq!(
            v["target"]["base"]["source"], "docker-daemon",
            "{name}: {}",
            v["target"]
        );
        assert_eq!(
            v["verdict"]["stop_signal"], fate,
            "{name}: {}",
            v["verdict"]
        );
        assert_eq!(v["verdict"]["zombies"], zombies, "{name}: {}", v["verdict"]);
        // Built for real, stopped for real.
        let doc = build_and_verify(&daemon, name, &dockerfile);
        let measured = &doc["measured"];
        assert_eq!(doc["agree"], true, "{name}: {doc}");
        assert_eq!(measured["killed"], fate == "ignored", "{name}: {measured}");
        assert_eq!(
            doc["static"]["stop_signal"], fate,
            "{name}: the image's own verdict"
        );
    }
}

/// `docker build --network none` of `dockerfile` in the test dockerd, then `initlint verify`
/// of the image: its JSON (static verdict, measured stop, agreement).
fn build_and_verify(daemon: &Dockerd, name: &str, dockerfile: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    let tag = format!("initlint-base/{name}:latest");
    daemon
        .docker(&[
            "build",
            "-q",
            "--network",
            "none",
            "-t",
            &tag,
            &dir.path().display().to_string(),
        ])
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args([
            "verify", "--format", "json", "--settle", "1", "--grace", "2", &tag,
        ])
        .env("DOCKER_HOST", daemon.host())
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// A program a build stage compiles is judged from the sources the stage copies. The
/// toolchain images (gcc, golang) cannot be pulled here, so the stage is not built: the
/// measurement is of the binary those same sources compile to with the stage's command,
/// which testdata/images/build.sh put into the fixture images (`gcc -static -O2` of
/// handler.c and sleeper.c into busybox-sleep's /app, `CGO_ENABLED=0 go build` of
/// server.go into go-server's /app/server).
#[test]
fn a_program_a_build_stage_compiles_is_judged_from_its_sources_as_it_runs() {
    let Some(daemon) = Dockerd::required() else {
        return;
    };
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/images/src");
    let go = common::fixtures().join("go-server.tar").exists()
        || common::require("go", Err("the Go fixture was not built".into()));
    let mut images = vec!["busybox-sleep"];
    if go {
        images.push("go-server");
    }
    for name in &images {
        let tar = common::fixtures().join(format!("{name}.tar"));
        daemon
            .docker(&["load", "-i", &tar.display().to_string()])
            .unwrap();
    }
    let c_stage = |source: &str| {
        (
            source.to_string(),
            "server.c",
            "FROM gcc:12 AS build\nWORKDIR /src\nCOPY server.c .\nRUN gcc -static -O2 -o /out/server server.c\nFROM initlint/busybox-sleep\nCOPY --from=build /out/server /app/server\nCMD [\"/app/server\"]\n",
        )
    };
    // (case, source, its name in the context, Dockerfile, the image that runs what the
    // stage builds, static verdict)
    let mut cases = vec![
        (
            "c-handler",
            c_stage("handler.c"),
            "FROM initlint/busybox-sleep\nCMD [\"/app/handler\"]\n",
            "delivered",
        ),
        (
            "c-sleeper",
            c_stage("sleeper.c"),
            "FROM initlint/busybox-sleep\nCMD [\"/app/sleeper\"]\n",
            "ignored",
        ),
    ];
    if go {
        cases.push((
            "go-no-notify",
            (
                "server.go".to_string(),
                "main.go",
                "FROM golang:1.19 AS build\nWORKDIR /src\nCOPY main.go .\nRUN CGO_ENABLED=0 go build -o /out/server main.go\nFROM initlint/go-server\nCOPY --from=build /out/server /app/server\nENTRYPOINT [\"/app/server\"]\n",
            ),
            "FROM initlint/go-server\n",
            "delivered",
        ));
    }
    for (name, (source, as_name, dockerfile), runs, fate) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(src.join(&source), dir.path().join(as_name)).unwrap();
        std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
            .args(["--format", "json", "--no-fail", "--image-src", "docker"])
            .arg(dir.path().join("Dockerfile"))
            .env("DOCKER_HOST", daemon.host())
            .env_remove("INITLINT_NO_BASE")
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        let step = &v["launch_chain"][0];
        assert_eq!(step["kind"], "built", "{name}: {step}");
        assert_eq!(step["built"]["source_files"], 1, "{name}: {step}");
        assert_eq!(
            v["verdict"]["stop_signal"], fate,
            "{name}: {}",
            v["verdict"]
        );
        assert_eq!(
            v["verdict"]["zombies"], "may-leak",
            "{name}: {}",
            v["verdict"]
        );
        if fate == "ignored" {
            assert_eq!(codes(&v), ["IL301"], "{name}");
        }
        let doc = build_and_verify(&daemon, name, runs);
        assert_eq!(doc["agree"], true, "{name}: {doc}");
        assert_eq!(
            doc["measured"]["killed"],
            fate == "ignored",
            "{name}: {doc}"
        );
        assert_eq!(doc["measured"]["outcome"], fate, "{name}: {doc}");
        assert_eq!(
            doc["measured"]["zombies_outcome"], "may-leak",
            "{name}: {doc}"
        );
        // Go's runtime, with no os/signal.Notify, exits with status 2 on SIGTERM.
        if name.starts_with("go-") {
            assert_eq!(doc["measured"]["exit_code"], 2, "{name}: {doc}");
        }
    }
}
