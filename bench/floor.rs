//! The floor for image mode: inflate every gzip layer given and walk its tar headers, on as
//! many threads as initlint uses (up to 4), doing nothing else. bench/image.sh divides
//! initlint's time by this one's.
//!
//! usage: cargo run --release --example floor -- LAYER.tar.gz…

use std::fs::File;
use std::io::{BufReader, Read};
use std::sync::atomic::{AtomicUsize, Ordering};

fn walk(path: &str) -> std::io::Result<(u64, u64)> {
    let gz = flate2::read::MultiGzDecoder::new(BufReader::new(File::open(path)?));
    let mut archive = tar::Archive::new(gz);
    let (mut entries, mut bytes) = (0u64, 0u64);
    for entry in archive.entries()? {
        let mut entry = entry?;
        entries += 1;
        // Read the body as initlint's walk does when it skips a file.
        bytes += std::io::copy(&mut entry.by_ref(), &mut std::io::sink())?;
    }
    Ok((entries, bytes))
}

fn main() {
    let layers: Vec<String> = std::env::args().skip(1).collect();
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(layers.len())
        .clamp(1, 4);
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = layers.get(i) else { break };
                match walk(path) {
                    Ok((n, b)) => eprintln!("{path}: {n} entries, {b} bytes"),
                    Err(e) => {
                        eprintln!("{path}: {e}");
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    if failed.load(Ordering::Relaxed) > 0 {
        std::process::exit(1);
    }
}
