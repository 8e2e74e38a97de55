use super::{label, Context, Diag, Launch};
use crate::elf;
use crate::knowledge::sources::Language;
use crate::launch::cause::{Recognised, Seen};
use crate::launch::CauseKind;

super::rule! {
    code: IL301,
    name: "no-stop-signal-handler",
    severity: Error,
    summary: "the PID 1 binary imports no function that could install a signal handler, so the kernel drops the stop signal",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    for (i, step, cause) in ctx.causes() {
        let CauseKind::NoHandler { program, seen } = cause else {
            continue;
        };
        let Some(span) = super::step_span(ctx, step) else {
            continue;
        };
        let sig = ctx.container.stop_signal_name();
        let (evidence, help) = match seen {
            Seen::Knowledge { program: p, how } => (
                format!(
                    "{program} {} ({})",
                    p.pid1.as_ref().map_or("", |k| k.note),
                    recognised(how, p.name())
                ),
                format!("to keep a container alive, run it under an init that exits on {sig}: {} before the command, or `docker run --init`; better, make the real service the command", super::write_launch(ctx, Launch::Entrypoint, r#"["tini", "--"]"#)),
            ),
            Seen::Option { program: p, option, why } => (
                format!("{p} runs with {option}: {why}"),
                format!("drop {option} so the JVM handles {sig} and runs its shutdown hooks, or run it under an init that forwards signals (`docker run --init`)"),
            ),
            Seen::Sources { path, language, stage, files, .. } => (
                format!("{path} is a {} program compiled in {stage}; none of the {files} source file(s) that stage copies from the build context installs a handler for {sig} ({}){}", language.name(), language.handler_apis(), dotnet_runtime(*language)),
                format!("handle {sig} in the program and shut down cleanly ({}), or run it under an init that forwards signals: {} or `docker run --init`", language.handler_fix(&sig), super::write_launch(ctx, Launch::Entrypoint, &under_tini(step, path))),
            ),
            Seen::Binary { path, kind, others, calls_read } => (
                binary_evidence(path, kind, others, *calls_read),
                format!("handle {sig} in the program (sigaction, then shut down cleanly), or run it under an init that forwards signals: {} or `docker run --init`; a non-PID-1 child with no handler is terminated by {sig}'s default action", super::write_launch(ctx, Launch::Entrypoint, &format!(r#"["tini", "--", "{path}"]"#))),
            ),
        };
        out.push(Diag {
            step: Some(i),
            primary: label(span, format!("{program} is PID 1 and cannot handle {sig}")),
            secondary: Vec::new(),
            message: format!(
                "{program} is PID 1 and has no handler for {sig}: the kernel drops it"
            ),
            why: super::whys![
                super::why_stop(ctx),
                evidence,
                super::why_dropped(program),
                super::why_killed(),
            ],
            help,
        });
    }
}

/// The program under `tini --`, as JSON; `dotnet app.dll` keeps its `dotnet`. Arguments are
/// left out: they may be the CMD's, which stays.
fn under_tini(step: &crate::launch::Step, path: &str) -> String {
    let mut words = vec!["tini".to_string(), "--".to_string()];
    let argv = step.words();
    match argv.iter().position(|w| w.ends_with(".dll")) {
        Some(dll) if argv[0].rsplit('/').next() == Some("dotnet") => {
            words.extend(argv[..=dll].iter().map(|w| w.to_string()))
        }
        _ => words.push(path.to_string()),
    }
    serde_json::to_string(&words).unwrap_or_default().replace("\",\"", "\", \"")
}

/// .NET 10 stopped handling SIGTERM in the runtime: an app without a host has no handler.
fn dotnet_runtime(language: Language) -> &'static str {
    match language {
        Language::DotNet => ", and from .NET 10 on the runtime installs none of its own",
        _ => "",
    }
}

/// What the binary shows: no handler-installing import, or call sites for other signals only.
fn binary_evidence(path: &str, kind: &str, others: &[i64], calls_read: bool) -> String {
    match (calls_read, others.is_empty()) {
        (false, _) => format!(
            "{path} is a dynamically linked ELF ({kind}) that imports none of {}: it never installs a signal handler",
            elf::SIGNAL_FNS.join(", ")
        ),
        (true, true) => format!(
            "{path} ({kind}) never calls sigaction, signal or sigwait: it installs no signal handler"
        ),
        (true, false) => format!(
            "{path} ({kind}) installs dispositions only for {}, read from the constant argument at every call site",
            crate::knowledge::signals::names(others)
        ),
    }
}

/// How the rule names the way a program was recognised (`the busybox applet sleep`).
fn recognised(how: &Recognised, name: &str) -> String {
    match how {
        Recognised::Applet { binary, applet, .. } => format!("the {binary} applet {applet}"),
        Recognised::Evidence(_) | Recognised::Name(_) | Recognised::Built(_) => {
            format!("recognised as {name}")
        }
    }
}
