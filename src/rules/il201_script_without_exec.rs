use super::{label, why_dropped, why_killed, why_stop, Context, Diag};
use crate::launch::CauseKind;
use crate::shell::Terminal;

super::rule! {
    code: IL201,
    name: "script-without-exec",
    severity: Error,
    summary: "an entrypoint script runs the program without exec, so the script stays PID 1",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    for (i, step, cause, content, analysis) in ctx.script_causes() {
        let CauseKind::ScriptStays { path } = cause else {
            continue;
        };
        let Some(Terminal::Command { cmd, .. }) = &analysis.terminal else {
            continue;
        };
        if !step.candidate {
            continue;
        }
        let Some(span) = content.map.span(cmd.range.clone()) else {
            continue;
        };
        // Name what actually runs (`"$@"` resolved to the CMD), falling back to the word.
        let resolved = ctx
            .chain
            .steps
            .get(i + 1)
            .and_then(|s| s.argv.first())
            .map(|a| a.text.value.clone());
        let program = resolved
            .or_else(|| cmd.words.first().map(|w| w.raw.clone()))
            .map_or("the program".into(), |p| format!("`{p}`"));
        let line = content
            .value
            .get(cmd.range.clone())
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("");
        let mut secondary = Vec::new();
        if let Some(at) = step.argv.first().and_then(|a| a.text.span()) {
            if at.file != span.file {
                secondary.push(label(
                    at,
                    format!("{path} is started here and becomes PID 1"),
                ));
            }
        }
        out.push(Diag {
            step: Some(i),
            primary: label(span, format!("{program} runs as a child; {path} stays PID 1")),
            secondary,
            message: format!("{path} runs {program} without exec: the script stays PID 1"),
            why: super::whys![
                why_stop(ctx),
                format!("PID 1 is the shell running {path}: scripts never exec their last command implicitly"),
                why_dropped(path),
                format!("{program} never sees the signal"),
                why_killed(),
            ],
            help: format!("write `exec {line}` so the program replaces the script and receives the signal"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::{tester::Tester, Code};

    const DOCKERFILE: &str = "FROM debian:bookworm\nCOPY entrypoint.sh /usr/local/bin/\nENTRYPOINT [\"entrypoint.sh\"]\nCMD [\"/usr/local/bin/server\"]\n";

    #[test]
    fn cases() {
        Tester::new(Code::IL201)
            .fail_with(
                DOCKERFILE,
                &[("entrypoint.sh", "#!/bin/sh\nset -e\necho starting\n\"$@\"\n")],
                0,
            )
            .pass_with(
                DOCKERFILE,
                &[("entrypoint.sh", "#!/bin/sh\nset -e\necho starting\nexec \"$@\"\n")],
            )
            .pass_with(
                DOCKERFILE,
                &[("entrypoint.sh", "#!/bin/sh\nif [ -n \"$DEBUG\" ]; then set -x; fi\nexec gosu app \"$@\"\n")],
            )
            .test();
    }
}
