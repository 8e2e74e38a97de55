//! The merged filesystem of an image: layers applied in order with OCI whiteout semantics,
//! and paths resolved the way the runtime resolves them — symlinks followed *inside* the
//! image root (absolute targets and `..` clamped to it), loops detected.
//!
//! Stored as an arena of path components, so that its size follows the number of files
//! and not the length of their paths: a node is 32 bytes (its name an offset into one
//! buffer of names, its parent, first child and next sibling u32 numbers), and a hash table
//! of node numbers finds a child by (parent, name). What few nodes carry more (a file's
//! kept bytes, a symlink's target, a file over 4 GiB) keep it in a side table.

use std::collections::{HashSet, VecDeque};
use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;

use super::changes::Changes;
use super::layer::{join, split, Change, Entry, Kind};

/// Linux gives up after 40 symlinks (MAXSYMLINKS): ELOOP.
const MAX_HOPS: usize = 40;

/// No node: the end of a list of children, or no side-table entry.
const NONE: u32 = u32::MAX;
const ROOT: u32 = 0;

/// What a node is. `IMPLICIT` is a directory no layer wrote, there only because something
/// below it was: it has children, always (it goes when its last child goes).
const IMPLICIT: u8 = 0;
const FILE: u8 = 1;
const DIR: u8 = 2;
const SYMLINK: u8 = 3;
const SPECIAL: u8 = 4;
/// Removed; on the free list.
const FREE: u8 = 5;

/// Partial trees: resolving through this node depends on the unread layers (it was placed
/// under a parent they may turn into a symlink, or is a hard link to a file in them).
const UNSURE: u8 = 1;
/// A file whose `content` is the whole file.
const WHOLE: u8 = 2;

#[derive(Debug, Clone)]
pub enum NodeKind {
    File {
        size: u64,
        content: Option<Arc<[u8]>>,
        /// `content` is the whole file (else its first bytes only).
        whole: bool,
        /// Layer and path whose bytes this is, when not the node's own layer and path (a hard
        /// link shares its target's bytes; a path written through a symlinked parent).
        bytes_at: Option<Box<(usize, String)>>,
    },
    Dir,
    Symlink(String),
    Special,
}

/// A node as the rest of initlint sees it (unpacked from the arena).
#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    pub mode: u32,
    /// Index of the layer that last wrote it.
    pub layer: u32,
}

/// One path component in the arena.
#[derive(Debug, Clone, Copy)]
struct Rec {
    /// Offset of its name in [`Tree::names`].
    name: u32,
    parent: u32,
    child: u32,
    next: u32,
    /// Its entry in [`Tree::extra`], or [`NONE`].
    data: u32,
    /// A file's size, when it has no side-table entry.
    size: u32,
    name_len: u16,
    mode: u16,
    layer: u16,
    kind: u8,
    flags: u8,
}

/// What a node carries beyond its record.
#[derive(Debug, Clone)]
enum Extra {
    File {
        size: u64,
        content: Option<Arc<[u8]>>,
        bytes_at: Option<Box<(usize, String)>>,
    },
    Symlink(Box<str>),
    Unused,
}

/// The directory the last entry was placed in. Tar lists a directory's entries together,
/// so most entries reuse it instead of resolving their parents again; anything other than
/// a file or device added to the tree forgets it.
#[derive(Debug)]
struct Parent {
    /// As the layer wrote it.
    written: String,
    /// Resolved through symlinks (as written when a partial tree cannot tell).
    resolved: String,
    /// Its node, once it has one.
    id: Option<u32>,
    /// It is a directory in the tree (or the root).
    dir: bool,
}

pub struct Tree {
    recs: Vec<Rec>,
    names: Vec<u8>,
    /// Node numbers, by hash of (parent, name).
    index: HashTable<u32>,
    hasher: foldhash::fast::RandomState,
    extra: Vec<Extra>,
    free: Vec<u32>,
    free_extra: Vec<u32>,
    last: Option<Parent>,
    /// The lowest layer applied. Above 0 the tree is partial: the layers below are unread,
    /// so what is absent here may be present there, and a path placed here may land
    /// elsewhere once a lower layer turns one of its parents into a symlink.
    floor: usize,
    /// Partial trees: paths a layer read whited out (their absence is certain).
    gone: HashSet<String>,
    /// Partial trees: directories a layer read made opaque (nothing of theirs comes from below).
    sealed: HashSet<String>,
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("nodes", &(self.recs.len() - self.free.len()))
            .field("floor", &self.floor)
            .finish_non_exhaustive()
    }
}

impl Default for Tree {
    fn default() -> Self {
        Tree::partial(0)
    }
}

/// The outcome of resolving a path.
#[derive(Debug)]
pub enum Resolved {
    Found {
        path: String,
        node: Node,
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

/// [`Resolved`], with the node by number (nothing unpacked).
enum Walk {
    Found { path: String, id: u32 },
    Missing { path: String, why: String },
    Unknown { path: String },
}

impl Tree {
    /// A tree of the layers from `floor` up, the ones below unread.
    pub fn partial(floor: usize) -> Self {
        let root = Rec {
            name: 0,
            parent: NONE,
            child: NONE,
            next: NONE,
            data: NONE,
            size: 0,
            name_len: 0,
            mode: 0o755,
            layer: 0,
            kind: DIR,
            flags: 0,
        };
        Tree {
            recs: vec![root],
            names: Vec::new(),
            index: HashTable::new(),
            hasher: Default::default(),
            extra: Vec::new(),
            free: Vec::new(),
            free_extra: Vec::new(),
            last: None,
            floor,
            gone: HashSet::new(),
            sealed: HashSet::new(),
        }
    }

    /// Whether every layer is in (no answer depends on an unread layer).
    pub fn complete(&self) -> bool {
        self.floor == 0
    }

    /// Apply one layer on top of what is there. Whiteouts hide only lower layers, so they are
    /// applied before the layer's own entries.
    pub fn apply(&mut self, layer: usize, changes: &Changes) -> Result<(), String> {
        let layer = u16::try_from(layer).map_err(|_| "more layers than initlint reads")?;
        if changes.removes() {
            self.whiteouts(changes.iter());
        }
        for change in changes.iter() {
            if let Change::Add(entry) = change {
                self.add(layer, entry)?;
            }
        }
        self.last = None;
        Ok(())
    }

    fn whiteouts(&mut self, changes: impl Iterator<Item = Change>) {
        self.last = None;
        for change in changes {
            match change {
                Change::Whiteout(path) => {
                    let path = self.parent_resolved(&path);
                    self.remove_tree(&path, true);
                    if !self.complete() {
                        self.gone.insert(path);
                    }
                }
                Change::Opaque(dir) => {
                    let dir = self.parent_resolved(&dir);
                    self.remove_tree(&dir, false);
                    if !self.complete() {
                        self.sealed.insert(dir);
                    }
                }
                Change::Add(_) => {}
            }
        }
    }

    fn add(&mut self, layer: u16, entry: Entry) -> Result<(), String> {
        let complete = self.complete();
        let (dir, base) = split(&entry.path);
        let parent = self.parent(dir);
        let path = join(&parent.resolved, base);
        let (under, unsure) = (parent.id, !parent.dir && !complete);
        let node = match entry.kind {
            Kind::File {
                size,
                content,
                whole,
            } => NodeKind::File {
                size,
                content,
                whole,
                bytes_at: (entry.path != path)
                    .then(|| Box::new((usize::from(layer), entry.path.clone()))),
            },
            Kind::Dir => NodeKind::Dir,
            Kind::Symlink(t) => NodeKind::Symlink(t),
            Kind::Special => NodeKind::Special,
            Kind::Hardlink(target) => {
                return self.hard_link(layer, &entry.path, path, &target, entry.mode)
            }
        };
        let id = match under {
            Some(p) => self.place_under(p, base)?,
            None => {
                let id = self.place(&path)?;
                // The next entry of this directory finds it by number.
                let made = self.recs[id as usize].parent;
                if let Some(last) = self.last.as_mut().filter(|l| l.written == dir) {
                    last.id = Some(made);
                }
                id
            }
        };
        self.store(
            id,
            Node {
                kind: node,
                mode: entry.mode,
                layer: u32::from(layer),
            },
            unsure,
        );
        Ok(())
    }

    fn hard_link(
        &mut self,
        layer: u16,
        written: &str,
        path: String,
        target: &str,
        mode: u32,
    ) -> Result<(), String> {
        // Like link(2): parents are resolved, the last component is not followed.
        let target = self.parent_resolved(target);
        let unsure = !self.complete() && !self.has_parent(&path);
        match self.find(&target).filter(|&id| self.real(id)) {
            Some(t) => {
                let mut n = self.node(t);
                // The bytes stay where the target's are.
                if let NodeKind::File { bytes_at, .. } = &mut n.kind {
                    if bytes_at.is_none() {
                        *bytes_at = Some(Box::new((n.layer as usize, target.clone())));
                    }
                }
                n.layer = u32::from(layer);
                let id = self.place(&path)?;
                self.store(id, n, unsure);
                Ok(())
            }
            // The target is in a layer not read yet: whatever resolves through this path
            // waits for that layer.
            None if !self.complete() => {
                let id = self.place(&path)?;
                let n = Node {
                    kind: NodeKind::Special,
                    mode,
                    layer: u32::from(layer),
                };
                self.store(id, n, true);
                Ok(())
            }
            None => Err(format!(
                "hard link {written} points to {target}, which does not exist in this or a lower layer; the runtime fails to unpack it"
            )),
        }
    }

    /// The directory `dir` (as a layer wrote it) resolved, from the last entry's when it is
    /// the same.
    fn parent(&mut self, dir: &str) -> &Parent {
        let parent = match self.last.take() {
            Some(p) if p.written == dir => p,
            _ => {
                let resolved = self.dir_resolved(dir);
                let id = self.find(&resolved);
                Parent {
                    written: dir.to_string(),
                    dir: id.is_some_and(|i| self.recs[i as usize].kind == DIR),
                    resolved,
                    id,
                }
            }
        };
        self.last.insert(parent)
    }

    /// The directory `dir` resolved through symlinks.
    fn dir_resolved(&self, dir: &str) -> String {
        match self.walk(dir) {
            Walk::Found { path, .. } | Walk::Missing { path, .. } => path,
            Walk::Unknown { .. } => dir.to_string(),
        }
    }

    /// The path with its directory part resolved through symlinks (the last component as is).
    fn parent_resolved(&self, path: &str) -> String {
        let (dir, base) = split(path);
        if dir == "/" {
            return path.to_string();
        }
        join(&self.dir_resolved(dir), base)
    }

    /// Whether the directory `path` is in lives in the tree as a directory (or is the root).
    fn has_parent(&self, path: &str) -> bool {
        let (dir, _) = split(path);
        self.find(dir)
            .is_some_and(|i| self.recs[i as usize].kind == DIR)
    }

    /// Partial trees: an absence at `here` that the unread layers cannot undo (whited out, or
    /// in an opaque directory).
    fn surely_absent(&self, here: &str) -> bool {
        self.complete() || self.gone.contains(here) || self.sealed.contains(split(here).0)
    }

    fn real(&self, id: u32) -> bool {
        !matches!(self.recs[id as usize].kind, IMPLICIT | FREE)
    }

    fn name(&self, id: u32) -> &[u8] {
        let r = &self.recs[id as usize];
        &self.names[r.name as usize..r.name as usize + usize::from(r.name_len)]
    }

    fn child(&self, parent: u32, name: &[u8]) -> Option<u32> {
        let hash = self.hasher.hash_one((parent, name));
        self.index
            .find(hash, |&id| {
                self.recs[id as usize].parent == parent && self.name(id) == name
            })
            .copied()
    }

    /// The node at `path` exactly (no symlink followed), implicit directories included.
    fn find(&self, path: &str) -> Option<u32> {
        path.split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .try_fold(ROOT, |at, part| self.child(at, part.as_bytes()))
    }

    /// The node at `path`, made (with implicit directories on the way) if it is not there.
    fn place(&mut self, path: &str) -> Result<u32, String> {
        let mut at = ROOT;
        for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
            at = match part {
                ".." => match self.recs[at as usize].parent {
                    NONE => ROOT,
                    p => p,
                },
                _ => self.place_under(at, part)?,
            };
        }
        Ok(at)
    }

    fn place_under(&mut self, parent: u32, name: &str) -> Result<u32, String> {
        match self.child(parent, name.as_bytes()) {
            Some(id) => Ok(id),
            None => self.alloc(parent, name),
        }
    }

    /// A new, implicit node `name` under `parent`.
    fn alloc(&mut self, parent: u32, name: &str) -> Result<u32, String> {
        let name_len = u16::try_from(name.len())
            .map_err(|_| format!("a path component of {} bytes is too long", name.len()))?;
        let at = u32::try_from(self.names.len())
            .ok()
            .filter(|a| a.checked_add(u32::from(name_len)).is_some())
            .ok_or("more path bytes than initlint indexes (4 GiB)")?;
        self.names.extend_from_slice(name.as_bytes());
        let rec = Rec {
            name: at,
            parent,
            child: NONE,
            next: self.recs[parent as usize].child,
            data: NONE,
            size: 0,
            name_len,
            mode: 0o755,
            layer: 0,
            kind: IMPLICIT,
            flags: 0,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.recs[id as usize] = rec;
                id
            }
            None => {
                let id = u32::try_from(self.recs.len())
                    .ok()
                    .filter(|&i| i != NONE)
                    .ok_or("more files than initlint indexes")?;
                self.recs.push(rec);
                id
            }
        };
        self.recs[parent as usize].child = id;
        let Tree {
            index,
            recs,
            names,
            hasher,
            ..
        } = self;
        let hash = hasher.hash_one((parent, name.as_bytes()));
        index.insert_unique(hash, id, |&i| {
            let r = &recs[i as usize];
            let n = &names[r.name as usize..r.name as usize + usize::from(r.name_len)];
            hasher.hash_one((r.parent, n))
        });
        Ok(id)
    }

    /// Write `node` at `id`, as a layer entry replaces what was there: a directory over a
    /// directory keeps its children, anything else drops them.
    fn store(&mut self, id: u32, node: Node, unsure: bool) {
        let was = self.recs[id as usize].kind;
        let keeps_children = matches!(node.kind, NodeKind::Dir) && matches!(was, DIR | IMPLICIT);
        if !keeps_children {
            self.drop_children(id);
        }
        if !matches!(node.kind, NodeKind::File { .. } | NodeKind::Special) {
            // A directory or symlink may change how later parents resolve.
            self.last = None;
        }
        let (kind, flags, size, extra) = match node.kind {
            NodeKind::File {
                size,
                content,
                whole,
                bytes_at,
            } => {
                let flags = if whole { WHOLE } else { 0 };
                match (content, bytes_at, u32::try_from(size)) {
                    (None, None, Ok(small)) if small != NONE => (FILE, flags, small, None),
                    (content, bytes_at, _) => (
                        FILE,
                        flags,
                        0,
                        Some(Extra::File {
                            size,
                            content,
                            bytes_at,
                        }),
                    ),
                }
            }
            NodeKind::Dir => (DIR, 0, 0, None),
            NodeKind::Symlink(t) => (SYMLINK, 0, 0, Some(Extra::Symlink(t.into_boxed_str()))),
            NodeKind::Special => (SPECIAL, 0, 0, None),
        };
        let data = self.set_extra(self.recs[id as usize].data, extra);
        let r = &mut self.recs[id as usize];
        r.kind = kind;
        r.flags = flags | if unsure { UNSURE } else { 0 };
        r.size = size;
        r.data = data;
        r.mode = (node.mode & 0o7777) as u16;
        r.layer = u16::try_from(node.layer).unwrap_or(u16::MAX);
    }

    /// Put `extra` in the side table (in the slot `old`, if there is one); the slot used.
    fn set_extra(&mut self, old: u32, extra: Option<Extra>) -> u32 {
        match (old, extra) {
            (NONE, None) => NONE,
            (old, None) => {
                self.extra[old as usize] = Extra::Unused;
                self.free_extra.push(old);
                NONE
            }
            (NONE, Some(e)) => match self.free_extra.pop() {
                Some(slot) => {
                    self.extra[slot as usize] = e;
                    slot
                }
                None => {
                    self.extra.push(e);
                    (self.extra.len() - 1) as u32
                }
            },
            (old, Some(e)) => {
                self.extra[old as usize] = e;
                old
            }
        }
    }

    /// The target of the symlink `id`.
    fn target(&self, id: u32) -> Option<&str> {
        match self.extra.get(self.recs[id as usize].data as usize) {
            Some(Extra::Symlink(t)) if self.recs[id as usize].kind == SYMLINK => Some(t),
            _ => None,
        }
    }

    /// The node `id`, unpacked.
    fn node(&self, id: u32) -> Node {
        let r = &self.recs[id as usize];
        let extra = self.extra.get(r.data as usize);
        let kind = match (r.kind, extra) {
            (
                FILE,
                Some(Extra::File {
                    size,
                    content,
                    bytes_at,
                }),
            ) => NodeKind::File {
                size: *size,
                content: content.clone(),
                whole: r.flags & WHOLE != 0,
                bytes_at: bytes_at.clone(),
            },
            (FILE, _) => NodeKind::File {
                size: u64::from(r.size),
                content: None,
                whole: r.flags & WHOLE != 0,
                bytes_at: None,
            },
            (SYMLINK, Some(Extra::Symlink(t))) => NodeKind::Symlink(t.to_string()),
            (SPECIAL | SYMLINK, _) => NodeKind::Special,
            _ => NodeKind::Dir,
        };
        Node {
            kind,
            mode: u32::from(r.mode),
            layer: u32::from(r.layer),
        }
    }

    /// Remove `path` and what is below it (`this`), or only what is below it.
    fn remove_tree(&mut self, path: &str, this: bool) {
        let Some(id) = self.find(path) else { return };
        self.last = None;
        self.drop_children(id);
        if this && id != ROOT {
            self.unlink(id);
        } else {
            self.unlink_if_empty(id);
        }
    }

    /// Free everything below `id`.
    fn drop_children(&mut self, id: u32) {
        let first = self.recs[id as usize].child;
        if first == NONE {
            return;
        }
        self.last = None;
        self.recs[id as usize].child = NONE;
        let mut todo = vec![first];
        while let Some(mut at) = todo.pop() {
            while at != NONE {
                let r = self.recs[at as usize];
                if r.child != NONE {
                    todo.push(r.child);
                }
                self.release(at);
                at = r.next;
            }
        }
    }

    /// Take `id` out of its parent's children and free it; then its parent, if that was an
    /// implicit directory and `id` its last child, and so on up.
    fn unlink(&mut self, mut id: u32) {
        loop {
            let parent = self.recs[id as usize].parent;
            let next = self.recs[id as usize].next;
            if self.recs[parent as usize].child == id {
                self.recs[parent as usize].child = next;
            } else {
                let mut at = self.recs[parent as usize].child;
                while at != NONE {
                    if self.recs[at as usize].next == id {
                        self.recs[at as usize].next = next;
                        break;
                    }
                    at = self.recs[at as usize].next;
                }
            }
            self.release(id);
            if !self.empty_implicit(parent) {
                return;
            }
            id = parent;
        }
    }

    fn empty_implicit(&self, id: u32) -> bool {
        let r = &self.recs[id as usize];
        id != ROOT && r.kind == IMPLICIT && r.child == NONE
    }

    fn unlink_if_empty(&mut self, id: u32) {
        if self.empty_implicit(id) {
            self.unlink(id);
        }
    }

    /// Free the node `id` (not its children, nor its place among its siblings).
    fn release(&mut self, id: u32) {
        let hash = self
            .hasher
            .hash_one((self.recs[id as usize].parent, self.name(id)));
        if let Ok(e) = self.index.find_entry(hash, |&i| i == id) {
            e.remove();
        }
        let data = self.recs[id as usize].data;
        self.set_extra(data, None);
        let r = &mut self.recs[id as usize];
        r.kind = FREE;
        r.data = NONE;
        r.child = NONE;
        self.free.push(id);
    }

    /// Nodes in use, and slots the arena holds (used or free).
    #[cfg(test)]
    fn counts(&self) -> (usize, usize) {
        (self.recs.len() - self.free.len(), self.recs.len())
    }

    /// Resolve a path as `execve`/`open` would: every symlink followed, inside the root.
    pub fn resolve(&self, path: &str) -> Resolved {
        match self.walk(path) {
            Walk::Found { path, id } => Resolved::Found {
                node: self.node(id),
                path,
            },
            Walk::Missing { path, why } => Resolved::Missing { path, why },
            Walk::Unknown { path } => Resolved::Unknown { path },
        }
    }

    /// [`Tree::resolve`], by node number. The path walked so far is built as it goes (a
    /// hostile path may have a hundred thousand components).
    fn walk(&self, path: &str) -> Walk {
        let mut todo: VecDeque<String> = components(path);
        // The nodes walked, each with the length of `here` before it.
        let mut cur: Vec<(u32, usize)> = Vec::new();
        let mut here = String::new();
        let mut hops = 0;
        while let Some(part) = todo.pop_front() {
            if part == ".." {
                if let Some((_, len)) = cur.pop() {
                    here.truncate(len);
                }
                continue;
            }
            let parent = cur.last().map_or(ROOT, |c| c.0);
            let id = self.child(parent, part.as_bytes());
            cur.push((id.unwrap_or(NONE), here.len()));
            here.push('/');
            here.push_str(&part);
            let rec = id.map(|i| self.recs[i as usize]);
            let kind = rec.map_or(IMPLICIT, |r| r.kind);
            if rec.is_some_and(|r| r.kind != IMPLICIT && r.flags & UNSURE != 0) {
                return Walk::Unknown { path: here };
            }
            match kind {
                IMPLICIT if !self.surely_absent(&here) => return Walk::Unknown { path: here },
                SYMLINK => {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return Walk::Missing {
                            path: path.to_string(),
                            why: format!(
                                "resolving {path} follows more than {MAX_HOPS} symbolic links (a symlink loop at {here}); execve fails with ELOOP"
                            ),
                        };
                    }
                    let target = id.and_then(|i| self.target(i)).unwrap_or_default();
                    if let Some((_, len)) = cur.pop() {
                        here.truncate(len);
                    }
                    if target.starts_with('/') {
                        cur.clear();
                        here.clear();
                    }
                    for (i, p) in components(target).into_iter().enumerate() {
                        todo.insert(i, p);
                    }
                }
                FILE | SPECIAL if !todo.is_empty() => {
                    return Walk::Missing {
                        path: path.to_string(),
                        why: format!("{here} is a file, not a directory"),
                    };
                }
                // No node, or an implicit directory at the end of the path: not there.
                IMPLICIT if todo.is_empty() || id.is_none() => {
                    let why = format!("{here} does not exist in the image");
                    for rest in &todo {
                        here.push('/');
                        here.push_str(rest);
                    }
                    return Walk::Missing { path: here, why };
                }
                _ => {}
            }
        }
        match cur.last() {
            Some(&(id, _)) if self.real(id) => Walk::Found { path: here, id },
            // The root.
            _ => Walk::Missing {
                why: "/ is a directory".into(),
                path: "/".into(),
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
            t.apply(i, &changes.into_iter().collect()).unwrap();
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
            } => String::from_utf8_lossy(&c).into_owned(),
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
                &[Change::Add(Entry {
                    path: "/x".into(),
                    kind: Kind::Hardlink("/missing".into()),
                    mode: 0,
                })]
                .into_iter()
                .collect(),
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
            t.apply(floor + i, &changes.into_iter().collect()).unwrap();
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

    fn missing_why(t: &Tree, path: &str) -> String {
        match t.resolve(path) {
            Resolved::Missing { why, .. } => why,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn implicit_directories_go_with_their_last_entry() {
        let mut t = tree(vec![vec![file("/a/b/c/x", "x"), file("/a/y", "y")]]);
        assert_eq!(t.counts().0, 6, "root, a, b, c, x, y");
        t.apply(
            1,
            &[Change::Whiteout("/a/b/c/x".into())].into_iter().collect(),
        )
        .unwrap();
        // /a/b and /a/b/c were there only for x.
        assert!(missing_why(&t, "/a/b").contains("does not exist"));
        assert_eq!(body(&t, "/a/y"), "y");
        assert_eq!(t.counts().0, 3);
        // Their slots are used again.
        let slots = t.counts().1;
        t.apply(2, &[file("/a/z/w", "w")].into_iter().collect())
            .unwrap();
        assert_eq!(t.counts().1, slots);
        assert_eq!(body(&t, "/a/z/w"), "w");
    }

    #[test]
    fn a_file_over_a_directory_drops_its_children_a_directory_keeps_them() {
        let t = tree(vec![vec![dir("/d"), file("/d/x", "x")], vec![dir("/d")]]);
        assert_eq!(body(&t, "/d/x"), "x");
        let t = tree(vec![
            vec![dir("/d"), file("/d/x", "x")],
            vec![file("/d", "now a file")],
        ]);
        assert!(missing_why(&t, "/d/x").contains("is a file"));
        let t = tree(vec![
            vec![dir("/d"), file("/d/x", "x")],
            vec![file("/d", "f")],
            vec![dir("/d")],
        ]);
        assert!(missing_why(&t, "/d/x").contains("does not exist"));
    }

    #[test]
    fn the_same_name_in_many_directories_is_kept_apart() {
        let layer: Vec<Change> = (0..200)
            .flat_map(|i| {
                vec![
                    dir(&format!("/node_modules/p{i}")),
                    file(&format!("/node_modules/p{i}/index.js"), &format!("{i}")),
                ]
            })
            .collect();
        let t = tree(vec![layer]);
        for i in [0, 7, 199] {
            assert_eq!(
                body(&t, &format!("/node_modules/p{i}/index.js")),
                i.to_string()
            );
        }
        assert!(matches!(
            t.resolve("/node_modules/p200/index.js"),
            Resolved::Missing { .. }
        ));
    }

    #[test]
    fn an_opaque_root_hides_every_lower_entry() {
        let t = tree(vec![
            vec![file("/x", "x"), file("/etc/y", "y")],
            vec![Change::Opaque("/".into()), file("/z", "z")],
        ]);
        assert!(matches!(t.resolve("/x"), Resolved::Missing { .. }));
        assert!(matches!(t.resolve("/etc/y"), Resolved::Missing { .. }));
        assert_eq!(body(&t, "/z"), "z");
    }

    #[test]
    fn a_deep_path_is_placed_and_removed_without_deep_recursion() {
        let deep = format!("{}/f", "/d".repeat(100_000));
        let mut t = tree(vec![vec![file(&deep, "deep")]]);
        assert_eq!(body(&t, &deep), "deep");
        t.apply(1, &[Change::Whiteout(deep.clone())].into_iter().collect())
            .unwrap();
        assert_eq!(t.counts().0, 1, "only the root is left");
        t.apply(2, &[Change::Whiteout("/d".into())].into_iter().collect())
            .unwrap();
    }

    #[test]
    fn sizes_past_4_gib_and_modes_are_kept() {
        let t = tree(vec![vec![Change::Add(Entry {
            path: "/big".into(),
            kind: Kind::File {
                size: 5 << 30,
                content: None,
                whole: false,
            },
            mode: 0o4755,
        })]]);
        match t.resolve("/big") {
            Resolved::Found { node, .. } => {
                assert!(matches!(node.kind, NodeKind::File { size, .. } if size == 5 << 30));
                assert_eq!(node.mode, 0o4755);
            }
            other => panic!("{other:?}"),
        }
    }
}
