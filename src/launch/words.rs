//! Evaluate shell words statically: quotes removed, `ENV` variables and positional
//! parameters substituted where their values are known.

use crate::model::Container;
use crate::shell::{Part, WordNode};
use crate::source::{Text, TextMap};

/// One argument on the launch path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub text: Text,
    /// False when part of it is only known at run time (`$(...)`, an unset variable).
    pub known: bool,
}

impl Arg {
    pub fn known(text: Text) -> Self {
        Arg { text, known: true }
    }
}

pub fn expand(
    words: &[WordNode],
    map: &TextMap,
    c: &Container,
    positional: &[Arg],
    zero: Option<&Arg>,
) -> Vec<Arg> {
    let mut out = Vec::new();
    for w in words {
        let whole = map
            .span(w.range.clone())
            .map_or(TextMap::None, TextMap::Whole);
        if w.parts == [Part::AllArgsQuoted] || w.parts == [Part::AllArgsUnquoted] {
            out.extend(positional.iter().cloned());
            continue;
        }
        let mut value = String::new();
        let mut known = true;
        for p in &w.parts {
            match p {
                Part::Lit(l) => value.push_str(l),
                Part::Var(name) => match c.env_value(name) {
                    Some(v) => value.push_str(v),
                    None => {
                        known = false;
                        value.push_str(&format!("${name}"));
                    }
                },
                Part::VarDefault(name, default) => {
                    match c.env_value(name).filter(|v| !v.is_empty()) {
                        Some(v) => value.push_str(v),
                        None => value.push_str(default),
                    }
                }
                Part::Positional(n) => match positional.get(n.wrapping_sub(1)) {
                    Some(a) => {
                        known &= a.known;
                        value.push_str(&a.text.value);
                    }
                    None => value.push_str(""),
                },
                Part::Zero => match zero {
                    Some(z) => value.push_str(&z.text.value),
                    None => known = false,
                },
                Part::AllArgsQuoted | Part::AllArgsUnquoted => {
                    let joined: Vec<&str> =
                        positional.iter().map(|a| a.text.value.as_str()).collect();
                    value.push_str(&joined.join(" "));
                }
                Part::Dynamic(raw) => {
                    known = false;
                    value.push_str(raw);
                }
            }
        }
        out.push(Arg {
            text: Text {
                value,
                map: whole.clone(),
            },
            known,
        });
    }
    out
}
