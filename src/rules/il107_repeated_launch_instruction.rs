use super::{label, Context, Diag};
use crate::dockerfile::LaunchKind;

super::rule! {
    code: IL107,
    name: "repeated-launch-instruction",
    severity: Warning,
    summary: "more than one CMD or ENTRYPOINT in a stage: only the last one counts",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let Some(facts) = ctx.facts else { return };
    for kind in [LaunchKind::Cmd, LaunchKind::Entrypoint] {
        for (stage, _) in facts.stages.iter().enumerate() {
            let all: Vec<_> = facts
                .launches
                .iter()
                .filter(|l| l.stage == stage && l.kind == kind)
                .collect();
            let Some((last, earlier)) = all.split_last() else {
                continue;
            };
            for e in earlier {
                out.push(Diag {
        step: None,
                    primary: label(e.span.clone(), format!("this {} has no effect", kind.keyword())),
                    secondary: vec![label(last.span.clone(), "overridden by this one")],
                    message: format!("{} is overridden by a later {} in the same stage", kind.keyword(), kind.keyword()),
                    why: super::whys![
                        format!("only the last {} of a stage is kept in the image config", kind.keyword()),
                        "the earlier one is dead code that suggests a launch that will not happen",
                    ],
                    help: format!("delete the earlier {}, or combine them into one", kind.keyword()),
                });
            }
        }
    }
}
