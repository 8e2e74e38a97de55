//! A registry that misbehaves, served by this test on 127.0.0.1: server errors, truncated
//! bodies, wrong digests, a body that trickles or never ends, a connection that never
//! answers. Each pull must end in a clear error (exit 2) within the configured timeouts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    None,
    ManifestStatus500,
    ManifestTruncated,
    ManifestTrickles,
    ManifestEndless,
    ManifestHangs,
    ConfigWrongDigest,
    LayerWrongDigest,
    LayerTruncated,
    LayerHangs,
}

fn sha(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// The image: a layer with a static-looking `/app`, its config and manifest.
struct Image {
    manifest: Vec<u8>,
    config: Vec<u8>,
    layer: Vec<u8>,
}

fn image() -> Image {
    let mut tar = tar::Builder::new(Vec::new());
    let body = b"#!/bin/sh\nexec /app/server\n";
    let mut h = tar::Header::new_gnu();
    h.set_size(body.len() as u64);
    h.set_mode(0o755);
    tar.append_data(&mut h, "entrypoint.sh", &body[..]).unwrap();
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let layer = gz.finish().unwrap();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": ["/entrypoint.sh"]},
        "rootfs": {"type": "layers", "diff_ids": [sha(&tar)]},
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": sha(&layer), "size": layer.len()}],
    }))
    .unwrap();
    Image {
        manifest,
        config,
        layer,
    }
}

/// Serve the image with `fault`, one thread per connection; returns the port and a count of
/// manifest requests.
fn serve(fault: Fault) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let img = Arc::new(image());
    let manifests = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&manifests);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let img = Arc::clone(&img);
            let count = Arc::clone(&count);
            std::thread::spawn(move || {
                let _ = handle(conn, fault, &img, &count);
            });
        }
    });
    (port, manifests)
}

fn handle(
    mut conn: TcpStream,
    fault: Fault,
    img: &Image,
    count: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h == "\r\n" {
                break;
            }
        }
        let head = line.starts_with("HEAD");
        if path.contains("/manifests/") {
            count.fetch_add(1, Ordering::Relaxed);
            match fault {
                Fault::ManifestStatus500 => {
                    return respond(&mut conn, 500, "text/plain", b"boom", head)
                }
                Fault::ManifestTruncated => {
                    let m = &img.manifest;
                    write!(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {}\r\n\r\n", m.len())?;
                    conn.write_all(&m[..m.len() / 2])?;
                    return Ok(());
                }
                Fault::ManifestTrickles => {
                    write!(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {}\r\n\r\n", img.manifest.len())?;
                    for b in &img.manifest {
                        conn.write_all(&[*b])?;
                        std::thread::sleep(Duration::from_millis(500));
                    }
                    return Ok(());
                }
                Fault::ManifestEndless => {
                    write!(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nTransfer-Encoding: chunked\r\n\r\n")?;
                    let chunk = vec![b' '; 64 << 10];
                    loop {
                        write!(conn, "{:x}\r\n", chunk.len())?;
                        conn.write_all(&chunk)?;
                        conn.write_all(b"\r\n")?;
                    }
                }
                Fault::ManifestHangs => {
                    std::thread::sleep(Duration::from_secs(120));
                    return Ok(());
                }
                _ => respond(
                    &mut conn,
                    200,
                    "application/vnd.oci.image.manifest.v1+json",
                    &img.manifest,
                    head,
                )?,
            }
        } else if path.contains("/blobs/") {
            let digest = path.rsplit('/').next().unwrap_or("");
            if digest == sha(&img.config) {
                let mut body = img.config.clone();
                if fault == Fault::ConfigWrongDigest {
                    body[10] ^= 1;
                }
                respond(&mut conn, 200, "application/octet-stream", &body, head)?;
            } else if digest == sha(&img.layer) {
                match fault {
                    Fault::LayerWrongDigest => {
                        let mut body = img.layer.clone();
                        let last = body.len() - 20;
                        body[last] ^= 0xff;
                        respond(&mut conn, 200, "application/octet-stream", &body, head)?;
                    }
                    Fault::LayerTruncated => {
                        write!(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n", img.layer.len())?;
                        conn.write_all(&img.layer[..img.layer.len() / 2])?;
                        return Ok(());
                    }
                    Fault::LayerHangs => {
                        write!(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n", img.layer.len())?;
                        conn.write_all(&img.layer[..10])?;
                        std::thread::sleep(Duration::from_secs(120));
                        return Ok(());
                    }
                    _ => respond(&mut conn, 200, "application/octet-stream", &img.layer, head)?,
                }
            } else {
                respond(
                    &mut conn,
                    404,
                    "application/json",
                    br#"{"errors":[{"code":"BLOB_UNKNOWN"}]}"#,
                    head,
                )?;
            }
        } else {
            respond(&mut conn, 200, "application/json", b"{}", head)?;
        }
    }
}

fn respond(
    conn: &mut TcpStream,
    status: u16,
    kind: &str,
    body: &[u8],
    head: bool,
) -> std::io::Result<()> {
    let reason = if status == 200 { "OK" } else { "Error" };
    write!(
        conn,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nDocker-Content-Digest: {}\r\n\r\n",
        body.len(),
        sha(body)
    )?;
    if !head {
        conn.write_all(body)?;
    }
    conn.flush()
}

/// Lint the image from the faulty registry; exit code, stderr and how long it took.
fn pull(port: u16, timeout_secs: u64) -> (i32, String, Duration) {
    let start = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args([
            "--format",
            "json",
            "--platform",
            "linux/amd64",
            "--network-timeout",
        ])
        .arg(timeout_secs.to_string())
        .arg(format!("127.0.0.1:{port}/faulty/app:latest"))
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap();
    let mut err = String::new();
    out.stderr.as_slice().read_to_string(&mut err).unwrap();
    (out.status.code().unwrap_or(-1), err, start.elapsed())
}

#[test]
fn a_faulty_registry_gets_a_clear_error_within_the_timeouts() {
    // The same server without a fault: the image is read and linted.
    let (port, _) = serve(Fault::None);
    let (code, err, _) = pull(port, 20);
    assert!(
        code == 0 || code == 1,
        "a sound pull failed ({code}): {err}"
    );

    let cases: &[(Fault, &str)] = &[
        (Fault::ManifestStatus500, "after 3 tries"),
        (Fault::ManifestTruncated, "manifest"),
        (Fault::ManifestTrickles, "within"),
        (Fault::ManifestEndless, "larger than 16777216 bytes"),
        (Fault::ManifestHangs, "manifest"),
        (Fault::ConfigWrongDigest, "config blob sha256:"),
        (Fault::LayerWrongDigest, "digest mismatch"),
        (Fault::LayerTruncated, "truncated"),
        (Fault::LayerHangs, "within 4 s"),
    ];
    for &(fault, says) in cases {
        let (port, manifests) = serve(fault);
        let (code, err, took) = pull(port, 4);
        println!("{fault:?} ({:.1} s): {}", took.as_secs_f64(), err.trim());
        assert_eq!(code, 2, "{fault:?}: exit {code}: {err}");
        assert!(
            err.contains(says),
            "{fault:?}: the error should say {says:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{fault:?}: {err}");
        // 4 s for the pull, the retries' 3 s of back-off, and slack for a loaded machine.
        assert!(
            took < Duration::from_secs(15),
            "{fault:?}: took {took:?}: {err}"
        );
        if fault == Fault::ManifestStatus500 {
            assert_eq!(manifests.load(Ordering::Relaxed), 3, "{fault:?}: retried");
        }
    }
}
