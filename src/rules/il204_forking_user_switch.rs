use super::{label, Code, Context, Diag, Meta, Severity};
use crate::launch::CauseKind;

pub struct Rule;

static META: Meta = Meta {
    code: Code::IL204,
    name: "forking-user-switch",
    severity: Severity::Error,
    summary:
        "su, sudo or runuser on the launch path: they stay the parent and do not forward signals",
    doc: include_str!("../../rules/IL204.md"),
};

impl super::Rule for Rule {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diag>) {
        for (i, step, cause) in ctx.causes() {
            let CauseKind::UserSwitchStays { name } = cause else {
                continue;
            };
            if !step.candidate {
                continue;
            }
            let Some(span) = step
                .argv
                .first()
                .and_then(|a| a.text.span())
                .or_else(|| step.at.clone())
            else {
                continue;
            };
            out.push(Diag {
                step: Some(i),
                primary: label(span, format!("{name} forks the program and stays PID 1")),
                secondary: Vec::new(),
                message: format!("`{name}` stays PID 1 as the parent of the program"),
                why: vec![
                    super::why_stop(ctx),
                    format!("{name} runs the command as a child (it needs to stay for PAM session cleanup) and stays PID 1"),
                    super::why_dropped(name),
                    super::WHY_KILLED.to_string(),
                ],
                help: "switch user with a tool that execs: `exec gosu USER cmd`, `exec su-exec USER cmd`, `exec setpriv --reuid=USER --regid=GROUP --init-groups cmd`, or set `USER` in the Dockerfile".into(),
            });
        }
    }
}
