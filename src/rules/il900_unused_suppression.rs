use super::{Code, Context, Diag, Meta, Severity};

/// Reported by `config::pragma` after the other rules ran: a suppression is unused only once
/// every finding is known.
pub struct Rule;

static META: Meta = Meta {
    code: Code::IL900,
    name: "unused-suppression",
    severity: Severity::Info,
    summary: "an `# initlint ignore=…` comment suppresses nothing (or names no rule)",
    doc: include_str!("../../rules/IL900.md"),
};

impl super::Rule for Rule {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, _ctx: &Context<'_>, _out: &mut Vec<Diag>) {}
}
