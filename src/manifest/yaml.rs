//! YAML as Compose and Kubernetes files use it, through saphyr: every node keeps its place
//! (byte range in the file), merge keys (`<<: *defaults`) are followed, and alias expansion
//! is bounded before the tree is built (a "billion laughs" file is refused, not expanded).

use std::ops::Range;

use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};
use saphyr_parser::{Event, Parser};

/// Nodes a file may expand to, aliases counted as many times as they are used.
const MAX_NODES: u64 = 1_000_000;
/// Mappings and sequences nested deeper than this are not a manifest.
const MAX_DEPTH: usize = 256;

pub type Node = MarkedYamlOwned;

/// A parse error: what, and where (1-based line and column).
#[derive(Debug)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The documents of `text` (a Kubernetes stream has several; `---` separates them).
pub fn load(text: &str) -> Result<Vec<Node>, YamlError> {
    bounded(text)?;
    Node::load_from_str(text).map_err(|e| YamlError {
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: format!("not valid YAML: {}", e.info()),
    })
}

/// Count what the tree would hold before building it: each alias costs the size of what its
/// anchor names.
fn bounded(text: &str) -> Result<(), YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut sizes: std::collections::HashMap<usize, u64> = std::collections::HashMap::new();
    // Open collections: their anchor and the count when they opened.
    let mut open: Vec<(usize, u64)> = Vec::new();
    let mut total: u64 = 0;
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(e) => e,
            // The loader reports the syntax error with its own words and place.
            Err(_) => return Ok(()),
        };
        let refuse = |message: String| YamlError {
            line: span.start.line(),
            column: span.start.col() + 1,
            message,
        };
        match event {
            Event::Scalar(_, _, anchor, _) => {
                total += 1;
                if anchor > 0 {
                    sizes.insert(anchor, 1);
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                total += 1;
                open.push((anchor, total));
                if open.len() > MAX_DEPTH {
                    return Err(refuse(format!(
                        "nested more than {MAX_DEPTH} levels deep; not a manifest"
                    )));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, start)) = open.pop() {
                    if anchor > 0 {
                        sizes.insert(anchor, total - start + 1);
                    }
                }
            }
            Event::Alias(id) => total += sizes.get(&id).copied().unwrap_or(1),
            _ => {}
        }
        if total > MAX_NODES {
            return Err(refuse(format!(
                "expands to more than {MAX_NODES} nodes through its aliases (&anchor/*alias); refused as hostile"
            )));
        }
    }
    Ok(())
}

/// Character positions (what saphyr's markers count) to byte offsets.
pub struct Offsets(Vec<usize>);

impl Offsets {
    pub fn new(text: &str) -> Self {
        let mut v: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        v.push(text.len());
        Offsets(v)
    }

    pub fn byte(&self, char_index: usize) -> usize {
        self.0
            .get(char_index)
            .copied()
            .unwrap_or_else(|| self.0.last().copied().unwrap_or(0))
    }

    /// The bytes a node covers (saphyr ends a flow collection before its closing bracket).
    pub fn range(&self, text: &str, node: &Node) -> Range<usize> {
        let start = self.byte(node.span.start.index());
        let mut end = self.byte(node.span.end.index()).max(start);
        let close = match text.as_bytes().get(start) {
            Some(b'[') => Some(b']'),
            Some(b'{') => Some(b'}'),
            _ => None,
        };
        if close.is_some() && text.as_bytes().get(end) == close.as_ref() {
            end += 1;
        }
        start..end
    }
}

/// A mapping's value for `key`, and the key's node (where a finding about the setting points).
/// Keys a merge key (`<<`) brings count where the mapping itself does not set them.
pub fn get<'n>(node: &'n Node, key: &str) -> Option<(&'n Node, &'n Node)> {
    let YamlDataOwned::Mapping(map) = &node.data else {
        return None;
    };
    if let Some(found) = map.iter().find(|(k, _)| is_str(k, key)) {
        return Some(found);
    }
    let (_, merged) = map.iter().find(|(k, _)| is_str(k, "<<"))?;
    match &merged.data {
        YamlDataOwned::Mapping(_) => get(merged, key),
        YamlDataOwned::Sequence(list) => list.iter().find_map(|m| get(m, key)),
        _ => None,
    }
}

/// The value of `key`, if the mapping has it.
pub fn value<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    get(node, key).map(|(_, v)| v)
}

fn is_str(node: &Node, s: &str) -> bool {
    matches!(&node.data, YamlDataOwned::Value(ScalarOwned::String(k)) if k == s)
}

/// A mapping's entries in file order, merge keys not included.
pub fn entries(node: &Node) -> Vec<(&Node, &Node)> {
    match &node.data {
        YamlDataOwned::Mapping(map) => map.iter().filter(|(k, _)| !is_str(k, "<<")).collect(),
        _ => Vec::new(),
    }
}

pub fn items(node: &Node) -> Option<&[Node]> {
    match &node.data {
        YamlDataOwned::Sequence(list) => Some(list),
        _ => None,
    }
}

pub fn is_null(node: &Node) -> bool {
    matches!(&node.data, YamlDataOwned::Value(ScalarOwned::Null))
}

/// A scalar as the text a program receives: strings as they are, numbers and booleans as
/// YAML wrote them (`30`, `true`).
pub fn scalar(node: &Node) -> Option<String> {
    match &node.data {
        YamlDataOwned::Value(ScalarOwned::String(s)) => Some(s.clone()),
        YamlDataOwned::Value(ScalarOwned::Integer(i)) => Some(i.to_string()),
        YamlDataOwned::Value(ScalarOwned::FloatingPoint(f)) => Some(f.to_string()),
        YamlDataOwned::Value(ScalarOwned::Boolean(b)) => Some(b.to_string()),
        YamlDataOwned::Representation(s, _, _) => Some(s.clone()),
        _ => None,
    }
}

pub fn boolean(node: &Node) -> Option<bool> {
    match &node.data {
        YamlDataOwned::Value(ScalarOwned::Boolean(b)) => Some(*b),
        YamlDataOwned::Value(ScalarOwned::String(s)) => match s.as_str() {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// What kind of node it is, for messages.
pub fn kind(node: &Node) -> &'static str {
    match &node.data {
        YamlDataOwned::Mapping(_) => "a mapping",
        YamlDataOwned::Sequence(_) => "a list",
        YamlDataOwned::Value(ScalarOwned::Null) => "null",
        _ => "a scalar",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn merge_keys_and_positions() {
        let text = "x: &base\n  init: true\nservices:\n  web:\n    <<: *base\n    image: app\n";
        let docs = load(text).unwrap();
        let web = value(value(&docs[0], "services").unwrap(), "web").unwrap();
        assert_eq!(boolean(value(web, "init").unwrap()), Some(true));
        let (key, image) = get(web, "image").unwrap();
        let at = Offsets::new(text);
        assert_eq!(&text[at.range(text, key)], "image");
        assert_eq!(&text[at.range(text, image)], "app");
    }

    #[test]
    fn an_alias_bomb_is_refused_before_it_is_built() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let e = load(&text).unwrap_err();
        assert!(e.message.contains("refused as hostile"), "{}", e.message);
        assert!(e.line > 1);
    }

    #[test]
    fn a_syntax_error_has_its_place() {
        let e = load("services:\n  web:\n    image: [a\n").unwrap_err();
        assert!(e.message.starts_with("not valid YAML"), "{}", e.message);
        assert!(e.line >= 3, "{e:?}");
    }
}
