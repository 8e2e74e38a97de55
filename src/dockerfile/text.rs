//! Strings from the Dockerfile, with a map back to their bytes.

use std::ops::Range;

use crate::source::{FileId, Span, Text, TextMap};

/// A JSON (exec-form) argument: exact offsets when the value has no escapes.
pub fn exec_arg_text(text: &str, file: FileId, span: &Range<usize>, value: &str) -> Text {
    let map = if text.get(span.clone()) == Some(value) {
        TextMap::Offset {
            file,
            base: span.start,
        }
    } else {
        TextMap::Whole(Span {
            file,
            range: span.clone(),
        })
    };
    Text {
        value: value.to_string(),
        map,
    }
}

/// A shell-form string as the builder hands it to the shell: line continuations (escape,
/// optional blanks, newline) removed, and comment or blank lines inside them dropped.
pub fn shell_form_text(text: &str, file: FileId, span: Range<usize>, escape: char) -> Text {
    let raw = text.get(span.clone()).unwrap_or("");
    let bytes = raw.as_bytes();
    let mut value = String::with_capacity(raw.len());
    let mut map = Vec::with_capacity(raw.len() + 1);
    let mut i = 0;
    let mut esc = [0u8; 4];
    let esc = escape.encode_utf8(&mut esc).as_bytes();
    while i < bytes.len() {
        if bytes[i..].starts_with(esc) {
            let mut j = i + esc.len();
            while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'\r' {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'\n' {
                i = skip_comment_lines(bytes, j + 1);
                continue;
            }
        }
        let ch_len = raw[i..].chars().next().map_or(1, char::len_utf8);
        value.push_str(&raw[i..i + ch_len]);
        for k in 0..ch_len {
            map.push(span.start + i + k);
        }
        i += ch_len;
    }
    map.push(span.start + raw.len());
    Text {
        value,
        map: TextMap::Table { file, map },
    }
}

fn skip_comment_lines(bytes: &[u8], mut i: usize) -> usize {
    loop {
        let mut j = i;
        while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
            j += 1;
        }
        let blank_or_comment = j < bytes.len() && (bytes[j] == b'#' || bytes[j] == b'\n');
        if !blank_or_comment {
            return i;
        }
        while j < bytes.len() && bytes[j] != b'\n' {
            j += 1;
        }
        i = (j + 1).min(bytes.len());
        if i >= bytes.len() {
            return i;
        }
    }
}
