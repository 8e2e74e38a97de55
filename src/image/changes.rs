//! A layer's changes, packed. A layer of a million files is a million [`Change`]s; held as
//! structs with their paths, that is about 120 bytes each. Packed here, each path shares
//! what it can with the one before it (tar lists a directory's entries together, so most
//! paths differ from the last in a few bytes) and the rest is varints: about 10 bytes each.
//! Read back in order, which is all the tree and the reading need.

use std::sync::Arc;

use super::layer::{Change, Entry, Kind};

/// The changes of one layer, in the order the layer lists them.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    bytes: Vec<u8>,
    /// Contents kept of files (the few the launch chain may need), by number.
    contents: Vec<Arc<[u8]>>,
    len: usize,
    /// Whiteouts and opaque markers: a layer without any needs no pass for them.
    removals: usize,
    /// The path pushed last: the next shares its prefix.
    last: String,
}

const FILE: u8 = 0;
const DIR: u8 = 1;
const SYMLINK: u8 = 2;
const HARDLINK: u8 = 3;
const SPECIAL: u8 = 4;
const WHITEOUT: u8 = 5;
const OPAQUE: u8 = 6;
const KIND: u8 = 0b111;
const HAS_CONTENT: u8 = 1 << 3;
const WHOLE: u8 = 1 << 4;

impl Changes {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the layer deletes or hides anything below it.
    pub fn removes(&self) -> bool {
        self.removals > 0
    }

    pub fn push(&mut self, change: Change) {
        self.len += 1;
        if matches!(change, Change::Whiteout(_) | Change::Opaque(_)) {
            self.removals += 1;
        }
        match change {
            Change::Whiteout(path) => self.head(WHITEOUT, &path),
            Change::Opaque(path) => self.head(OPAQUE, &path),
            Change::Add(Entry { path, kind, mode }) => match kind {
                Kind::File {
                    size,
                    content,
                    whole,
                } => {
                    let flags = if content.is_some() { HAS_CONTENT } else { 0 }
                        | if whole { WHOLE } else { 0 };
                    self.head(FILE | flags, &path);
                    self.varint(u64::from(mode));
                    self.varint(size);
                    if let Some(c) = content {
                        self.varint(self.contents.len() as u64);
                        self.contents.push(c);
                    }
                }
                Kind::Dir => self.entry(DIR, &path, mode),
                Kind::Special => self.entry(SPECIAL, &path, mode),
                Kind::Symlink(target) => {
                    self.entry(SYMLINK, &path, mode);
                    self.text(&target);
                }
                Kind::Hardlink(target) => {
                    self.entry(HARDLINK, &path, mode);
                    self.text(&target);
                }
            },
        }
    }

    /// Give back what the list grew into and does not use (it is kept until the layer is
    /// applied, which may be after the other layers are read).
    pub fn shrink(&mut self) {
        self.bytes.shrink_to_fit();
        self.contents.shrink_to_fit();
        self.last = String::new();
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            changes: self,
            at: 0,
            path: Vec::new(),
        }
    }

    fn entry(&mut self, kind: u8, path: &str, mode: u32) {
        self.head(kind, path);
        self.varint(u64::from(mode));
    }

    fn head(&mut self, tag: u8, path: &str) {
        self.bytes.push(tag);
        let shared = self
            .last
            .bytes()
            .zip(path.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        let shared = floor_char(path, shared);
        self.varint(shared as u64);
        self.text(&path[shared..]);
        self.last.clear();
        self.last.push_str(path);
    }

    fn text(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.bytes.extend_from_slice(s.as_bytes());
    }

    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.bytes.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.bytes.push(v as u8);
    }
}

/// `at`, moved back to the start of the character it falls in.
fn floor_char(s: &str, mut at: usize) -> usize {
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl FromIterator<Change> for Changes {
    fn from_iter<I: IntoIterator<Item = Change>>(iter: I) -> Self {
        let mut c = Changes::default();
        for change in iter {
            c.push(change);
        }
        c.shrink();
        c
    }
}

/// The changes in order, unpacked one at a time.
pub struct Iter<'a> {
    changes: &'a Changes,
    at: usize,
    path: Vec<u8>,
}

impl Iter<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.changes.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn varint(&mut self) -> u64 {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte();
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
        }
        v
    }

    fn bytes(&mut self) -> &[u8] {
        let len = self.varint() as usize;
        let all = &self.changes.bytes;
        let start = self.at.min(all.len());
        let end = self.at.saturating_add(len).min(all.len());
        self.at = end;
        &all[start..end]
    }

    fn text(&mut self) -> String {
        String::from_utf8_lossy(self.bytes()).into_owned()
    }

    fn path(&mut self) -> String {
        let shared = self.varint() as usize;
        self.path.truncate(shared);
        let len = self.varint() as usize;
        let all = &self.changes.bytes;
        let end = self.at.saturating_add(len).min(all.len());
        self.path
            .extend_from_slice(&all[self.at.min(all.len())..end]);
        self.at = end;
        String::from_utf8_lossy(&self.path).into_owned()
    }
}

impl Iterator for Iter<'_> {
    type Item = Change;

    fn next(&mut self) -> Option<Change> {
        if self.at >= self.changes.bytes.len() {
            return None;
        }
        let tag = self.byte();
        let path = self.path();
        let kind = match tag & KIND {
            WHITEOUT => return Some(Change::Whiteout(path)),
            OPAQUE => return Some(Change::Opaque(path)),
            k => k,
        };
        let mode = self.varint() as u32;
        let kind = match kind {
            FILE => {
                let size = self.varint();
                let content = (tag & HAS_CONTENT != 0)
                    .then(|| self.varint() as usize)
                    .and_then(|i| self.changes.contents.get(i).cloned());
                Kind::File {
                    size,
                    content,
                    whole: tag & WHOLE != 0,
                }
            }
            DIR => Kind::Dir,
            SYMLINK => Kind::Symlink(self.text()),
            HARDLINK => Kind::Hardlink(self.text()),
            _ => Kind::Special,
        };
        Some(Change::Add(Entry { path, kind, mode }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn add(path: &str, kind: Kind, mode: u32) -> Change {
        Change::Add(Entry {
            path: path.into(),
            kind,
            mode,
        })
    }

    fn show(c: &Change) -> String {
        format!("{c:?}")
    }

    #[test]
    fn what_is_pushed_comes_back_in_order() {
        let list = [
            add("/app", Kind::Dir, 0o755),
            add(
                "/app/entrypoint.sh",
                Kind::File {
                    size: 1 << 40,
                    content: Some(b"#!/bin/sh\n".as_slice().into()),
                    whole: true,
                },
                0o755,
            ),
            add(
                "/app/entrypoint.sh.bak",
                Kind::File {
                    size: 0,
                    content: None,
                    whole: false,
                },
                0o4644,
            ),
            add("/app/é/sh", Kind::Symlink("../../bin/dash".into()), 0o777),
            add("/app/è", Kind::Hardlink("/app/é/sh".into()), 0),
            Change::Whiteout("/app/old".into()),
            Change::Opaque("/srv".into()),
            add("/dev/null", Kind::Special, 0o666),
        ];
        let packed: Changes = list.iter().cloned().collect();
        assert_eq!(packed.len(), list.len());
        let back: Vec<String> = packed.iter().map(|c| show(&c)).collect();
        let want: Vec<String> = list.iter().map(show).collect();
        assert_eq!(back, want);
        // Read twice: the iterator does not consume the list.
        assert_eq!(packed.iter().count(), list.len());
    }

    #[test]
    fn paths_of_one_directory_pack_to_a_few_bytes_each() {
        let packed: Changes = (0..1000)
            .map(|i| {
                add(
                    &format!("/app/node_modules/pkg-00001/lib/module-{i:04}.js"),
                    Kind::File {
                        size: 0,
                        content: None,
                        whole: false,
                    },
                    0o644,
                )
            })
            .collect();
        assert!(packed.bytes.len() < 12 * 1000, "{}", packed.bytes.len());
    }
}
