use super::{label, Context, Diag};
use crate::knowledge::programs::Role;
use crate::launch::StepKind;
use crate::model::Origin;

super::rule! {
    code: IL402,
    name: "runtime-entrypoint-drops-init",
    severity: Warning,
    summary: "a run-time entrypoint (Kubernetes `command:`, Compose `entrypoint:`, `docker run --entrypoint`) replaces an image ENTRYPOINT that was an init: the init is gone",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let c = ctx.container;
    let (Some(old), Some(new)) = (&c.replaced_entrypoint, &c.entrypoint) else {
        return;
    };
    let runtime = matches!(new.origin, Origin::Manifest { .. } | Origin::Flag { .. });
    let Some(first) = old.argv.first().map(|t| t.value.as_str()) else {
        return;
    };
    let Some(init) = crate::knowledge::program(first, &Default::default())
        .filter(|p| p.role == Role::Init)
    else {
        return;
    };
    // Still under an init: the runtime's own (init: true) or one the new entrypoint names.
    let under_init = c.init.is_some()
        || ctx.chain.steps.first().is_some_and(|s| {
            matches!(&s.kind, StepKind::Wrapper { program, .. } if program.role == Role::Init)
        });
    if !runtime || under_init {
        return;
    }
    let Some(span) = new.origin.span() else { return };
    let key = new.origin.key().unwrap_or("entrypoint");
    let mut secondary = Vec::new();
    if let Some(s) = old.origin.span() {
        secondary.push(label(s.clone(), format!("the image's {} runs {first}", old.origin.describe())));
    }
    let new_words: Vec<String> = new.argv.iter().map(|t| t.value.clone()).collect();
    let old_words: Vec<String> = old.argv.iter().map(|t| t.value.clone()).collect();
    let with_init: Vec<String> = old_words.iter().cloned().chain(new_words.clone()).collect();
    let keep = match &new.origin {
        Origin::Manifest { format, .. } if *format == "kubernetes" => format!(
            "keep the init: `command: {}`, or leave `command:` out and give `args: {}`",
            super::exec_form(&with_init),
            super::exec_form(&new_words)
        ),
        Origin::Manifest { .. } => format!(
            "keep the init: `entrypoint: {}`, or use `command:` (which keeps the image's ENTRYPOINT), or `init: true`",
            super::exec_form(&with_init)
        ),
        _ => format!(
            "keep the init: `--entrypoint {first}` with the program after it as arguments, or add `--init`"
        ),
    };
    out.push(Diag {
        step: None,
        primary: label(span.clone(), format!("`{key}` replaces the image's ENTRYPOINT ({first})")),
        secondary,
        message: format!(
            "`{key}` replaces the image's ENTRYPOINT, and with it {} ({first}): {} is PID 1 without it",
            init.name(),
            new_words.first().map_or("the new command", String::as_str)
        ),
        why: super::whys![
            format!("{} replaces the image's ENTRYPOINT, not its CMD (and drops the CMD too)", new.origin.describe()),
            format!("the image ran its program under {}, which forwards the stop signal and reaps orphans; now nothing does", init.name()),
        ],
        help: keep,
    });
}
