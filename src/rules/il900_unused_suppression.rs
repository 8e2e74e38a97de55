use super::{Context, Diag};

// Reported by `config::pragma` after the other rules ran: a suppression is unused only once
// every finding is known.
super::rule! {
    code: IL900,
    name: "unused-suppression",
    severity: Info,
    summary: "an `# initlint ignore=…` comment suppresses nothing (or names no rule)",
}

fn check(_ctx: &Context<'_>, _out: &mut Vec<Diag>) {}
