//! The app's own modules an entry file imports, resolved the way the language does, so that a
//! handler installed in one of them is found (a Node `server.js` that requires
//! `./lib/shutdown`, a Python `main.py` that imports `app.signals`). Only files that exist
//! in the container are followed: library and standard modules simply do not resolve.

use crate::source::join_path;

/// How an interpreter's source names its local modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStyle {
    /// Not followed.
    None,
    /// `require('./x')`, `import … from './x'`, `import('./x')`, `import './x'`.
    Node,
    /// `import a.b`, `from a.b import c`, `from . import c`, `from .x import c`.
    Python,
}

/// For each local import in `source` (a file in directory `dir`), the paths it may resolve
/// to, in the language's order.
pub fn candidates(style: ImportStyle, source: &str, dir: &str) -> Vec<Vec<String>> {
    match style {
        ImportStyle::None => Vec::new(),
        ImportStyle::Node => node(source, dir),
        ImportStyle::Python => python(source, dir),
    }
}

fn node(source: &str, dir: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (i, _) in source.match_indices(['\'', '"', '`']) {
        let Some(rest) = source.get(i + 1..) else {
            continue;
        };
        if !(rest.starts_with("./") || rest.starts_with("../")) {
            continue;
        }
        // Only a literal right after `require(`, `import(`, `from` or `import`.
        let before = source.get(..i).unwrap_or("").trim_end();
        if !["require(", "import(", "from", "import"]
            .iter()
            .any(|k| before.ends_with(k))
        {
            continue;
        }
        let quote = &source[i..i + 1];
        let Some(end) = rest.find(quote) else {
            continue;
        };
        let spec = &rest[..end];
        if spec.contains('\n') {
            continue;
        }
        let base = join_path(dir, spec);
        out.push(vec![
            base.clone(),
            format!("{base}.js"),
            format!("{base}.cjs"),
            format!("{base}.mjs"),
            format!("{base}/index.js"),
        ]);
    }
    out
}

fn python(source: &str, dir: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in source.lines() {
        let line = line.trim();
        let modules: Vec<String> = if let Some(rest) = line.strip_prefix("from ") {
            let Some((module, names)) = rest.split_once(" import ") else {
                continue;
            };
            let module = module.trim();
            // `from . import a, b`: each name may be a module of the package.
            if module.trim_start_matches('.').is_empty() {
                names
                    .split(',')
                    .map(|n| format!("{module}{}", n.split_whitespace().next().unwrap_or("")))
                    .collect()
            } else {
                vec![module.to_string()]
            }
        } else if let Some(rest) = line.strip_prefix("import ") {
            rest.split(',')
                .filter_map(|m| m.split_whitespace().next())
                .map(str::to_string)
                .collect()
        } else {
            continue;
        };
        for m in modules {
            let dots = m.len() - m.trim_start_matches('.').len();
            let mut base = dir.to_string();
            for _ in 1..dots {
                base = join_path(&base, "..");
            }
            let rel = m.trim_start_matches('.').replace('.', "/");
            if rel.is_empty()
                || !rel
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '/')
            {
                continue;
            }
            let path = join_path(&base, &rel);
            out.push(vec![format!("{path}.py"), format!("{path}/__init__.py")]);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn node_relative_requires_and_imports() {
        let src = "const s = require('./lib/shutdown');\nimport x from \"../x\";\nimport('./dyn');\nconst e = require('express');\nconst t = 'not ./a require';\n";
        let c = candidates(ImportStyle::Node, src, "/app/src");
        let firsts: Vec<&str> = c.iter().map(|v| v[0].as_str()).collect();
        assert_eq!(firsts, ["/app/src/lib/shutdown", "/app/x", "/app/src/dyn"]);
        assert!(c[0].contains(&"/app/src/lib/shutdown.js".to_string()));
    }

    #[test]
    fn python_absolute_and_relative_modules() {
        let src = "import os, app.signals\nfrom .util import x\nfrom . import handlers, db as d\nfrom app.server import run\n";
        let c = candidates(ImportStyle::Python, src, "/srv");
        let firsts: Vec<&str> = c.iter().map(|v| v[0].as_str()).collect();
        assert_eq!(
            firsts,
            [
                "/srv/os.py",
                "/srv/app/signals.py",
                "/srv/util.py",
                "/srv/handlers.py",
                "/srv/db.py",
                "/srv/app/server.py"
            ]
        );
    }
}
