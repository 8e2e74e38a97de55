use super::{label, Context, Diag};
use crate::knowledge::signals;

super::rule! {
    code: IL105,
    name: "stopsignal-invalid",
    severity: Error,
    summary: "STOPSIGNAL is not a valid signal name or number",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let Some(facts) = ctx.facts else { return };
    for s in &facts.stop_signals {
        if s.unresolved || signals::normalize(&s.value).is_some() {
            continue;
        }
        let close = signals::SIGNALS.iter().map(|(n, _)| *n).find(|n| {
            n.trim_start_matches("SIG").starts_with(
                s.value
                    .to_ascii_uppercase()
                    .trim_start_matches("SIG")
                    .get(..3)
                    .unwrap_or("~~~"),
            )
        });
        out.push(Diag {
        step: None,
            primary: label(s.span.clone(), format!("`{}` is not a signal", s.value)),
            secondary: Vec::new(),
            message: format!("STOPSIGNAL `{}` is not a valid signal", s.value),
            why: super::whys![
                "the runtime parses STOPSIGNAL when the container is created or stopped",
                "an invalid value makes `docker run` / `docker stop` fail with \"invalid signal\" instead of stopping the container",
            ],
            help: match close {
                Some(n) => format!("did you mean `STOPSIGNAL {n}`? Use a name like SIGTERM or a number 1–64"),
                None => "use a signal name like SIGTERM, SIGQUIT or SIGINT, or a number 1–64".into(),
            },
        });
    }
}
