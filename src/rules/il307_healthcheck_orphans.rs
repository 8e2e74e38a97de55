use super::{label, Context, Diag};
use crate::launch::Zombies;

super::rule! {
    code: IL307,
    name: "healthcheck-orphans",
    severity: Warning,
    summary: "a health check whose shell stays the parent runs beside a PID 1 that does not reap: every check that times out leaves a zombie",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let Some(health) = &ctx.chain.health else {
        return;
    };
    let (Some(orphans), Some(at)) = (&health.orphans, &health.at) else {
        return;
    };
    if ctx.verdict.zombies != Zombies::MayLeak {
        return;
    }
    let Some(setting) = &ctx.container.healthcheck else {
        return;
    };
    let program = &orphans.program;
    let pid1 = ctx
        .chain
        .pid1()
        .map_or_else(|| ctx.verdict.pid1.clone(), |s| s.program_name());
    let mut secondary = Vec::new();
    if let Some(span) = ctx.chain.pid1().and_then(|s| super::step_span(ctx, s)) {
        secondary.push(label(span, format!("{pid1} is PID 1 and does not reap")));
    }
    let reaper = ctx
        .verdict
        .zombie_reasons
        .first()
        .map(|c| crate::verdict::wording::text(&c.kind, &ctx.verdict.signal))
        .unwrap_or_else(|| format!("{pid1} does not wait for children it did not start"));
    out.push(Diag {
        step: None,
        primary: label(at.clone(), format!("{} keeps `{program}` as its child", orphans.shell)),
        secondary,
        message: format!(
            "{} runs `{program}` under a shell that stays its parent, beside a PID 1 that does not reap: each check that times out leaves a zombie",
            setting.origin.describe()
        ),
        why: super::whys![
            "the runtime runs a health check as a new process in the container (as `docker exec` does), not as a child of PID 1",
            format!("{} stays the parent of `{program}`: {}", orphans.shell, orphans.why),
            format!("when a check outlives its timeout the runtime kills the shell; `{program}` is re-parented to PID 1 and, once it exits, stays a zombie until PID 1 waits for it"),
            reaper,
            "checks run every interval for the container's whole life: zombies hold PIDs until the pids limit is reached and fork() fails",
        ],
        help: {
            let (exec_form, init) = match &setting.origin {
                crate::model::Origin::Manifest { format, .. } if *format == "compose" => (
                    format!("`test: [\"CMD\", \"{program}\", …]`"),
                    "`init: true`",
                ),
                crate::model::Origin::Manifest { .. } => (
                    format!("`exec: {{command: [\"{program}\", …]}}`"),
                    "`shareProcessNamespace: true`, or an init in the image",
                ),
                _ => (
                    format!("`HEALTHCHECK CMD [\"{program}\", …]`"),
                    "`docker run --init`, `ENTRYPOINT [\"tini\", \"--\"]`",
                ),
            };
            format!(
                "run the check in exec form so `{program}` is the check process itself ({exec_form}), or `exec` it in the string; or give the container an init that reaps ({init})"
            )
        },
    });
}

#[cfg(test)]
mod tests {
    use super::super::{tester::Tester, Code};

    #[test]
    fn cases() {
        Tester::new(Code::IL307)
            .fail(&[
                // dash keeps curl as its child; python never reaps.
                (
                    "FROM python:3.12-slim\nHEALTHCHECK --timeout=3s CMD curl -f http://localhost/\nCMD [\"python\", \"-c\", \"import time; time.sleep(1e9)\"]\n",
                    2,
                ),
                // A pipeline keeps every shell as the parent, busybox's too.
                (
                    "FROM node:20-alpine\nCMD [\"node\", \"-e\", \"setInterval(() => {}, 1000)\"]\nHEALTHCHECK CMD wget -q -O- http://localhost/ | grep ok\n",
                    3,
                ),
            ])
            .pass(&[
                // Exec form: the checked program is the process the runtime kills.
                "FROM python:3.12-slim\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]\nCMD [\"python\", \"-c\", \"import time; time.sleep(1e9)\"]\n",
                // `exec` in the string: no shell is left to kill.
                "FROM python:3.12-slim\nHEALTHCHECK CMD exec curl -f http://localhost/\nCMD [\"python\", \"-c\", \"import time; time.sleep(1e9)\"]\n",
                // busybox ash execs a simple last command itself.
                "FROM node:20-alpine\nHEALTHCHECK CMD wget -q -O- http://localhost/\nCMD [\"node\", \"-e\", \"setInterval(() => {}, 1000)\"]\n",
                // An init in front reaps.
                "FROM python:3.12-slim\nHEALTHCHECK CMD curl -f http://localhost/\nENTRYPOINT [\"tini\", \"--\"]\nCMD [\"python\", \"-c\", \"import time; time.sleep(1e9)\"]\n",
                // The shell-form CMD leaves dash as PID 1, and dash reaps while it waits.
                "FROM python:3.12-slim\nHEALTHCHECK CMD curl -f http://localhost/\nCMD python -c 'import time; time.sleep(1e9)'\n",
                // HEALTHCHECK NONE runs nothing.
                "FROM python:3.12-slim\nHEALTHCHECK NONE\nCMD [\"python\", \"-c\", \"import time; time.sleep(1e9)\"]\n",
            ])
            .test();
    }
}
