//! Image mode against real artifacts: fixture images built by testdata/images/build.sh (umoci,
//! skopeo, Debian's dash and busybox, static C programs), read as docker-archive, OCI layout,
//! oci-archive, an unpacked bundle, and pulled from a real `docker-registry` on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;
use common::registry::Registry;
use common::{findings, fixtures};

/// Images and the findings each must give (codes, sorted).
const IMAGES: &[(&str, &[&str])] = &[
    ("dash-shell-form", &["IL101", "IL301"]),
    // busybox execs the static sleeper, whose .symtab call sites install no handler.
    ("busybox-shell-form", &["IL104", "IL301"]),
    // The same sleeper behind the script: reported behind IL201.
    ("script-no-exec", &["IL201", "IL301"]),
    ("script-not-executable", &["IL206"]),
    ("crlf-shebang", &["IL206"]),
    ("deleted-entrypoint", &["IL206"]),
    ("exec-form-ok", &[]),
    // The interpreter is missing, so python never runs: whether it would handle SIGTERM
    // is not reported next to the container not starting.
    ("missing-interpreter", &["IL206"]),
    ("script-exec-ok", &[]),
    ("no-command", &["IL206"]),
    ("c-handler-dyn", &[]),
    ("c-nohandler-dyn", &["IL301"]),
    ("tini-nohandler", &[]),
    ("dumb-init-nohandler", &[]),
    ("catatonit-nohandler", &[]),
    ("forker-noreap", &["IL301", "IL303"]),
    ("forker-reap", &[]),
    ("busybox-exec-handler", &["IL104"]),
    ("bash-exec-handler", &["IL104"]),
    ("python-nohandler", &["IL302"]),
    ("python-handler", &[]),
    ("static-on-top", &[]),
];

fn initlint(args: &[&str], envs: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_initlint"));
    cmd.args(["--color", "never"]).args(args);
    // No stray credentials from the machine running the tests.
    let empty = tempfile::tempdir().unwrap();
    cmd.env("DOCKER_CONFIG", empty.path());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn json_of(target: &str, extra: &[&str], envs: &[(&str, &Path)]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    args.push(target);
    let out = initlint(&args, envs);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{target}: exit {:?}: {stderr}",
        out.status.code()
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{target}: {e}: {stderr}"))
}

fn codes(v: &Value) -> Vec<String> {
    let mut c: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    c.sort();
    c
}

#[test]
fn every_source_gives_the_same_findings_for_the_same_image() {
    let fx = fixtures();
    let registry = Registry::start(None);
    for (name, expected) in IMAGES {
        let layout = format!("oci:{}:{name}", fx.join("oci").display());
        let pushed = registry.push(&layout, &format!("{name}:latest"), &[]);
        let targets = [
            format!(
                "docker-archive:{}",
                fx.join(format!("{name}.tar")).display()
            ),
            layout,
            format!(
                "oci-archive:{}:{name}",
                fx.join(format!("{name}.oci.tar")).display()
            ),
            pushed,
        ];
        let first = json_of(&targets[0], &[], &[]);
        assert_eq!(codes(&first), *expected, "{name}: {first:#}");
        for t in &targets[1..] {
            let other = json_of(t, &[], &[]);
            assert_eq!(
                findings(&first),
                findings(&other),
                "{name}: {} vs {t}",
                targets[0]
            );
            assert_eq!(other["target"]["kind"], "image");
            assert_eq!(
                first["target"]["shell"], other["target"]["shell"],
                "{name}: {t}"
            );
        }
    }
}

/// How each layer was read, base first.
fn reads(v: &Value) -> Vec<String> {
    v["target"]["layer_reads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["read"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn lower_layers_are_read_only_when_they_can_change_the_answer() {
    let fx = fixtures();
    let mut skipped = Vec::new();
    for (name, _) in IMAGES {
        let target = format!(
            "docker-archive:{}",
            fx.join(format!("{name}.tar")).display()
        );
        let top_down = json_of(&target, &[], &[]);
        let all = json_of(&target, &["--all-layers"], &[]);
        // The answer is the one every layer gives.
        assert_eq!(findings(&top_down), findings(&all), "{name}");
        assert_eq!(top_down["verdict"], all["verdict"], "{name}");
        assert_eq!(top_down["chain"], all["chain"], "{name}");
        assert!(reads(&all).iter().all(|r| r == "full"), "{name}: {all:#}");
        if top_down["target"]["layers_skipped"] != 0 {
            skipped.push(*name);
        }
    }
    // A static server in the top layer, and an entrypoint the top layer whites out: the base
    // cannot change either. An entrypoint script needs the base's /bin/sh.
    assert_eq!(skipped, ["deleted-entrypoint", "static-on-top"]);
    let v = json_of(
        &format!("docker-archive:{}", fx.join("static-on-top.tar").display()),
        &[],
        &[],
    );
    assert_eq!(reads(&v), ["skipped", "full"]);
    assert_eq!(v["target"]["shell"]["kind"], "not read");
    let v = json_of(
        &format!("docker-archive:{}", fx.join("script-no-exec.tar").display()),
        &[],
        &[],
    );
    assert_eq!(reads(&v), ["full", "full"]);
}

#[test]
fn a_skipped_layer_need_not_even_exist() {
    let fx = fixtures();
    let registry = Registry::start(None);
    let layout = format!("oci:{}:static-on-top", fx.join("oci").display());
    let pushed = registry.push(&layout, "static-on-top:latest", &[]);
    let v = json_of(&pushed, &[], &[]);
    let base = v["target"]["layer_reads"][0]["digest"].as_str().unwrap();
    let hex = base.strip_prefix("sha256:").unwrap();
    // The registry loses the base layer's blob: the answer does not depend on it.
    let blob = registry
        .dir
        .path()
        .join("data/docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    std::fs::remove_file(&blob).unwrap();
    let again = json_of(&pushed, &[], &[]);
    assert_eq!(findings(&again), findings(&v));
    assert_eq!(reads(&again), ["skipped", "full"]);
    // Asked to read every layer, the missing one is an error naming it.
    let out = initlint(&["--all-layers", &pushed], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("layer 1/2"), "{stderr}");
}

#[test]
fn the_real_bin_sh_decides_shell_form() {
    let fx = fixtures();
    let dash = json_of(
        &format!(
            "docker-archive:{}",
            fx.join("dash-shell-form.tar").display()
        ),
        &[],
        &[],
    );
    let busybox = json_of(
        &format!(
            "docker-archive:{}",
            fx.join("busybox-shell-form.tar").display()
        ),
        &[],
        &[],
    );
    // Same CMD; dash found through the /bin -> usr/bin symlink, busybox through a hard link.
    assert_eq!(dash["target"]["shell"]["kind"], "dash");
    assert!(dash["target"]["shell"]["basis"]
        .as_str()
        .unwrap()
        .contains("/usr/bin/dash"));
    assert_eq!(busybox["target"]["shell"]["kind"], "busybox ash");
    assert!(busybox["target"]["shell"]["basis"]
        .as_str()
        .unwrap()
        .contains("hard link to /bin/busybox"));
    // Every file the chain needed was kept on the first pass: each layer read once.
    assert_eq!(dash["target"]["layer_rereads"], 0);
    // A shell under another name, a plain file: known by the version string in its binary.
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("bin")).unwrap();
    std::fs::copy("/bin/bash", root.path().join("bin/sh")).unwrap();
    let cfg = root.path().join("config.json");
    std::fs::write(&cfg, r#"{"Cmd": ["/bin/sh", "-c", "sleep 1"]}"#).unwrap();
    let bash = json_of(
        &format!("dir:{}", root.path().display()),
        &["--image-config", cfg.to_str().unwrap()],
        &[],
    );
    assert_eq!(bash["target"]["shell"]["kind"], "bash", "{bash:#}");
    assert!(bash["target"]["shell"]["basis"]
        .as_str()
        .unwrap()
        .contains("GNU bash, version"));
}

#[test]
fn a_multi_platform_index_from_a_registry() {
    let fx = fixtures();
    let registry = Registry::start(None);
    let layout = format!("oci:{}:multi", fx.join("oci").display());
    let image = registry.push(&layout, "multi:1", &["--all"]);
    // linux/amd64 is dash-shell-form, linux/arm64/v8 is exec-form-ok.
    let amd = json_of(&image, &["--platform", "linux/amd64"], &[]);
    assert_eq!(codes(&amd), ["IL101", "IL301"]);
    assert_eq!(amd["target"]["platform"], "linux/amd64");
    let arm = json_of(&image, &["--platform", "linux/arm64"], &[]);
    assert_eq!(codes(&arm), Vec::<String>::new());
    assert_eq!(arm["target"]["platform"], "linux/arm64/v8");
    assert_eq!(arm["launch_chain"][0]["argv"][0], "/app/handler");
    let out = initlint(&["--platform", "linux/s390x", &image], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no image for platform linux/s390x; available: linux/amd64, linux/arm64/v8."),
        "attestation manifests must not be listed: {err}"
    );
}

#[test]
fn a_registry_with_basic_auth_uses_the_docker_config() {
    let fx = fixtures();
    let registry = Registry::start(Some(("ci", "s3cret")));
    let layout = format!("oci:{}:script-no-exec", fx.join("oci").display());
    let image = registry.push(&layout, "private/app:1", &["--dest-creds", "ci:s3cret"]);
    let anonymous = initlint(&[&image], &[]);
    let err = String::from_utf8_lossy(&anonymous.stderr);
    assert_eq!(anonymous.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot pull the manifest"), "{err}");

    let config = tempfile::tempdir().unwrap();
    let auth = base64("ci:s3cret");
    std::fs::write(
        config.path().join("config.json"),
        format!(
            r#"{{"auths": {{"127.0.0.1:{}": {{"auth": "{auth}"}}}}}}"#,
            registry.port
        ),
    )
    .unwrap();
    let v = json_of(&image, &[], &[("DOCKER_CONFIG", config.path())]);
    assert_eq!(codes(&v), ["IL201", "IL301"]);

    std::fs::write(
        config.path().join("config.json"),
        format!(
            r#"{{"auths": {{"127.0.0.1:{}": {{"auth": "{}"}}}}}}"#,
            registry.port,
            base64("ci:wrong")
        ),
    )
    .unwrap();
    let wrong = initlint(&[&image], &[("DOCKER_CONFIG", config.path())]);
    assert_eq!(wrong.status.code(), Some(2));

    // A credential helper (credHelpers), as for ECR or GCR: a program on PATH that answers
    // `get` with JSON.
    let helper_dir = tempfile::tempdir().unwrap();
    let helper = helper_dir.path().join("docker-credential-initlint-test");
    std::fs::write(
        &helper,
        "#!/bin/sh\nread server\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"ci\",\"Secret\":\"s3cret\"}' \"$server\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        config.path().join("config.json"),
        format!(
            r#"{{"credHelpers": {{"127.0.0.1:{}": "initlint-test"}}}}"#,
            registry.port
        ),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        helper_dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let v = json_of(
        &image,
        &[],
        &[("DOCKER_CONFIG", config.path()), ("PATH", Path::new(&path))],
    );
    assert_eq!(codes(&v), ["IL201", "IL301"]);
}

fn base64(s: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | (u32::from(c) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Strings from an image (argv, script lines naming programs) cannot start a line of output
/// (a GitHub workflow command) or carry a terminal escape, in any text format.
#[test]
fn input_cannot_inject_workflow_commands_or_escapes() {
    let fx = fixtures();
    let target = format!("oci:{}", fx.join("hostile/injection").display());
    for format in ["human", "compact", "github"] {
        let out = initlint(&["--format", format, &target], &[]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // The script's name is in every format's findings.
        assert!(
            text.contains("injected"),
            "{format}: the string is reported: {text}"
        );
        for line in text.lines() {
            assert!(!line.starts_with("::warning file=x"), "{format}: {line}");
        }
        assert!(!text.contains('\u{1b}'), "{format}: {text:?}");
    }
}

#[test]
fn hostile_layers_get_a_clear_answer_and_nothing_is_written() {
    let fx = fixtures();
    let cwd = tempfile::tempdir().unwrap();
    // (case, exit code, text that must be in stderr or in the findings)
    let cases: &[(&str, i32, &str)] = &[
        (
            "dotdot",
            2,
            "tar entry \"../evil\": the path climbs out of the image root",
        ),
        // The absolute entry lands inside the root (the finding is in /etc/start.sh there);
        // its `sh -c 'sleep 1'` runs sleep, which the image lacks.
        ("absolute", 1, "\"path\": \"/etc/start.sh\""),
        (
            "symlink-escape",
            1,
            "/etc/passwd is a text file without a shebang",
        ),
        ("symlink-loop", 1, "follows more than 40 symbolic links"),
        (
            "hardlink-missing",
            2,
            "hard link /bin/start points to /bin/nothing, which does not exist",
        ),
        ("truncated-gzip", 2, "truncated"),
        ("wrong-digest", 2, "digest mismatch"),
        ("bomb", 2, "expands to more than 16000000 bytes"),
        ("missing-blob", 2, "layer 2/2"),
        ("not-a-tar", 2, "not a valid tar header"),
        ("utf8-digest", 2, "is not a sha256 digest"),
        ("blob-symlink", 2, "is not a regular file inside the layout"),
        ("uppercase-digest", 2, "its hex must be lowercase"),
        ("huge-index", 2, "index.json: larger than 16777216 bytes"),
    ];
    for (case, code, needle) in cases {
        let target = format!("oci:{}", fx.join("hostile").join(case).display());
        let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
            .args(["--format", "json", "--max-layer-size", "16000000", &target])
            .current_dir(cwd.path())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(*code), "{case}: {text}");
        assert!(
            text.contains(needle),
            "{case}: expected {needle:?} in {text}"
        );
        assert!(!text.contains("panicked"), "{case}: {text}");
        // A cap or a truncation is said as such, not as a bad tar header.
        if ["bomb", "truncated-gzip"].contains(case) {
            assert!(!text.contains("tar header"), "{case}: {text}");
        }
    }
    // The host file behind a symlinked blob is never read, so none of it is quoted.
    let out = initlint(
        &[&format!(
            "oci:{}",
            fx.join("hostile/blob-symlink").display()
        )],
        &[],
    );
    let host = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let first = host.lines().next().unwrap_or("root:x:0:0");
    assert!(!String::from_utf8_lossy(&out.stderr).contains(first));
    // A diff_id with multi-byte UTF-8 in a docker-archive: a clear mismatch, not a panic.
    let out = initlint(
        &[&format!(
            "docker-archive:{}",
            fx.join("hostile/utf8-diff-id.tar").display()
        )],
        &[],
    );
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("digest mismatch"), "{text}");
    // The absolute path is read inside the image: the chain follows /etc/start.sh there.
    let abs = json_of(
        &format!("oci:{}", fx.join("hostile/absolute").display()),
        &[],
        &[],
    );
    assert_eq!(abs["launch_chain"][0]["kind"], "script", "{abs:#}");
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0);
    assert!(!cwd.path().join("../evil").exists());
}

#[test]
fn an_unpacked_bundle_is_a_rootfs_target() {
    let fx = fixtures();
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("bundle");
    let status = Command::new("umoci")
        .args(["unpack", "--rootless", "--image"])
        .arg(format!("{}:script-no-exec", fx.join("oci").display()))
        .arg(&bundle)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let from_dir = json_of(&format!("dir:{}", bundle.display()), &[], &[]);
    assert_eq!(codes(&from_dir), ["IL201", "IL301"]);
    assert_eq!(from_dir["target"]["source"], "dir");
    // The rootfs alone has no config: a clear error that says how to give one.
    let out = initlint(&[&format!("dir:{}", bundle.join("rootfs").display())], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--image-config"));
    let cfg = tmp.path().join("cfg.json");
    std::fs::write(&cfg, r#"{"Cmd": ["/bin/sh", "-c", "/app/sleeper"]}"#).unwrap();
    let v = json_of(
        &format!("dir:{}", bundle.join("rootfs").display()),
        &["--image-config", cfg.to_str().unwrap()],
        &[],
    );
    // script-no-exec is busybox-based: busybox execs the last command, a static sleeper that
    // installs no handler.
    assert_eq!(codes(&v), ["IL104", "IL301"]);
    // Or --entrypoint says what runs, without a config.
    let v = json_of(
        &format!("dir:{}", bundle.join("rootfs").display()),
        &["--entrypoint", "/app/sleeper"],
        &[],
    );
    assert_eq!(v["verdict"]["stop_signal"], "ignored", "{v:#}");
    assert_eq!(codes(&v), ["IL301"]);
}

#[test]
fn a_docker_save_tar_is_recognised_by_its_name() {
    let fx = fixtures();
    let v = json_of(fx.join("crlf-shebang.tar").to_str().unwrap(), &[], &[]);
    assert_eq!(v["target"]["source"], "docker-archive");
    assert_eq!(codes(&v), ["IL206"]);
}

/// Rule pages whose Example and Fix are ```image blocks name a fixture image: the Example must
/// trigger the rule and the Fix must not.
#[test]
fn image_examples_in_rule_pages() {
    let fx = fixtures();
    let mut checked = 0;
    for rule in initlint::rules::ALL {
        let m = rule.meta();
        if !m.doc.contains("```image") {
            continue;
        }
        let fixture = |heading: &str| -> String {
            let rest = &m.doc[m.doc.find(heading).unwrap()..];
            let block = &rest[rest.find("```image\n").unwrap() + 9..];
            let line = block.lines().next().unwrap();
            line.strip_prefix("fixture: ").unwrap().trim().to_string()
        };
        for (heading, fires) in [("## Example", true), ("## Fix", false)] {
            let name = fixture(heading);
            let v = json_of(
                &format!(
                    "docker-archive:{}",
                    fx.join(format!("{name}.tar")).display()
                ),
                &[],
                &[],
            );
            assert_eq!(
                codes(&v).contains(&m.code.to_string()),
                fires,
                "{}: {heading} fixture {name}: {v:#}",
                m.code
            );
        }
        checked += 1;
    }
    assert!(checked >= 2);
}

#[test]
fn elf_evidence_is_in_the_chain_and_the_verdict() {
    let fx = fixtures();
    let tar = |n: &str| format!("docker-archive:{}", fx.join(format!("{n}.tar")).display());
    let v = json_of(&tar("c-nohandler-dyn"), &[], &[]);
    assert_eq!(v["verdict"]["stop_signal"], "ignored");
    let b = &v["launch_chain"][0]["binary"];
    assert_eq!(b["libc"], "glibc");
    assert_eq!(b["interpreter"], "/lib64/ld-linux-x86-64.so.2");
    assert_eq!(b["needed"][0], "libc.so.6");
    assert!(b["imports"].as_array().unwrap().is_empty(), "{b}");
    let v = json_of(&tar("forker-reap"), &[], &[]);
    let imports: Vec<&str> = v["launch_chain"][0]["binary"]["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    assert!(imports.contains(&"sigaction@GLIBC_2.2.5"), "{imports:?}");
    assert!(imports.contains(&"waitpid@GLIBC_2.2.5"), "{imports:?}");
    assert!(imports.contains(&"fork@GLIBC_2.2.5"), "{imports:?}");
    // The verdict rests on the call site: sigaction(SIGTERM) in main, and waitpid(-1).
    let evidence = &v["verdict"]["reasons"][0]["evidence"];
    assert_eq!(evidence["kind"], "call", "{evidence}");
    assert_eq!(evidence["function"], "sigaction");
    assert_eq!(evidence["argument"], 15);
    assert_eq!(evidence["caller"], "main");
    let reaps = &v["verdict"]["zombie_reasons"][0]["evidence"];
    assert_eq!(reaps["function"], "waitpid", "{reaps}");
    assert_eq!(reaps["argument"], -1);
    // Inits are recognised from their binary, not only their name.
    let v = json_of(&tar("catatonit-nohandler"), &[], &[]);
    let b = &v["launch_chain"][0]["binary"];
    assert_eq!(b["identified"]["as"], "catatonit", "{b}");
    assert_eq!(b["static"], true);
    // python3.11 is found as a binary and judged by the knowledge base.
    let v = json_of(&tar("python-nohandler"), &[], &[]);
    assert_eq!(v["verdict"]["stop_signal"], "ignored");
    assert_eq!(v["verdict"]["reasons"][0]["evidence"]["kind"], "knowledge");
    // A Go binary: the build info says so.
    let go_built = fx.join("go-server.tar").exists();
    if go_built || common::require("go", Err("the Go fixture was not built".into())) {
        let v = json_of(&tar("go-server"), &[], &[]);
        let go = &v["launch_chain"][0]["binary"]["go"];
        assert!(go["version"].as_str().unwrap().starts_with("go1."), "{go}");
        assert_eq!(v["verdict"]["stop_signal"], "delivered");
        assert_eq!(
            v["verdict"]["reasons"][0]["evidence"]["name"],
            ".go.buildinfo"
        );
    }
}

/// A TCP proxy in front of a registry that counts the bytes the registry sends back.
struct Counting {
    port: u16,
    sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

fn counting_proxy(upstream: u16) -> Counting {
    use std::sync::atomic::{AtomicU64, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sent = std::sync::Arc::new(AtomicU64::new(0));
    let total = sent.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                return;
            };
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c2, &mut s2);
                let _ = s2.shutdown(std::net::Shutdown::Write);
            });
            let total = total.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 64 << 10];
                loop {
                    use std::io::{Read, Write};
                    let n = match server.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    total.fetch_add(n as u64, Ordering::Relaxed);
                    if client.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = client.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    Counting { port, sent }
}

#[test]
fn a_layer_with_a_table_of_contents_is_read_by_ranges() {
    let fx = fixtures();
    let registry = Registry::start(None);
    let proxy = counting_proxy(registry.port);
    for (name, expected) in IMAGES {
        let layout = format!("oci:{}:{name}", fx.join("oci").display());
        let pushed = registry.push(
            &layout,
            &format!("{name}:chunked"),
            &["--dest-compress-format", "zstd:chunked"],
        );
        read_by_toc(&proxy, registry.port, &pushed, name, expected);
    }
}

/// The fixtures converted to eStargz by testdata/images/estargz.py, read from a registry by
/// ranges and from the layout by seeks.
#[test]
fn an_estargz_layer_is_read_by_its_table_of_contents() {
    let fx = fixtures();
    let registry = Registry::start(None);
    let proxy = counting_proxy(registry.port);
    for (name, expected) in IMAGES {
        let layout = format!("oci:{}:{name}", fx.join("estargz").display());
        let local = json_of(&layout, &[], &[]);
        assert_eq!(codes(&local), *expected, "{name}: {local:#}");
        assert!(
            reads(&local).iter().all(|r| r == "toc" || r == "skipped"),
            "{name}: {local:#}"
        );
        // Copied as it is: the blobs and their annotations are the layout's.
        let pushed = registry.push(&layout, &format!("{name}:estargz"), &[]);
        let v = read_by_toc(&proxy, registry.port, &pushed, name, expected);
        assert_eq!(findings(&local), findings(&v), "{name}");
    }
}

/// Read `pushed` through the counting proxy: by TOC, with the answer `--all-layers` gives;
/// the report.
fn read_by_toc(
    proxy: &Counting,
    port: u16,
    pushed: &str,
    name: &str,
    expected: &[&str],
) -> serde_json::Value {
    use std::sync::atomic::Ordering;
    let via_proxy = pushed.replace(&format!(":{port}/"), &format!(":{}/", proxy.port));
    let before = proxy.sent.load(Ordering::Relaxed);
    let v = json_of(&via_proxy, &[], &[]);
    let sent = proxy.sent.load(Ordering::Relaxed) - before;
    assert_eq!(codes(&v), *expected, "{name}: {v:#}");
    assert!(
        reads(&v).iter().all(|r| r == "toc" || r == "skipped"),
        "{name}: {v:#}"
    );
    // Every layer whole, digests checked: the same answer.
    let all = json_of(&via_proxy, &["--all-layers"], &[]);
    assert_eq!(findings(&all), findings(&v), "{name}");
    if v["target"]["shell"]["kind"] != "not read" {
        assert_eq!(all["target"]["shell"], v["target"]["shell"], "{name}");
    }
    assert_eq!(all["verdict"], v["verdict"], "{name}");
    assert!(reads(&all).iter().all(|r| r == "full"), "{name}");
    let stored: u64 = all["target"]["stored_bytes"].as_u64().unwrap();
    eprintln!("{pushed}: {sent} bytes from the registry by TOC, layers {stored} bytes stored");
    if name == "python-handler" {
        // Python's standard library is in the layer; the chain reads the app and a few
        // files of it.
        assert!(sent * 10 < stored, "{name}: {sent} of {stored} bytes");
    }
    v
}
