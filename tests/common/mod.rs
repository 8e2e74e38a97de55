//! Shared by the image tests: the fixture images, built once per change of their recipe.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Build the fixtures (testdata/images/build.sh) unless the recipe is unchanged since the
/// last build. A file lock keeps test binaries running in parallel from building at once.
pub fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fixture-images");
        std::fs::create_dir_all(&out).unwrap();
        let lock = std::fs::File::create(out.with_extension("lock")).unwrap();
        lock.lock().unwrap();
        let recipe = repo().join("testdata/images");
        let mut stamp = String::new();
        // Every file of the recipe: a change to any rebuilds the images.
        for dir in [recipe.clone(), recipe.join("src")] {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            for f in files {
                stamp.push_str(&std::fs::read_to_string(f).unwrap());
            }
        }
        let stamp_file = out.join("stamp");
        if std::fs::read_to_string(&stamp_file).ok().as_deref() != Some(stamp.as_str()) {
            let status = Command::new(recipe.join("build.sh"))
                .arg(&out)
                .stdout(Stdio::null())
                .status()
                .expect("run testdata/images/build.sh");
            assert!(status.success(), "testdata/images/build.sh failed");
            std::fs::write(&stamp_file, &stamp).unwrap();
        }
        lock.unlock().unwrap();
        out
    })
}
