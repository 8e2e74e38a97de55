//! `initlint verify IMAGE`: stop a real container and watch, next to the static verdict.
//!
//! Through the engine's API (Docker, or Podman's compatible socket): create the container
//! from the image's own entrypoint, command, user and stop signal, without network and with
//! memory and process limits; let it settle; record PID 1, the processes and PID 1's signal
//! dispositions; leave two orphans to PID 1 as a `docker exec` session does and count the
//! zombies; then stop it as `docker stop` does and time it. The container is removed on
//! success, failure and Ctrl-C.

mod host;
pub mod sandbox;

pub use sandbox::Sandbox;

pub use host::zombie_children;

use std::time::{Duration, Instant};

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptions, RemoveContainerOptions, StopContainerOptions, TopOptions,
};
use bollard::Docker;
use serde::Serialize;
use tokio::signal::unix::SignalKind;

use crate::image::daemon::Daemon;
use crate::launch::{SignalFate, Zombies};

/// The label every container initlint creates carries (its value: this run's id), so only
/// containers initlint created are ever touched.
pub const LABEL: &str = "org.initlint.verify";

/// How to run the experiment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long the container runs before it is looked at (or until healthy, up to
    /// `health_cap`, when the image has a HEALTHCHECK).
    pub settle: Duration,
    pub health_cap: Duration,
    /// How long `docker stop` waits before SIGKILL.
    pub grace: Duration,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub env: Vec<String>,
    /// `docker run --init`: the engine's docker-init runs the launch.
    pub init: bool,
    /// `docker run --stop-signal`.
    pub stop_signal: Option<String>,
    pub sandbox: Sandbox,
}

/// One timed step of the experiment.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub name: &'static str,
    pub ms: u128,
}

/// A process's signal masks, from `/proc/PID/status` (in JSON as the kernel prints them:
/// 16 hex digits, bit N-1 for signal N).
#[derive(Debug, Clone)]
pub struct Dispositions {
    pub caught: u64,
    pub ignored: u64,
    pub blocked: u64,
}

impl Serialize for Dispositions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::json!({
            "caught": format!("{:016x}", self.caught),
            "ignored": format!("{:016x}", self.ignored),
            "blocked": format!("{:016x}", self.blocked),
        })
        .serialize(s)
    }
}

impl Dispositions {
    /// Whether `signal` (a number) is caught, ignored or left to its default.
    pub fn of(&self, signal: i32) -> &'static str {
        let bit = 1u64 << ((signal.max(1) - 1) & 63);
        if self.caught & bit != 0 {
            "caught"
        } else if self.ignored & bit != 0 {
            "ignored"
        } else {
            "default"
        }
    }
}

/// A process of the container, as `docker top` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Process {
    /// Its pid on the engine's host.
    pub host_pid: Option<u32>,
    pub cmd: String,
    pub dispositions: Option<Dispositions>,
}

/// What happened, measured.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The signal `docker stop` sent (the image's stop signal).
    pub stop_signal: String,
    /// `delivered`: the container stopped before the grace period ended; `ignored`: it was
    /// SIGKILLed after it.
    pub outcome: SignalFate,
    pub exit_code: Option<i64>,
    pub latency_ms: u128,
    pub killed: bool,
    /// PID 1's command line as the engine reports it.
    pub pid1: String,
    /// Every process after the settle time (PID 1 first when `docker top` lists it): its
    /// command line and its signal
    /// masks, where this machine can read them.
    pub processes: Vec<Process>,
    pub dispositions: Option<Dispositions>,
    /// Zombies left after the orphan test, or why it could not run.
    pub zombies: Option<usize>,
    pub zombies_note: Option<String>,
    pub phases: Vec<Phase>,
    /// How the container was confined (the report's `sandbox`).
    pub sandbox: serde_json::Value,
    /// Containers left by earlier runs that were killed, removed before this one.
    pub stale_removed: Vec<String>,
    /// A watchdog process would have removed the container had initlint been killed.
    pub watchdog: bool,
}

impl Measured {
    pub fn zombie_outcome(&self) -> Zombies {
        match self.zombies {
            Some(0) => Zombies::Reaped,
            Some(_) => Zombies::MayLeak,
            None => Zombies::Unknown,
        }
    }

    /// Whether the container fails the gate: SIGKILL was needed, or zombies stayed.
    pub fn fails(&self) -> bool {
        self.killed || self.zombies.is_some_and(|z| z > 0)
    }

    /// The output contract's `measured` object.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "stop_signal": self.stop_signal,
            "outcome": self.outcome.as_str(),
            "killed": self.killed,
            "exit_code": self.exit_code,
            "latency_ms": self.latency_ms,
            "pid1": self.pid1,
            "processes": self.processes,
            "dispositions": self.dispositions,
            "zombies": self.zombies,
            "zombies_outcome": self.zombie_outcome().as_str(),
            "zombies_note": self.zombies_note,
            "phases": self.phases,
            "sandbox": self.sandbox,
            "stale_removed": self.stale_removed,
            "watchdog": self.watchdog,
        })
    }
}

/// The experiment's failures (the container, if created, is removed before they return).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{0}")]
    Engine(String),
    #[error("interrupted (SIGINT or SIGTERM); the container was removed")]
    Interrupted,
}

/// Run the experiment on the image `name` in `daemon`. `progress` gets a line per phase.
pub fn run(
    daemon: &Daemon,
    name: &str,
    settings: &Settings,
    progress: &dyn Fn(&str),
) -> Result<Measured, VerifyError> {
    let docker = daemon.client().clone();
    let run_id = sandbox::run_id(unique());
    let engine = daemon.engine().program();
    daemon.runtime().block_on(async {
        // Listen before anything is created: from here on SIGINT (Ctrl-C) and SIGTERM (a CI
        // job cancelled) no longer end the process at once; one that arrives while the
        // container is being created is kept and seen right after.
        let mut interrupt = signal(SignalKind::interrupt());
        let mut terminate = signal(SignalKind::terminate());
        let inspect = docker
            .inspect_image(name)
            .await
            .map_err(|e| engine_error(&format!("inspect {name}"), &e))?;
        let config = inspect.config.unwrap_or_default();
        let stop_signal = settings
            .stop_signal
            .clone()
            .or_else(|| config.stop_signal.clone())
            .unwrap_or_else(|| "SIGTERM".into());
        let stale_removed = sandbox::remove_stale(&docker).await;
        let image_user = config.user.clone();
        let image = FromImage {
            stop_signal,
            healthcheck: config
                .healthcheck
                .as_ref()
                .and_then(|h| h.test.as_ref())
                .is_some_and(|t| t.first().is_some_and(|w| w != "NONE")),
        };
        progress(&format!(
            "creating the container ({}; user {})",
            settings.sandbox.describe(),
            settings.sandbox.user_said(image_user.as_deref())
        ));
        let started = Instant::now();
        let id = create(&docker, name, settings, &run_id).await?;
        // From here on, the container is removed whatever happens: Ctrl-C here, and `kill -9`
        // by the watchdog.
        let watchdog = sandbox::Watchdog::start(engine, &id);
        let experiment = experiment(&docker, &id, settings, &image, progress, started);
        let result = tokio::select! {
            r = experiment => r,
            _ = received(&mut interrupt) => Err(VerifyError::Interrupted),
            _ = received(&mut terminate) => Err(VerifyError::Interrupted),
        };
        remove(&docker, &id).await;
        let watched = watchdog.running();
        drop(watchdog);
        result.map(|mut m| {
            m.sandbox = settings.sandbox.json(image_user.as_deref());
            m.stale_removed = stale_removed;
            m.watchdog = watched;
            m
        })
    })
}

/// What the experiment takes from the image's config.
struct FromImage {
    stop_signal: String,
    healthcheck: bool,
}

fn signal(kind: SignalKind) -> Option<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(kind).ok()
}

/// The next delivery of a signal listened to (never, if listening failed).
async fn received(s: &mut Option<tokio::signal::unix::Signal>) {
    match s {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

async fn create(
    docker: &Docker,
    image: &str,
    s: &Settings,
    run_id: &str,
) -> Result<String, VerifyError> {
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        entrypoint: s.entrypoint.clone(),
        cmd: s.cmd.clone(),
        env: (!s.env.is_empty()).then(|| s.env.clone()),
        labels: Some([(LABEL.to_string(), run_id.to_string())].into()),
        user: s.sandbox.user.clone(),
        stop_signal: s.stop_signal.clone(),
        host_config: Some(bollard::models::HostConfig {
            init: s.init.then_some(true),
            ..s.sandbox.host_config()
        }),
        ..Default::default()
    };
    let options = CreateContainerOptions {
        name: Some(format!("initlint-verify-{}", run_id.replace(':', "-"))),
        ..Default::default()
    };
    let created = docker
        .create_container(Some(options), body)
        .await
        .map_err(|e| engine_error("create the container", &e))?;
    Ok(created.id)
}

async fn experiment(
    docker: &Docker,
    id: &str,
    s: &Settings,
    image: &FromImage,
    progress: &dyn Fn(&str),
    started: Instant,
) -> Result<Measured, VerifyError> {
    let mut phases = Vec::new();
    let mut lap = started;
    let mut phase = |name: &'static str, lap: &mut Instant| {
        phases.push(Phase {
            name,
            ms: lap.elapsed().as_millis(),
        });
        *lap = Instant::now();
    };
    docker
        .start_container(id, None)
        .await
        .map_err(|e| engine_error("start the container", &e))?;
    phase("create and start", &mut lap);
    settle(docker, id, s, image.healthcheck, progress).await?;
    phase("settle", &mut lap);

    progress("recording PID 1 and the processes");
    let (pid, code) = state(docker, id).await?;
    let host_pid = pid.and_then(|p| u32::try_from(p).ok()).filter(|p| *p > 0);
    if host_pid.is_none() {
        return Err(VerifyError::Engine(format!(
            "the container is not running after the settle time (exit code {}); it cannot be stopped{}",
            code.map_or("unknown".into(), |c| c.to_string()),
            exited_why(docker, id, &s.sandbox).await
        )));
    }
    let mut processes = top(docker, id).await;
    // PID 1 is the process whose host pid the engine gave: listed first, its masks read with
    // the list.
    let (pid1, dispositions) = match processes.iter().position(|p| p.host_pid == host_pid) {
        Some(i) => {
            processes[..=i].rotate_right(1);
            (processes[0].cmd.clone(), processes[0].dispositions.clone())
        }
        None => (String::new(), host_pid.and_then(host::dispositions)),
    };
    phase("inspect", &mut lap);

    progress("leaving two orphans to PID 1 (as a `docker exec` session does)");
    let (zombies, zombies_note) = orphans(docker, id, host_pid).await;
    phase("orphan test", &mut lap);

    progress("stopping it as `docker stop` does");
    let t0 = Instant::now();
    let grace = i32::try_from(s.grace.as_secs()).unwrap_or(i32::MAX);
    docker
        .stop_container(
            id,
            Some(StopContainerOptions {
                t: Some(grace),
                signal: None,
            }),
        )
        .await
        .map_err(|e| engine_error("stop the container", &e))?;
    let latency = t0.elapsed();
    let (_, exit_code) = state(docker, id).await?;
    phase("stop", &mut lap);
    // Docker reports 128 + 9 for a container it had to SIGKILL.
    let killed = exit_code == Some(137);
    Ok(Measured {
        stop_signal: image.stop_signal.clone(),
        outcome: if killed {
            SignalFate::Ignored
        } else {
            SignalFate::Delivered
        },
        exit_code,
        latency_ms: latency.as_millis(),
        killed,
        pid1,
        processes,
        dispositions,
        zombies,
        zombies_note,
        phases,
        sandbox: serde_json::Value::Null,
        stale_removed: Vec::new(),
        watchdog: false,
    })
}

/// The end of the log of a container that exited early, and which sandbox setting to relax
/// when the log points at one.
async fn exited_why(docker: &Docker, id: &str, sandbox: &Sandbox) -> String {
    use futures_util::StreamExt;
    let options = bollard::query_parameters::LogsOptions {
        stdout: true,
        stderr: true,
        tail: "5".into(),
        ..Default::default()
    };
    let mut stream = docker.logs(id, Some(options));
    let mut log = String::new();
    // Five lines, but a line can be endless: stop reading once there is enough.
    while log.len() < 2048 {
        let Some(Ok(chunk)) = stream.next().await else {
            break;
        };
        log.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
    }
    let log: String = log.trim().chars().take(1024).collect();
    let hint = if log.contains("Read-only file system") && !sandbox.writable {
        "; it wrote outside /tmp, /run and /var/tmp: --writable gives it a writable root"
    } else if log.contains("Operation not permitted") || log.contains("Permission denied") {
        "; a privilege was refused (verify drops most capabilities and sets no-new-privileges; --user, if set, runs it as another user)"
    } else {
        ""
    };
    match log.is_empty() {
        true => hint.to_string(),
        false => format!("{hint}; its log ends: {}", log.replace('\n', " | ")),
    }
}

/// Wait `settle`, or until healthy (at most `health_cap`) when the image has a HEALTHCHECK.
async fn settle(
    docker: &Docker,
    id: &str,
    s: &Settings,
    healthcheck: bool,
    progress: &dyn Fn(&str),
) -> Result<(), VerifyError> {
    if !healthcheck {
        progress(&format!(
            "letting it settle for {} ms",
            s.settle.as_millis()
        ));
        tokio::time::sleep(s.settle).await;
        return Ok(());
    }
    progress("waiting until the HEALTHCHECK says healthy");
    let deadline = Instant::now() + s.health_cap;
    while Instant::now() < deadline {
        let inspect = docker
            .inspect_container(id, None)
            .await
            .map_err(|e| engine_error("inspect the container", &e))?;
        let health = inspect
            .state
            .and_then(|st| st.health)
            .and_then(|h| h.status)
            .map(|h| h.to_string());
        if health.as_deref() == Some("healthy") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(())
}

/// PID 1's host pid and the exit code, from the engine.
async fn state(docker: &Docker, id: &str) -> Result<(Option<i64>, Option<i64>), VerifyError> {
    let inspect = docker
        .inspect_container(id, None)
        .await
        .map_err(|e| engine_error("inspect the container", &e))?;
    let st = inspect.state.unwrap_or_default();
    let running = st.running.unwrap_or(false);
    Ok((st.pid.filter(|_| running), st.exit_code))
}

/// The processes, as `docker top` lists them, with their signal masks from this machine's
/// `/proc` when the engine runs here.
async fn top(docker: &Docker, id: &str) -> Vec<Process> {
    let Ok(top) = docker.top_processes(id, None::<TopOptions>).await else {
        return Vec::new();
    };
    let titles = top.titles.unwrap_or_default();
    let column = |names: &[&str]| titles.iter().position(|t| names.contains(&t.as_str()));
    let cmd = column(&["CMD", "COMMAND"]).unwrap_or(titles.len().saturating_sub(1));
    let pid = column(&["PID"]);
    top.processes
        .unwrap_or_default()
        .into_iter()
        .map(|row| {
            let host_pid = pid
                .and_then(|i| row.get(i))
                .and_then(|p| p.trim().parse::<u32>().ok());
            Process {
                host_pid,
                cmd: row.get(cmd).cloned().unwrap_or_default(),
                dispositions: host_pid.and_then(host::dispositions),
            }
        })
        .collect()
}

/// Two short-lived grandchildren re-parented to PID 1, then the zombies counted. From the
/// host when the engine runs here (its `/proc`, and `nsenter -p` with the host's shell:
/// nothing of the image needed), else through an exec'd `sh` in the container.
async fn orphans(
    docker: &Docker,
    id: &str,
    host_pid: Option<u32>,
) -> (Option<usize>, Option<String>) {
    let script = "sleep 0.3 & sleep 0.3 & exit 0";
    let Some(pid) = host_pid.filter(|p| host::visible(*p)) else {
        return (
            None,
            Some("the engine's processes are not visible here (a remote or rootless engine): zombies not counted".into()),
        );
    };
    let planted = match host::nsenter_orphans(pid, script) {
        Ok(()) => Ok(()),
        Err(host_why) => exec_orphans(docker, id, script)
            .await
            .map_err(|why| format!("{host_why}; and {why}")),
    };
    if let Err(why) = planted {
        return (None, Some(format!("no orphans could be left: {why}")));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    (Some(host::zombie_children(pid)), None)
}

async fn exec_orphans(docker: &Docker, id: &str, script: &str) -> Result<(), String> {
    use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
    use futures_util::StreamExt;
    let exec = docker
        .create_exec(
            id,
            CreateExecOptions {
                cmd: Some(vec!["/bin/sh", "-c", script]),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| format!("exec /bin/sh in the container: {e}"))?;
    let started = docker
        .start_exec(&exec.id, None::<StartExecOptions>)
        .await
        .map_err(|e| format!("exec /bin/sh in the container: {e}"))?;
    if let StartExecResults::Attached { mut output, .. } = started {
        while output.next().await.is_some() {}
    }
    let inspect = docker
        .inspect_exec(&exec.id)
        .await
        .map_err(|e| e.to_string())?;
    match inspect.exit_code {
        Some(0) => Ok(()),
        code => Err(format!(
            "/bin/sh in the container exited with {code:?} (no shell or no sleep in the image?)"
        )),
    }
}

pub(crate) async fn remove(docker: &Docker, id: &str) {
    let options = RemoveContainerOptions {
        force: true,
        v: true,
        ..Default::default()
    };
    let _ = docker.remove_container(id, Some(options)).await;
}

fn engine_error(what: &str, e: &bollard::errors::Error) -> VerifyError {
    VerifyError::Engine(format!(
        "cannot {what}: {}",
        crate::image::registry::causes(e)
    ))
}

/// A per-run suffix: the time in nanoseconds (with the pid, unique enough for names).
fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() % 1_000_000_000)
}

/// Whether the static verdict and the measurement agree; `None` when the static one is
/// undecided. An `abrupt` stop ends before the grace period too: it agrees with a container
/// that stopped at once (only the application's own log tells them apart).
pub fn agrees(signal: SignalFate, zombies: Zombies, m: &Measured) -> Option<bool> {
    let signal_ok = match signal {
        SignalFate::Unknown => None,
        SignalFate::Ignored => Some(m.killed),
        SignalFate::Delivered | SignalFate::Abrupt => Some(!m.killed),
    };
    let zombies_ok = match (zombies, m.zombie_outcome()) {
        (Zombies::Unknown, _) | (_, Zombies::Unknown) => None,
        (a, b) => Some(a == b),
    };
    match (signal_ok, zombies_ok) {
        (None, None) => None,
        (Some(a), None) | (None, Some(a)) => Some(a),
        (Some(a), Some(b)) => Some(a && b),
    }
}
