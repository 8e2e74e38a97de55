use super::{label, Context, Diag};
use crate::model::Base;

super::rule! {
    code: IL106,
    name: "launch-inherited",
    severity: Info,
    summary: "no ENTRYPOINT/CMD: the launch comes from the base image and cannot be checked from the Dockerfile",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let Some(facts) = ctx.facts else { return };
    if ctx.container.entrypoint.is_some() || ctx.container.cmd.is_some() {
        return;
    }
    let Some(stage) = facts.stages.get(facts.target) else {
        return;
    };
    let (msg, why) = match &ctx.container.base {
        Base::Scratch | Base::Image { .. } => return, // IL206 reports an image with no command.
        Base::External { reference, .. } => (
            format!("the container runs whatever {reference} declares; initlint cannot see it from the Dockerfile"),
            format!("neither this stage nor the stages it builds on set ENTRYPOINT or CMD, so the image inherits them from {reference}"),
        ),
        Base::Unresolved { raw, .. } => (
            format!("the launch comes from the base image {raw}, which could not be resolved"),
            "the base image reference uses a build argument without a value".into(),
        ),
    };
    let mut secondary = Vec::new();
    if let Some((ep, cmd)) = &facts.reset_cmd {
        secondary.push(label(ep.clone(), "this ENTRYPOINT reset the CMD"));
        secondary.push(label(cmd.clone(), "inherited CMD discarded"));
    }
    out.push(Diag {
        step: None,
        primary: label(stage.from_span.clone(), "launch inherited from this base image"),
        secondary,
        message: msg,
        why: super::whys![why, "whether PID 1 handles the stop signal depends on the base image's ENTRYPOINT/CMD"],
        help: "lint the built image (`initlint IMAGE`), or set ENTRYPOINT/CMD explicitly in exec form".into(),
    });
}
