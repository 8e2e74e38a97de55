//! `initlint verify`: the static verdict, the experiment, both side by side.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use super::{EngineArg, VerifyArgs, VerifyFormat};
use crate::image::daemon::{self, Engine};
use crate::image::ImageTarget;
use crate::target::Target;
use crate::verify::{self, Measured, VerifyError};
use crate::{config, Analysis};

/// Run it; the exit code: 0 the container stopped at once and kept no zombie, 1 it needed
/// SIGKILL or kept zombies, 2 it could not be run, 130 interrupted.
pub fn verify(args: &VerifyArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let engine = Engine::from(args.engine);
    let shown = args
        .image
        .clone()
        .or_else(|| args.build.as_ref().map(|b| b.display().to_string()))
        .unwrap_or_default();
    let fail = |stderr: &mut dyn Write, msg: String| {
        let _ = writeln!(
            stderr,
            "initlint: error: verify {}: {}",
            crate::report::clean(&shown),
            crate::report::clean(&msg)
        );
        2
    };
    let image = match (&args.build, &args.image) {
        (Some(dir), tag) => match build(engine, dir, tag.as_deref(), stderr) {
            Ok(id) => id,
            Err(e) => return fail(stderr, e),
        },
        (None, Some(image)) => match engine_name(engine, image) {
            Ok(name) => name,
            Err(e) => return fail(stderr, e),
        },
        (None, None) => return fail(stderr, "name an image, or --build DIR".into()),
    };
    let settle = match Duration::try_from_secs_f64(args.settle) {
        Ok(d) if d <= Duration::from_secs(3600) => d,
        _ => {
            return fail(
                stderr,
                format!(
                    "--settle {}: not a number of seconds from 0 to 3600",
                    args.settle
                ),
            )
        }
    };
    // The grace period plus time for the engine's own work.
    let timeout = Duration::from_secs(args.grace.saturating_add(120));
    let daemon = match daemon::connect(engine, timeout) {
        Ok(d) => d,
        Err(e) => return fail(stderr, e),
    };
    // The static verdict of the same image, read from the same engine.
    let target = Target::Image {
        image: ImageTarget::Daemon {
            engine,
            name: image.clone(),
        },
        written: format!("{}:{image}", engine.kind()),
    };
    // The same overrides the container gets, so both sides judge the same launch.
    let opts = crate::Options {
        run: crate::model::flags::RunFlags {
            entrypoint: args.entrypoint.clone().map(|a| a.0),
            cmd: args.cmd.clone().map(|a| a.0),
            stop_signal: args.stop_signal.clone(),
            env: args
                .env
                .iter()
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (kv.clone(), String::new()),
                })
                .collect(),
            init: args.init,
        },
        ..Default::default()
    };
    let analysis = match crate::lint(&target, &opts, &config::Settings::default()) {
        Ok(a) => a,
        Err(e) => return fail(stderr, e.to_string()),
    };
    let settings = verify::Settings {
        settle,
        health_cap: Duration::from_secs(60),
        grace: Duration::from_secs(args.grace),
        entrypoint: args.entrypoint.clone().map(|a| a.0),
        cmd: args.cmd.clone().map(|a| a.0),
        env: args.env.clone(),
        init: args.init,
        stop_signal: args.stop_signal.clone(),
        sandbox: verify::Sandbox {
            user: args.user.clone(),
            writable: args.writable,
        },
    };
    let tty = std::io::stderr().is_terminal();
    let progress = |line: &str| {
        if tty {
            eprintln!("verify: {line}…");
        }
    };
    let measured = match verify::run(&daemon, &image, &settings, &progress) {
        Ok(m) => m,
        Err(VerifyError::Interrupted) => {
            let _ = writeln!(
                stderr,
                "initlint: verify {shown}: interrupted; the container was removed"
            );
            return 130;
        }
        Err(e) => return fail(stderr, e.to_string()),
    };
    for name in &measured.stale_removed {
        let _ = writeln!(
            stderr,
            "initlint: verify: removed {}, a container left by an earlier run that was killed",
            crate::report::clean(name)
        );
    }
    let agree = verify::agrees(
        analysis.verdict.signal_fate,
        analysis.verdict.zombies,
        &measured,
    );
    let text = match args.format {
        VerifyFormat::Json => json(&image, &analysis, &measured, agree),
        VerifyFormat::Human => human(&image, args.grace, &analysis, &measured, agree),
    };
    if let Err(e) = write!(stdout, "{text}").and_then(|()| stdout.flush()) {
        return fail(stderr, format!("cannot write the report: {e}"));
    }
    u8::from(measured.fails())
}

impl From<EngineArg> for Engine {
    fn from(e: EngineArg) -> Engine {
        match e {
            EngineArg::Docker => Engine::Docker,
            EngineArg::Podman => Engine::Podman,
        }
    }
}

/// The watchdog a verify run starts: once its stdin closes (the run ended, or was killed),
/// remove the container. Always 0: there is no one to tell.
pub fn watch(engine: EngineArg, container: &str) -> u8 {
    let engine = Engine::from(engine);
    if let Ok(daemon) = daemon::connect(engine, Duration::from_secs(60)) {
        verify::sandbox::watch(daemon.client(), daemon.runtime(), container);
    }
    0
}

/// `docker build` (or `podman build`) of `dir` (a directory, or a Dockerfile in its context
/// directory); the image's ID.
fn build(
    engine: Engine,
    dir: &std::path::Path,
    tag: Option<&str>,
    stderr: &mut dyn Write,
) -> Result<String, String> {
    let program = engine.program();
    let (context, dockerfile) = match dir.is_file() {
        true => (
            dir.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."))
                .to_path_buf(),
            Some(dir.to_path_buf()),
        ),
        false => (dir.to_path_buf(), None),
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(["build", "-q"]);
    if let Some(f) = &dockerfile {
        cmd.arg("-f").arg(f);
    }
    if let Some(t) = tag {
        cmd.args(["-t", t]);
    }
    cmd.arg(&context);
    let _ = writeln!(
        stderr,
        "verify: {program} build {}",
        crate::report::clean(&context.display().to_string())
    );
    let out = cmd
        .output()
        .map_err(|e| format!("--build needs the `{program}` command ({e})"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} build failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let id = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .to_string();
    match (id.is_empty(), tag) {
        (false, _) => Ok(id),
        (true, Some(t)) => Ok(t.to_string()),
        (true, None) => Err(format!("{program} build printed no image ID")),
    }
}

fn json(image: &str, a: &Analysis, m: &Measured, agree: Option<bool>) -> String {
    let report = crate::report::json(&a.report());
    let doc = serde_json::json!({
        "image": image,
        "static": report["verdict"],
        "findings": report["findings"],
        "measured": m.json(),
        "agree": agree,
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

fn human(image: &str, grace: u64, a: &Analysis, m: &Measured, agree: Option<bool>) -> String {
    let v = &a.verdict;
    let mut out = format!("verify {}\n", crate::report::clean(image));
    out.push_str(&format!(
        "  static:   {} {} · zombies {} · PID 1: {}\n",
        v.signal,
        v.signal_fate.as_str(),
        v.zombies.as_str(),
        crate::report::clean(&v.pid1)
    ));
    let stop = match m.killed {
        true => format!(
            "{} ignored: still running after the {} s grace period, SIGKILLed (exit {})",
            m.stop_signal,
            grace,
            m.exit_code.unwrap_or(137)
        ),
        false => format!(
            "{} delivered: stopped in {} ms (exit {})",
            m.stop_signal,
            m.latency_ms,
            m.exit_code.map_or("unknown".into(), |c| c.to_string())
        ),
    };
    let zombies = match (m.zombies, &m.zombies_note) {
        (Some(0), _) => "zombies reaped (0 of 2 orphans left)".to_string(),
        (Some(n), _) => format!("zombies may-leak ({n} of 2 orphans left as zombies)"),
        (None, Some(why)) => format!("zombies unknown ({why})"),
        (None, None) => "zombies unknown".to_string(),
    };
    out.push_str(&format!("  measured: {stop} · {zombies}\n"));
    if let Some(user) = m.sandbox["user"].as_str() {
        let root = match m.sandbox["read_only_root"].as_bool() {
            Some(true) => "read-only root",
            _ => "writable root",
        };
        out.push_str(&format!(
            "  sandbox:  user {}; {root}; capabilities {}\n",
            crate::report::clean(user),
            verify::sandbox::CAPABILITIES.join(" ").to_lowercase()
        ));
    }
    // What each process does with the stop signal, where its masks could be read.
    let signal = crate::knowledge::signals::number(&m.stop_signal);
    let with_disposition = |cmd: &str, d: Option<&verify::Dispositions>| match (d, signal) {
        (Some(d), Some(n)) => format!(
            "{} ({}: {})",
            crate::report::clean(cmd),
            m.stop_signal,
            d.of(n)
        ),
        _ => crate::report::clean(cmd).into_owned(),
    };
    out.push_str(&format!(
        "  PID 1:    {}\n",
        with_disposition(&m.pid1, m.dispositions.as_ref())
    ));
    for p in m.processes.iter().skip(1) {
        out.push_str(&format!(
            "            {}\n",
            with_disposition(&p.cmd, p.dispositions.as_ref())
        ));
    }
    let phases: Vec<String> = m
        .phases
        .iter()
        .map(|p| format!("{} {} ms", p.name, p.ms))
        .collect();
    out.push_str(&format!("  phases:   {}\n", phases.join(", ")));
    out.push_str(match agree {
        Some(true) => "  agree:    yes: the static verdict is what happened\n",
        None => "  agree:    the static verdict was undecided; the measurement above decides it\n",
        Some(false) => "  agree:    NO ✗ the static verdict and the measurement disagree. That is a bug in initlint:\n            please report it with the output of `initlint --format json IMAGE` and\n            `initlint verify --format json IMAGE` (and the Dockerfile, if you can)\n",
    });
    out
}

/// The image as the engine names it: a bare NAME[:TAG] or ID, or the main command's spelling
/// for an image in that engine (`docker-daemon:NAME`, `podman:NAME`). Other sources hold no
/// container to start.
fn engine_name(engine: crate::image::daemon::Engine, image: &str) -> Result<String, String> {
    for prefix in ["docker-daemon:", "podman:"] {
        if let Some(name) = image.strip_prefix(prefix) {
            let wanted = format!("{}:", engine.kind());
            if prefix != wanted {
                return Err(format!(
                    "{image} names an image in another engine than --engine {}",
                    engine.kind().trim_end_matches("-daemon")
                ));
            }
            return Ok(name.to_string());
        }
    }
    for prefix in [
        "docker://",
        "docker-archive:",
        "oci:",
        "oci-archive:",
        "dir:",
    ] {
        if image.starts_with(prefix) {
            return Err(format!(
                "verify starts a container in the engine: load or pull the image into it first \
                 ({prefix}… is read by `initlint {image}`, but cannot be run from there)"
            ));
        }
    }
    Ok(image.to_string())
}
