//! A Compose `command:`/`entrypoint:` string, split into words as Compose splits it: with
//! go-shellwords' rules, and no shell. Quotes group, a backslash escapes, and the first
//! unquoted `;`, `&`, `|`, `<` or `>` ends the command: what follows is silently dropped
//! (measured: `./handler && echo x` runs `./handler`; `echo a; /app/handler` runs `echo a`).

/// One word, and where each of its bytes came from in the string (`map.len() == len + 1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub value: String,
    pub map: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub words: Vec<Word>,
    /// The operator that ended the command and everything after it, from its byte offset.
    pub dropped: Option<(usize, String)>,
}

/// `line` as go-shellwords' `Parse` returns it (no environment expansion, no backticks run).
pub fn split(line: &str) -> Result<Split, String> {
    let mut words = Vec::new();
    let mut cur = Word {
        value: String::new(),
        map: Vec::new(),
    };
    let mut started = false;
    let (mut single, mut double, mut backquote, mut dollar) = (false, false, false, false);
    let mut escaped = false;
    let mut dropped = None;
    let push = |cur: &mut Word, c: char, at: usize| {
        for _ in 0..c.len_utf8() {
            cur.map.push(at);
        }
        cur.value.push(c);
    };
    for (at, c) in line.char_indices() {
        if escaped {
            let c = match c {
                't' => '\t',
                'n' => '\n',
                c => c,
            };
            push(&mut cur, c, at);
            escaped = false;
            started = true;
            continue;
        }
        if c == '\\' {
            if single {
                push(&mut cur, c, at);
            } else {
                escaped = true;
            }
            continue;
        }
        let quoted = single || double || backquote || dollar;
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            if quoted {
                push(&mut cur, c, at);
            } else if started {
                cur.map.push(at);
                words.push(std::mem::replace(
                    &mut cur,
                    Word {
                        value: String::new(),
                        map: Vec::new(),
                    },
                ));
                started = false;
            }
            continue;
        }
        match c {
            '`' if !single && !double && !dollar => backquote = !backquote,
            ')' if !single && !double && !backquote => dollar = !dollar,
            '(' if !single && !double && !backquote => {
                if !dollar && cur.value.ends_with('$') {
                    dollar = true;
                } else {
                    return Err(format!(
                        "a `(` at byte {at} that is not `$(`: Compose refuses the string (invalid command line string)"
                    ));
                }
            }
            '"' if !single && !dollar => {
                double = !double;
                started = true;
                continue;
            }
            '\'' if !double && !dollar => {
                single = !single;
                started = true;
                continue;
            }
            ';' | '&' | '|' | '<' | '>' if !quoted => {
                // `2>file`: the descriptor number goes with the redirection.
                if c == '>' && cur.value.starts_with(|d: char| d.is_ascii_digit()) {
                    started = false;
                }
                let from = match started {
                    true => at,
                    false => cur.map.first().copied().unwrap_or(at),
                };
                dropped = Some((from.min(at), line[from.min(at)..].to_string()));
                break;
            }
            _ => {}
        }
        push(&mut cur, c, at);
        started = true;
    }
    if escaped || single || double || backquote || dollar {
        return Err(
            "an unterminated quote or escape: Compose refuses the string (invalid command line string)"
                .into(),
        );
    }
    if started {
        cur.map
            .push(dropped.as_ref().map_or(line.len(), |(at, _)| *at));
        words.push(cur);
    }
    Ok(Split { words, dropped })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn values(s: &str) -> (Vec<String>, Option<String>) {
        let split = split(s).unwrap();
        (
            split.words.into_iter().map(|w| w.value).collect(),
            split.dropped.map(|(_, d)| d),
        )
    }

    #[test]
    fn words_as_compose_splits_them() {
        assert_eq!(values("python app.py").0, ["python", "app.py"]);
        assert_eq!(
            values(r#"sh -c "exec /app/handler --x""#).0,
            ["sh", "-c", "exec /app/handler --x"]
        );
        assert_eq!(values("echo 'a b' c\\ d").0, ["echo", "a b", "c d"]);
        assert_eq!(values("echo $HOME").0, ["echo", "$HOME"]);
        assert_eq!(values("echo ''").0, ["echo", ""]);
    }

    #[test]
    fn an_operator_ends_the_command_and_the_rest_is_dropped() {
        let (w, d) = values("./handler && echo x");
        assert_eq!(w, ["./handler"]);
        assert_eq!(d.unwrap(), "&& echo x");
        let (w, d) = values("echo a; /app/handler");
        assert_eq!(w, ["echo", "a"]);
        assert_eq!(d.unwrap(), "; /app/handler");
        let (w, d) = values("app 2>/dev/null");
        assert_eq!(w, ["app"]);
        assert_eq!(d.unwrap(), "2>/dev/null");
        assert_eq!(values("sh -c 'a && b'").1, None);
    }

    #[test]
    fn each_byte_maps_back_into_the_string() {
        let s = "run  'x y'";
        let split = split(s).unwrap();
        let w = &split.words[1];
        assert_eq!(w.value, "x y");
        assert_eq!(w.map.len(), w.value.len() + 1);
        assert_eq!(&s[w.map[0]..w.map[0] + 1], "x");
    }

    #[test]
    fn what_compose_refuses_is_an_error() {
        assert!(split("echo 'a").is_err());
        assert!(split("f (x)").is_err());
    }
}
