use super::{label, Context, Diag};

super::rule! {
    code: IL103,
    name: "exec-form-invalid-json",
    severity: Error,
    summary: "looks like exec form but is not valid JSON, so the builder runs it with /bin/sh -c",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let Some(facts) = ctx.facts else { return };
    for l in &facts.launches {
        let (Some(text), Some(bad)) = (&l.shell, &l.not_json) else {
            continue;
        };
        let s = text.value.trim();
        let (hint, err) = (bad.hint, &bad.error);
        let help = match &bad.repaired {
            Some(words) => format!("write valid JSON with double quotes: `{} {}`", l.kind.keyword(), super::exec_form(words)),
            None => "write valid JSON: double-quoted strings, no trailing comma, backslashes escaped (\\\\)".to_string(),
        };
        let Some(span) = text.span() else { continue };
        out.push(Diag {
        step: None,
            primary: label(span, format!("{hint} ({err})")),
            secondary: Vec::new(),
            message: format!("{} is not valid JSON, so it is shell form: /bin/sh -c '{s}'", l.kind.keyword()),
            why: super::whys![
                "the builder parses `[…]` as JSON; when that fails it silently falls back to shell form",
                format!("the container then runs /bin/sh -c '{s}', which tries to run a program named `{}`", s.split_whitespace().next().unwrap_or("[")),
                "the container fails to start, or the shell stays PID 1 and the stop signal is lost",
            ],
            help,
        });
    }
}
