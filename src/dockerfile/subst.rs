//! Build-time word processing as the builder does it for `FROM`, `ENV`, `ARG`, `COPY`, `USER`,
//! `WORKDIR`, `STOPSIGNAL`…: quote removal, the escape character, and `$X`, `${X}`,
//! `${X:-d}`, `${X-d}`, `${X:+d}`, `${X+d}`. Never applied to `CMD`/`ENTRYPOINT`/`SHELL`.

/// Substituted text one string may grow by: variables that double each other line by line
/// would otherwise exhaust memory from a few hundred bytes of Dockerfile.
pub const MAX_EXPANSION: usize = 1 << 20;
/// `${A:-${B:-…}}` nesting followed at most (each level is a recursive call).
pub const MAX_NESTING: usize = 64;

/// The result of processing one string.
#[derive(Debug, Default, PartialEq)]
pub struct Processed {
    pub words: Vec<String>,
    /// Variables referenced but not defined (the builder substitutes "").
    pub unresolved: Vec<String>,
    /// A limit that stopped the processing (the words are then incomplete).
    pub limit: Option<String>,
}

impl Processed {
    pub fn joined(&self) -> String {
        self.words.join(" ")
    }
}

/// Process `input`; split into words on unquoted whitespace when `split` is set.
pub fn process(
    input: &str,
    escape: char,
    split: bool,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Processed {
    let mut p = Processor {
        chars: input.chars().collect(),
        pos: 0,
        escape,
        lookup,
        out: Processed::default(),
        grown: 0,
        depth: 0,
    };
    p.run(split);
    p.out
}

struct Processor<'a> {
    chars: Vec<char>,
    pos: usize,
    escape: char,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    out: Processed,
    /// Bytes substituted so far.
    grown: usize,
    /// `${` levels open.
    depth: usize,
}

impl Processor<'_> {
    /// A substituted value, counted against [`MAX_EXPANSION`].
    fn grow(&mut self, v: String) -> String {
        if self.out.limit.is_some() {
            return String::new();
        }
        self.grown = self.grown.saturating_add(v.len());
        if self.grown > MAX_EXPANSION {
            self.out.limit = Some(format!(
                "variable substitution grows past {} MiB",
                MAX_EXPANSION >> 20
            ));
            return String::new();
        }
        v
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.pos += 1;
        c
    }

    fn run(&mut self, split: bool) {
        let mut word = String::new();
        let mut in_word = false;
        while let Some(c) = self.next() {
            match c {
                c if split && c.is_whitespace() => {
                    if in_word {
                        self.out.words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                }
                '\'' => {
                    in_word = true;
                    while let Some(c) = self.next() {
                        if c == '\'' {
                            break;
                        }
                        word.push(c);
                    }
                }
                '"' => {
                    in_word = true;
                    self.double_quoted(&mut word);
                }
                '$' => {
                    in_word = true;
                    let v = self.dollar();
                    word.push_str(&v);
                }
                c if c == self.escape => {
                    in_word = true;
                    if let Some(n) = self.next() {
                        word.push(n);
                    } else {
                        word.push(c);
                    }
                }
                c => {
                    in_word = true;
                    word.push(c);
                }
            }
        }
        if in_word || (!split && self.out.words.is_empty()) {
            self.out.words.push(word);
        }
    }

    fn double_quoted(&mut self, word: &mut String) {
        while let Some(c) = self.next() {
            match c {
                '"' => return,
                '$' => {
                    let v = self.dollar();
                    word.push_str(&v);
                }
                c if c == self.escape => match self.peek() {
                    Some(n) if n == '"' || n == '$' || n == self.escape => {
                        self.pos += 1;
                        word.push(n);
                    }
                    _ => word.push(c),
                },
                c => word.push(c),
            }
        }
    }

    /// After a `$`: a variable reference, or a literal `$`.
    fn dollar(&mut self) -> String {
        match self.peek() {
            Some('{') => {
                self.pos += 1;
                self.braced_counted()
            }
            Some(c) if c == '_' || c.is_ascii_alphanumeric() => {
                let mut name = String::new();
                while let Some(c) = self
                    .peek()
                    .filter(|c| *c == '_' || c.is_ascii_alphanumeric())
                {
                    name.push(c);
                    self.pos += 1;
                }
                let v = self.value_of(&name).unwrap_or_default();
                self.grow(v)
            }
            _ => "$".to_string(),
        }
    }

    fn value_of(&mut self, name: &str) -> Option<String> {
        let v = (self.lookup)(name);
        if v.is_none() && !self.out.unresolved.iter().any(|u| u == name) {
            self.out.unresolved.push(name.to_string());
        }
        v
    }

    /// `${…}` with its nesting bounded and its value counted.
    fn braced_counted(&mut self) -> String {
        if self.depth >= MAX_NESTING {
            if self.out.limit.is_none() {
                self.out.limit = Some(format!("`${{` nests more than {MAX_NESTING} levels"));
            }
            // Skip the rest: nothing more is substituted.
            self.pos = self.chars.len();
            return String::new();
        }
        self.depth += 1;
        let v = self.braced();
        self.depth -= 1;
        self.grow(v)
    }

    fn braced(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| *c == '_' || c.is_ascii_alphanumeric())
        {
            name.push(c);
            self.pos += 1;
        }
        let mut op = String::new();
        if self.peek() == Some(':') {
            op.push(':');
            self.pos += 1;
        }
        if let Some(c) = self.peek().filter(|c| matches!(c, '-' | '+' | '?')) {
            op.push(c);
            self.pos += 1;
        }
        let mut word = String::new();
        let mut depth = 0;
        while let Some(c) = self.next() {
            match c {
                '}' if depth == 0 => break,
                '}' => {
                    depth -= 1;
                    word.push(c);
                }
                '$' if self.peek() == Some('{') => {
                    self.pos += 1;
                    let v = self.braced_counted();
                    word.push_str(&v);
                }
                '$' => {
                    let v = self.dollar();
                    word.push_str(&v);
                }
                c => {
                    if c == '{' {
                        depth += 1;
                    }
                    word.push(c);
                }
            }
        }
        let value = (self.lookup)(&name);
        let set = value.is_some();
        let non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
        match op.as_str() {
            ":-" => value.filter(|v| !v.is_empty()).unwrap_or(word),
            "-" => value.unwrap_or(word),
            ":+" => {
                if non_empty {
                    word
                } else {
                    String::new()
                }
            }
            "+" => {
                if set {
                    word
                } else {
                    String::new()
                }
            }
            _ => {
                if !set {
                    self.value_of(&name);
                }
                value.unwrap_or_default()
            }
        }
    }
}

/// Split an instruction's raw arguments into words, keeping quotes (for `ENV`/`ARG`/`LABEL`
/// key=value parsing, where quotes are removed per value afterwards).
pub fn split_raw(input: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = input.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                word.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                word.push(c);
            }
            (_, c) if c == escape => {
                word.push(c);
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            (_, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "V" => Some("1.2".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn one(s: &str) -> String {
        process(s, '\\', false, &env).joined()
    }

    #[test]
    fn forms() {
        assert_eq!(one("python:$V-slim"), "python:1.2-slim");
        assert_eq!(one("python:${V}"), "python:1.2");
        assert_eq!(one("${NOPE:-debian}"), "debian");
        assert_eq!(one("${EMPTY:-d}"), "d");
        assert_eq!(one("${EMPTY-d}"), "");
        assert_eq!(one("${V:+set}"), "set");
        assert_eq!(one("${NOPE:+set}"), "");
        assert_eq!(one("'$V'"), "$V");
        assert_eq!(one("\"$V\""), "1.2");
        assert_eq!(one("\\$V"), "$V");
        assert_eq!(one("a$"), "a$");
    }

    #[test]
    fn unresolved_is_reported() {
        let p = process("img:$TAG", '\\', false, &env);
        assert_eq!(p.joined(), "img:");
        assert_eq!(p.unresolved, vec!["TAG".to_string()]);
    }

    #[test]
    fn substitution_is_bounded() {
        let big = "x".repeat(600 << 10);
        let lookup = |n: &str| (n == "A").then(|| big.clone());
        let once = process("$A", '\\', false, &lookup);
        assert!(once.limit.is_none());
        let twice = process("${A}$A", '\\', false, &lookup);
        assert!(twice.limit.is_some());
        assert!(twice.joined().len() <= MAX_EXPANSION);
        let deep = format!("{}x{}", "${B:-".repeat(10_000), "}".repeat(10_000));
        let p = process(&deep, '\\', false, &env);
        assert!(p.limit.as_deref().is_some_and(|l| l.contains("nests")));
    }

    #[test]
    fn split_keeps_quotes() {
        assert_eq!(split_raw(r#"A="x y" B=2"#, '\\'), vec![r#"A="x y""#, "B=2"]);
    }
}
