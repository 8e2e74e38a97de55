//! The merged filesystem of an image: layers applied in order with OCI whiteout semantics,
//! and paths resolved the way the runtime resolves them — symlinks followed *inside* the
//! image root (absolute targets and `..` clamped to it), loops detected.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use super::layer::{split, Change, Entry, Kind, LayerIndex};

/// Linux gives up after 40 symlinks (MAXSYMLINKS): ELOOP.
const MAX_HOPS: usize = 40;

#[derive(Debug, Clone)]
pub enum NodeKind {
    File {
        size: u64,
        content: Option<Arc<[u8]>>,
        /// `content` is the whole file (else its first bytes only).
        whole: bool,
        /// Layer and path whose bytes this is, when not the node's own layer and path (a hard
        /// link shares its target's bytes; a path written through a symlinked parent). Boxed
        /// and absent for almost every file: it would cost a second copy of every path.
        bytes_at: Option<Box<(usize, String)>>,
    },
    Dir,
    Symlink(String),
    Special,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    pub mode: u32,
    /// Index of the layer that last wrote it (u32: a node is one of a million).
    pub layer: u32,
}

#[derive(Debug, Default)]
pub struct Tree {
    /// Boxed keys: a `String`'s capacity word, times a million files, is 8 MB.
    nodes: BTreeMap<Box<str>, Node>,
    /// The lowest layer applied. Above 0 the tree is partial: the layers below are unread,
    /// so what is absent here may be present there, and a path placed here may land
    /// elsewhere once a lower layer turns one of its parents into a symlink.
    floor: usize,
    /// Partial trees: paths a layer read whited out (their absence is certain).
    gone: HashSet<String>,
    /// Partial trees: directories a layer read made opaque (nothing of theirs comes from below).
    sealed: HashSet<String>,
    /// Partial trees: paths placed under a parent the layers read do not have, or hard links
    /// to files they do not have. Resolving through one depends on the unread layers.
    unsure: HashSet<String>,
}

/// The outcome of resolving a path.
#[derive(Debug)]
pub enum Resolved<'a> {
    Found {
        path: String,
        node: &'a Node,
    },
    Missing {
        path: String,
        why: String,
    },
    /// A partial tree cannot tell: the answer depends on what the unread layers hold at `path`.
    Unknown {
        path: String,
    },
}

impl Tree {
    /// A tree of the layers from `floor` up, the ones below unread.
    pub fn partial(floor: usize) -> Self {
        Tree {
            floor,
            ..Default::default()
        }
    }

    /// Whether every layer is in (no answer depends on an unread layer).
    pub fn complete(&self) -> bool {
        self.floor == 0
    }

    /// Apply one layer on top of what is there. Whiteouts hide only lower layers, so they are
    /// applied before the layer's own entries.
    pub fn apply(&mut self, layer: usize, idx: LayerIndex) -> Result<(), String> {
        // Two passes over the one list (not a partition into two more: with a million
        // entries, that would hold the layer's entries twice).
        self.whiteouts(&idx.changes);
        // Taken from the end of the reversed list, which gives its memory back as it empties:
        // the tree grows by about as much as the list shrinks.
        let mut changes = idx.changes;
        changes.reverse();
        while let Some(change) = changes.pop() {
            if let Change::Add(entry) = change {
                self.add(layer, entry)?;
            }
            if changes.capacity() > 4096 && changes.len() < changes.capacity() / 2 {
                changes.shrink_to_fit();
            }
        }
        Ok(())
    }

    /// [`Tree::apply`] for a layer whose index is kept for a later, deeper tree.
    pub fn apply_copy(&mut self, layer: usize, idx: &LayerIndex) -> Result<(), String> {
        self.whiteouts(&idx.changes);
        for change in &idx.changes {
            if let Change::Add(entry) = change {
                self.add(layer, entry.clone())?;
            }
        }
        Ok(())
    }

    fn whiteouts(&mut self, changes: &[Change]) {
        for change in changes {
            match change {
                Change::Whiteout(path) => {
                    let path = self.parent_resolved(path);
                    self.remove_tree(&path, true);
                    if !self.complete() {
                        self.gone.insert(path);
                    }
                }
                Change::Opaque(dir) => {
                    let dir = self.parent_resolved(dir);
                    self.remove_tree(&dir, false);
                    if !self.complete() {
                        self.sealed.insert(dir);
                    }
                }
                Change::Add(_) => {}
            }
        }
    }

    fn add(&mut self, layer: usize, entry: Entry) -> Result<(), String> {
        let layer = u32::try_from(layer).map_err(|_| "more layers than initlint reads")?;
        let path = self.parent_resolved(&entry.path);
        if !self.complete() {
            match self.has_parent(&path) {
                true => self.unsure.remove(&path),
                false => self.unsure.insert(path.clone()),
            };
        }
        let kind = match entry.kind {
            Kind::File {
                size,
                content,
                whole,
            } => NodeKind::File {
                size,
                content,
                whole,
                bytes_at: (entry.path != path)
                    .then(|| Box::new((layer as usize, entry.path.clone()))),
            },
            Kind::Dir => NodeKind::Dir,
            Kind::Symlink(t) => NodeKind::Symlink(t),
            Kind::Special => NodeKind::Special,
            Kind::Hardlink(target) => {
                // Like link(2): parents are resolved, the last component is not followed.
                let target = self.parent_resolved(&target);
                match self.nodes.get(target.as_str()) {
                    Some(n) => {
                        let mut n = n.clone();
                        // The bytes stay where the target's are.
                        if let NodeKind::File { bytes_at, .. } = &mut n.kind {
                            if bytes_at.is_none() {
                                *bytes_at = Some(Box::new((n.layer as usize, target.clone())));
                            }
                        }
                        n.layer = layer;
                        self.replace(path, n);
                        return Ok(());
                    }
                    // The target is in a layer not read yet: whatever resolves through this
                    // path waits for that layer.
                    None if !self.complete() => {
                        self.unsure.insert(path.clone());
                        self.replace(
                            path,
                            Node {
                                kind: NodeKind::Special,
                                mode: entry.mode,
                                layer,
                            },
                        );
                        return Ok(());
                    }
                    None => {
                        return Err(format!(
                            "hard link {} points to {target}, which does not exist in this or a lower layer; the runtime fails to unpack it",
                            entry.path
                        ))
                    }
                }
            }
        };
        self.replace(
            path,
            Node {
                kind,
                mode: entry.mode,
                layer,
            },
        );
        Ok(())
    }

    fn replace(&mut self, path: String, node: Node) {
        let keeps_children = matches!(node.kind, NodeKind::Dir)
            && matches!(
                self.nodes.get(path.as_str()).map(|n| &n.kind),
                Some(NodeKind::Dir) | None
            );
        if !keeps_children {
            self.remove_tree(&path, false);
        }
        self.nodes.insert(path.into_boxed_str(), node);
    }

    /// Remove everything below `path`, and `path` itself when `this` is set.
    fn remove_tree(&mut self, path: &str, this: bool) {
        if this {
            self.nodes.remove(path);
        }
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        let doomed: Vec<Box<str>> = self.below(&prefix).cloned().collect();
        for k in doomed {
            self.nodes.remove(&k);
        }
    }

    /// The path with its directory part resolved through symlinks (the last component as is).
    fn parent_resolved(&self, path: &str) -> String {
        let (dir, base) = split(path);
        if dir == "/" {
            return path.to_string();
        }
        match self.resolve(dir) {
            Resolved::Found { path: d, .. } | Resolved::Missing { path: d, .. } => {
                super::layer::join(&d, base)
            }
            // Placed as written; `add` marks it unsure.
            Resolved::Unknown { .. } => path.to_string(),
        }
    }

    /// Whether the directory `path` is in lives in the tree as a directory (or is the root).
    fn has_parent(&self, path: &str) -> bool {
        let (dir, _) = split(path);
        dir == "/" || matches!(self.nodes.get(dir).map(|n| &n.kind), Some(NodeKind::Dir))
    }

    /// Partial trees: an absence at `here` that the unread layers cannot undo (whited out, or
    /// in an opaque directory).
    fn surely_absent(&self, here: &str) -> bool {
        self.complete() || self.gone.contains(here) || self.sealed.contains(split(here).0)
    }

    fn has_children(&self, path: &str) -> bool {
        self.below(&format!("{path}/")).next().is_some()
    }

    /// The paths that start with `prefix`, in order.
    fn below<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a Box<str>> + 'a {
        self.nodes
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .map(|(k, _)| k)
            .take_while(move |k| k.starts_with(prefix))
    }

    /// Resolve a path as `execve`/`open` would: every symlink followed, inside the root.
    pub fn resolve(&self, path: &str) -> Resolved<'_> {
        let mut todo: VecDeque<String> = components(path);
        let mut cur: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = todo.pop_front() {
            if part == ".." {
                cur.pop();
                continue;
            }
            cur.push(part);
            let here = format!("/{}", cur.join("/"));
            let node = self.nodes.get(here.as_str());
            if node.is_some() && self.unsure.contains(&here) {
                return Resolved::Unknown { path: here };
            }
            match node.map(|n| &n.kind) {
                None if !self.surely_absent(&here) => return Resolved::Unknown { path: here },
                Some(NodeKind::Symlink(target)) => {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return Resolved::Missing {
                            path: path.to_string(),
                            why: format!(
                                "resolving {path} follows more than {MAX_HOPS} symbolic links (a symlink loop at {here}); execve fails with ELOOP"
                            ),
                        };
                    }
                    cur.pop();
                    if target.starts_with('/') {
                        cur.clear();
                    }
                    for (i, p) in components(target).into_iter().enumerate() {
                        todo.insert(i, p);
                    }
                }
                Some(NodeKind::File { .. } | NodeKind::Special) if !todo.is_empty() => {
                    return Resolved::Missing {
                        path: path.to_string(),
                        why: format!("{here} is a file, not a directory"),
                    };
                }
                Some(_) => {}
                None if todo.is_empty() || !self.has_children(&here) => {
                    return Resolved::Missing {
                        path: format!("/{}", join_rest(&cur, &todo)),
                        why: format!("{here} does not exist in the image"),
                    };
                }
                None => {}
            }
        }
        let here = format!("/{}", cur.join("/"));
        match self.nodes.get(here.as_str()) {
            Some(node) => Resolved::Found { path: here, node },
            // An implicit directory (only its children are in the layers), or the root.
            None => Resolved::Missing {
                why: format!("{here} is a directory"),
                path: here,
            },
        }
    }
}

fn components(path: &str) -> VecDeque<String> {
    path.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .map(str::to_string)
        .collect()
}

fn join_rest(cur: &[String], todo: &VecDeque<String>) -> String {
    cur.iter()
        .chain(todo.iter())
        .cloned()
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn file(path: &str, body: &str) -> Change {
        Change::Add(Entry {
            path: path.into(),
            kind: Kind::File {
                size: body.len() as u64,
                content: Some(body.as_bytes().into()),
                whole: true,
            },
            mode: 0o755,
        })
    }

    fn link(path: &str, target: &str) -> Change {
        Change::Add(Entry {
            path: path.into(),
            kind: Kind::Symlink(target.into()),
            mode: 0o777,
        })
    }

    fn tree(layers: Vec<Vec<Change>>) -> Tree {
        let mut t = Tree::default();
        for (i, changes) in layers.into_iter().enumerate() {
            t.apply(
                i,
                LayerIndex {
                    changes,
                    ..Default::default()
                },
            )
            .unwrap();
        }
        t
    }

    fn body(t: &Tree, path: &str) -> String {
        match t.resolve(path) {
            Resolved::Found {
                node:
                    Node {
                        kind:
                            NodeKind::File {
                                content: Some(c), ..
                            },
                        ..
                    },
                ..
            } => String::from_utf8_lossy(c).into_owned(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn later_layers_override_and_whiteouts_delete() {
        let t = tree(vec![
            vec![file("/a/x", "1"), file("/a/y", "1"), file("/b/z", "1")],
            vec![file("/a/x", "2"), Change::Whiteout("/a/y".into())],
            vec![Change::Opaque("/b".into()), file("/b/w", "3")],
        ]);
        assert_eq!(body(&t, "/a/x"), "2");
        assert!(matches!(t.resolve("/a/y"), Resolved::Missing { .. }));
        assert!(matches!(t.resolve("/b/z"), Resolved::Missing { .. }));
        assert_eq!(body(&t, "/b/w"), "3");
    }

    #[test]
    fn whiteout_in_a_layer_does_not_hide_the_same_layer() {
        let t = tree(vec![
            vec![file("/a", "1")],
            vec![file("/a", "2"), Change::Whiteout("/a".into())],
        ]);
        assert_eq!(body(&t, "/a"), "2");
    }

    #[test]
    fn symlinks_resolve_inside_the_root() {
        let t = tree(vec![vec![
            link("/bin", "usr/bin"),
            file("/usr/bin/dash", "dash"),
            link("/usr/bin/sh", "dash"),
            link("/evil", "/../../../usr/bin/sh"),
            link("/rel", "../../../../usr/bin/dash"),
            link("/loop1", "loop2"),
            link("/loop2", "/loop1"),
        ]]);
        assert_eq!(body(&t, "/bin/sh"), "dash");
        assert_eq!(body(&t, "/evil"), "dash");
        assert_eq!(body(&t, "/rel"), "dash");
        match t.resolve("/loop1") {
            Resolved::Missing { why, .. } => assert!(why.contains("loop"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_layer_writes_through_a_directory_symlink() {
        let t = tree(vec![
            vec![link("/bin", "usr/bin"), file("/usr/bin/true", "t")],
            vec![file("/bin/app", "app")],
        ]);
        assert_eq!(body(&t, "/usr/bin/app"), "app");
        // A second read of its layer looks for the path as the tar wrote it.
        assert_eq!(
            bytes_at(&t, "/usr/bin/app"),
            Some((1, "/bin/app".to_string()))
        );
        assert_eq!(bytes_at(&t, "/usr/bin/true"), None);
    }

    fn bytes_at(t: &Tree, path: &str) -> Option<(usize, String)> {
        match t.resolve(path) {
            Resolved::Found {
                node:
                    Node {
                        kind: NodeKind::File { bytes_at, .. },
                        ..
                    },
                ..
            } => bytes_at.as_deref().cloned(),
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn hard_links_share_bytes_and_a_missing_target_fails() {
        let t = tree(vec![vec![
            file("/bin/busybox", "bb"),
            Change::Add(Entry {
                path: "/bin/sh".into(),
                kind: Kind::Hardlink("/bin/busybox".into()),
                mode: 0,
            }),
        ]]);
        assert_eq!(body(&t, "/bin/sh"), "bb");
        // Its bytes are the target's, where the target was written.
        assert_eq!(
            bytes_at(&t, "/bin/sh"),
            Some((0, "/bin/busybox".to_string()))
        );
        let mut t = Tree::default();
        let err = t
            .apply(
                0,
                LayerIndex {
                    changes: vec![Change::Add(Entry {
                        path: "/x".into(),
                        kind: Kind::Hardlink("/missing".into()),
                        mode: 0,
                    })],
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
    }

    fn dir(path: &str) -> Change {
        Change::Add(Entry {
            path: path.into(),
            kind: Kind::Dir,
            mode: 0o755,
        })
    }

    fn partial(floor: usize, layers: Vec<Vec<Change>>) -> Tree {
        let mut t = Tree::partial(floor);
        for (i, changes) in layers.into_iter().enumerate() {
            let idx = LayerIndex {
                changes,
                ..Default::default()
            };
            t.apply_copy(floor + i, &idx).unwrap();
        }
        t
    }

    fn unknown_at(t: &Tree, path: &str) -> String {
        match t.resolve(path) {
            Resolved::Unknown { path } => path,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn a_partial_tree_tells_settled_paths_from_ones_a_lower_layer_may_change() {
        let t = partial(
            3,
            vec![vec![
                dir("/app"),
                file("/app/run", "r"),
                link("/app/sh", "/bin/sh"),
                Change::Whiteout("/app/old".into()),
                Change::Opaque("/srv".into()),
                dir("/srv"),
            ]],
        );
        assert_eq!(body(&t, "/app/run"), "r");
        // Whited out, or in a directory made opaque: no lower layer can bring it back.
        assert!(matches!(t.resolve("/app/old"), Resolved::Missing { .. }));
        assert!(matches!(t.resolve("/srv/x"), Resolved::Missing { .. }));
        // Not written here: a lower layer may have it.
        assert_eq!(unknown_at(&t, "/app/other"), "/app/other");
        assert_eq!(unknown_at(&t, "/app/sh"), "/bin");
        // A file replaces whatever a lower layer had below its path.
        assert!(matches!(t.resolve("/app/run/x"), Resolved::Missing { .. }));
    }

    #[test]
    fn a_path_placed_under_an_unread_parent_is_not_settled() {
        // A lower layer may make /usr/local a symlink: /usr/local/bin/x then lands elsewhere.
        let t = partial(1, vec![vec![file("/usr/local/bin/x", "x")]]);
        assert_eq!(unknown_at(&t, "/usr/local/bin/x"), "/usr");
        let t = partial(
            1,
            vec![vec![
                dir("/usr"),
                dir("/usr/local"),
                dir("/usr/local/bin"),
                file("/usr/local/bin/x", "x"),
            ]],
        );
        assert_eq!(body(&t, "/usr/local/bin/x"), "x");
        // The same layers from the base: nothing is unknown.
        let full = tree(vec![vec![file("/usr/local/bin/x", "x")]]);
        assert_eq!(body(&full, "/usr/local/bin/x"), "x");
        assert!(matches!(full.resolve("/nope"), Resolved::Missing { .. }));
    }

    #[test]
    fn a_hard_link_to_an_unread_layer_waits_for_it() {
        let t = partial(
            2,
            vec![vec![Change::Add(Entry {
                path: "/sh".into(),
                kind: Kind::Hardlink("/busybox".into()),
                mode: 0,
            })]],
        );
        assert_eq!(unknown_at(&t, "/sh"), "/sh");
    }
}
