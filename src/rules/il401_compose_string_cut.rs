use super::{label, Context, Diag};
use crate::model::Origin;

super::rule! {
    code: IL401,
    name: "compose-string-cut",
    severity: Error,
    summary: "a Compose `command:`/`entrypoint:` string holds `;`, `&`, `|`, `<` or `>`: Compose runs it with no shell and silently drops everything from there",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let c = ctx.container;
    for launch in [&c.entrypoint, &c.cmd].into_iter().flatten() {
        let Some((rest, at)) = &launch.dropped else {
            continue;
        };
        let Origin::Manifest { key, span, .. } = &launch.origin else {
            continue;
        };
        let words: Vec<String> = launch.argv.iter().map(|t| t.value.clone()).collect();
        let kept = words.join(" ");
        let whole = format!("{kept} {rest}");
        out.push(Diag {
            step: None,
            primary: label(at.clone(), "Compose drops this"),
            secondary: vec![label(span.clone(), format!("`{key}:` runs only `{kept}`"))],
            message: format!("`{key}:` runs `{kept}`; Compose silently drops `{rest}`"),
            why: super::whys![
                format!("Compose splits a `{key}:` string into words itself (go-shellwords), with no shell: the first unquoted `;`, `&`, `|`, `<` or `>` ends the command and the rest is discarded without a warning"),
                format!("so the container runs {} and never `{rest}` (measured with the equivalent `docker run`)", super::exec_form(&words)),
            ],
            help: format!(
                "to have a shell run it, say so: `{key}: {}`, with `exec` before its last command so that program becomes PID 1; better, put the steps in an entrypoint script that ends in `exec \"$@\"`",
                super::exec_form(&["sh".into(), "-c".into(), whole])
            ),
        });
    }
}
