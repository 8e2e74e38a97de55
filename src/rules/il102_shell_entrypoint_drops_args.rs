use super::{label, Context, Diag};
use crate::dockerfile::LaunchKind;

super::rule! {
    code: IL102,
    name: "shell-entrypoint-drops-args",
    severity: Warning,
    summary: "ENTRYPOINT in shell form: CMD and `docker run` arguments are silently discarded",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let Some(facts) = ctx.facts else { return };
    let Some(ep) = &ctx.container.entrypoint else {
        return;
    };
    if !ep.shell_form {
        return;
    }
    let Some(span) = ep.origin.span() else { return };
    let ep_instr = facts
        .launches
        .iter()
        .find(|l| l.kind == LaunchKind::Entrypoint && l.span == *span);
    let mut secondary = Vec::new();
    if let Some(cmd_span) = ctx.container.cmd.as_ref().and_then(|c| c.origin.span()) {
        secondary.push(label(
            cmd_span.clone(),
            "this CMD is never passed to the entrypoint",
        ));
    }
    let string = ep_instr
        .and_then(|l| l.shell.as_ref())
        .map_or(String::new(), |t| t.value.clone());
    let words: Vec<&str> = string.split_whitespace().collect();
    let help = if !words.is_empty()
        && words
            .iter()
            .all(|w| !w.contains(['$', '"', '\'', '|', '&', ';', '>', '<']))
    {
        format!(
            "use the exec form: `ENTRYPOINT {}`",
            super::exec_form(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>())
        )
    } else {
        "use the exec form `ENTRYPOINT [\"/entrypoint.sh\"]` (move shell logic into a script that ends in `exec \"$@\"`)".into()
    };
    out.push(Diag {
        step: None,
        primary: label(span.clone(), "shell-form ENTRYPOINT"),
        secondary,
        message: "ENTRYPOINT in shell form ignores CMD and `docker run` arguments".into(),
        why: super::whys![
            "a shell-form ENTRYPOINT becomes [\"/bin/sh\", \"-c\", \"…\"]; CMD and run arguments are appended after the string, where the shell takes them as $0, $1… and never uses them",
            "so `docker run image --flag` and any CMD have no effect, silently",
        ],
        help,
    });
}
