use super::{label, Context, Diag};
use crate::launch::cause::Handling;
use crate::launch::{CauseKind, StepKind};

super::rule! {
    code: IL205,
    name: "launcher-wrapper",
    severity: Warning,
    summary: "a package-manager launcher (npm start, yarn, poetry run, …) is on the launch path",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    for (i, step, cause) in ctx.causes() {
        let launcher = step.launcher().map(|(name, _)| name);
        // One finding per launcher: on its own step (an init in front of it carries the same
        // cause), or on the reloader's.
        let (name, reloader, forwards) = match (cause, launcher) {
            (CauseKind::Launcher { name, reloader, .. }, _) if *reloader || launcher.is_some() => {
                (name.as_str(), *reloader, false)
            }
            (CauseKind::Handles(Handling::InitForwards { .. }), Some(name)) => {
                (name, false, true)
            }
            _ => continue,
        };
        let Some(span) = super::step_span(ctx, step) else {
            continue;
        };
        let cmdline: Vec<&str> = step.words();
        let role = if step.pid1 {
            "PID 1"
        } else {
            "an extra process"
        };
        let fate = match forwards {
            // Measured: busybox and bash exec the script's command, dash does not.
            true => "the signal reaches the app only because this image's `sh` execs the script's command (busybox, bash); on a Debian-based image `sh` is dash, which stays in between and dies of it, and the app is SIGKILLed",
            false => "launchers do not reliably forward the stop signal, and as PID 1 they have no handler for it",
        };
        out.push(Diag {
            step: Some(i),
            primary: label(span, format!("{name} starts the app as a child process")),
            secondary: Vec::new(),
            message: format!("`{}` puts {name} between the runtime and the app", cmdline.join(" ")),
            why: super::whys![
                format!("{name} is {role}: it runs the app (often through another `sh -c`) as a child"),
                fate,
                match forwards {
                    true => "node (npm, yarn) as PID 1 does not reap orphans",
                    false => "the app gets SIGKILL after the grace period instead of a chance to shut down",
                },
            ],
            help: match reloader {
                true => "turn the reloader off (Django: `runserver --noreload`; flask: no `--debug`), or better, run a production server that stops on SIGTERM (`gunicorn`, `uvicorn`)".into(),
                false => format!("run the app directly in exec form, e.g. {} instead of `{}`", super::write_launch(ctx, super::Launch::Cmd, &app_argv(ctx, i)), cmdline.join(" ")),
            },
        });
    }
}

/// The app the launcher at step `i` runs, as an exec-form JSON array: the first step after
/// it that is not a shell (`npm start` → `sh -c "node server.js"` → `node server.js`), or the
/// command after `run` (`poetry run gunicorn app:app`).
fn app_argv(ctx: &Context<'_>, i: usize) -> String {
    let later = ctx
        .chain
        .steps
        .iter()
        .skip(i + 1)
        .find(|s| !matches!(s.kind, StepKind::ShellString { .. }))
        .filter(|s| s.argv.iter().all(|a| a.known))
        .map(|s| s.words());
    let after_run = || {
        let words = ctx.chain.steps.get(i)?.words();
        (words.get(1) == Some(&"run") && words.len() > 2).then(|| words[2..].to_vec())
    };
    match later.or_else(after_run) {
        Some(words) if !words.is_empty() => {
            let quoted: Vec<String> = words
                .iter()
                .map(|w| serde_json::to_string(w).unwrap_or_default())
                .collect();
            format!("[{}]", quoted.join(", "))
        }
        _ => r#"["node", "server.js"]"#.into(),
    }
}
