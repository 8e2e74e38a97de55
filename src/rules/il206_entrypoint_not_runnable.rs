use super::{label, Context, Diag};
use crate::launch::CauseKind;
use crate::model::Base;

super::rule! {
    code: IL206,
    name: "entrypoint-not-runnable",
    severity: Error,
    summary: "the program or script on the launch path is missing, not executable, or has a broken shebang",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    for (i, step, cause) in ctx.causes() {
        let CauseKind::NotRunnable(p) = cause else {
            continue;
        };
        let Some(at) =
            p.at.clone()
                .or_else(|| step.at.clone())
                .or_else(|| super::launch_span(ctx))
        else {
            continue;
        };
        let secondary = p
            .also
            .clone()
            .filter(|a| *a != at)
            .map(|a| vec![label(a, "put into the image here")])
            .unwrap_or_default();
        out.push(Diag {
            step: Some(i),
            primary: label(at, p.message.clone()),
            secondary,
            message: format!("the container cannot start: {}", p.message),
            why: super::whys![
                p.why.clone(),
                "`docker run` fails immediately; there is no PID 1 to receive anything",
            ],
            help: p.help.clone(),
        });
    }
    // An image whose config has neither: `docker run` refuses ("no command specified").
    if let (Base::Image { config, .. }, None, None) = (
        &ctx.container.base,
        &ctx.container.entrypoint,
        &ctx.container.cmd,
    ) {
        out.push(Diag {
            step: None,
            primary: label(config.clone(), "the config has no Entrypoint and no Cmd"),
            secondary: Vec::new(),
            message: "the image has no command: `docker run` fails with \"no command specified\"".into(),
            why: super::whys!["the image config sets neither Entrypoint nor Cmd, so the runtime has nothing to start unless every `docker run` names a command"],
            help: "set ENTRYPOINT or CMD in exec form in the Dockerfile that builds the image".into(),
        });
    }
    // FROM scratch with no command at all: `docker run` refuses ("no command specified").
    if let (Base::Scratch, None, None, Some(facts)) = (
        &ctx.container.base,
        &ctx.container.entrypoint,
        &ctx.container.cmd,
        ctx.facts,
    ) {
        if let Some(stage) = facts.stages.get(facts.target) {
            out.push(Diag {
                step: None,
                primary: label(stage.from_span.clone(), "scratch has no ENTRYPOINT or CMD"),
                secondary: Vec::new(),
                message:
                    "the image has no command: `docker run` fails with \"no command specified\""
                        .into(),
                why: super::whys![
                    "FROM scratch inherits no ENTRYPOINT/CMD and this Dockerfile sets none"
                        ,
                ],
                help: "add `ENTRYPOINT [\"/app\"]` in exec form".into(),
            });
        }
    }
}
