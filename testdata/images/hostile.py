#!/usr/bin/env python3
"""Write hostile OCI image layouts, one per directory under OUT (usage: hostile.py OUT).

Each is something a registry or a `docker save` can hand initlint: entries that climb out of
the root, absolute paths, symlinks that point outside or loop, a hard link to nothing, a
truncated gzip stream, a layer whose bytes do not match its digest, a decompression bomb, a
manifest naming a blob that is not there, a layer that is not a tar.
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile


def tar_bytes(entries):
    """entries: (name, kind, data_or_target, mode)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, data, mode in entries:
            info = tarfile.TarInfo(name)
            info.mode = mode
            if kind == "file":
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, data
                t.addfile(info)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, data
                t.addfile(info)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
    return buf.getvalue()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layout(out, name, layers, entrypoint, *, claim=None, drop_blob=False):
    """layers: list of (stored_bytes, uncompressed_tar_bytes, media_type)."""
    d = os.path.join(out, name)
    blobs = os.path.join(d, "blobs", "sha256")
    os.makedirs(blobs)

    def put(data, digest=None):
        digest = digest or sha(data)
        with open(os.path.join(blobs, digest.split(":")[1]), "wb") as f:
            f.write(data)
        return digest

    descs = []
    for i, (stored, tar, media) in enumerate(layers):
        digest = (claim or {}).get(i) or sha(stored)
        if not (drop_blob and i == len(layers) - 1):
            put(stored, digest)
        descs.append({"mediaType": media, "digest": digest, "size": len(stored)})
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": entrypoint, "Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [sha(t) for _, t, _ in layers]},
    }).encode()
    cdigest = put(config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": cdigest, "size": len(config)},
        "layers": descs,
    }).encode()
    mdigest = put(manifest)
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": mdigest, "size": len(manifest)}]}, f)
    with open(os.path.join(d, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


def docker_archive(path, layer, diff_id):
    """A `docker save` archive whose config claims `diff_id` for its one layer."""
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }).encode()
    manifest = json.dumps([{"Config": "config.json", "RepoTags": ["hostile:1"],
                            "Layers": ["layer/layer.tar"]}]).encode()
    with tarfile.open(path, "w") as t:
        for name, data in [("config.json", config), ("layer/layer.tar", layer),
                           ("manifest.json", manifest)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
TAR = "application/vnd.oci.image.layer.v1.tar"


def gz(tar):
    return (gzip.compress(tar, mtime=0), tar, GZ)


def base():
    return [
        ("bin", "dir", None, 0o755),
        ("bin/sh", "file", b"\x7fELF not really a shell", 0o755),
        ("etc/passwd", "file", b"root:x:0:0:root:/root:/bin/sh\n", 0o644),
    ]


def main():
    out = sys.argv[1]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    script = b"#!/bin/sh\nexec /bin/sh -c 'sleep 1'\n"

    layout(out, "dotdot", [gz(tar_bytes(base() + [("../evil", "file", script, 0o755)]))],
           ["/bin/sh"])
    layout(out, "absolute", [gz(tar_bytes(base() + [
        ("/etc/start.sh", "file", script, 0o755),
        ("/../../tmp/escaped", "file", b"x", 0o644)]))], ["/etc/start.sh"])
    layout(out, "symlink-escape", [gz(tar_bytes(base() + [
        ("entry", "symlink", "/../../etc/passwd", 0o777)]))], ["/entry"])
    layout(out, "symlink-loop", [gz(tar_bytes(base() + [
        ("loop1", "symlink", "loop2", 0o777), ("loop2", "symlink", "/loop1", 0o777)]))],
        ["/loop1"])
    layout(out, "hardlink-missing", [gz(tar_bytes(base() + [
        ("bin/start", "hardlink", "bin/nothing", 0o755)]))], ["/bin/start"])
    good = gzip.compress(tar_bytes(base() + [("start.sh", "file", script, 0o755)]), mtime=0)
    cut = good[: len(good) // 2]
    layout(out, "truncated-gzip", [(cut, tar_bytes(base()), GZ)], ["/start.sh"])
    other = gzip.compress(tar_bytes(base()), mtime=0)
    layout(out, "wrong-digest", [(good, tar_bytes(base()), GZ)], ["/start.sh"],
           claim={0: sha(other)})
    bomb = tar_bytes([("zeros", "file", bytes(64 << 20), 0o644)])
    layout(out, "bomb", [gz(bomb)], ["/zeros"])
    layout(out, "missing-blob", [gz(tar_bytes(base())), gz(tar_bytes([("x", "file", b"x", 0o644)]))],
           ["/bin/sh"], drop_blob=True)
    # A digest with multi-byte UTF-8 where a short form cuts it (byte 12 of the hex): as an
    # OCI blob name, and as a docker-archive diff_id (which once panicked).
    utf8 = "sha256:0123456789a\u00e9" + "0" * 51
    layout(out, "utf8-digest", [(good, tar_bytes(base()), GZ)], ["/start.sh"], claim={0: utf8})
    docker_archive(os.path.join(out, "utf8-diff-id.tar"), tar_bytes(base()), utf8)
    # Config strings and file names that try to start their own line of output: a GitHub
    # workflow command, and a terminal escape sequence.
    evil = "\n::warning file=x::injected\u001b[31m"
    name = "start" + evil + ".sh"
    layout(out, "injection", [gz(tar_bytes(base() + [
        (name, "file", b"#!/bin/sh\n/bin/app --flag\n", 0o755)]))],
        ["/" + name, "--flag" + evil])
    # A layer blob that is a symlink to a host file.
    layout(out, "blob-symlink", [gz(tar_bytes(base()))], ["/bin/sh"])
    blobs = os.path.join(out, "blob-symlink", "blobs", "sha256")
    with open(os.path.join(out, "blob-symlink", "index.json")) as f:
        manifest_digest = json.load(f)["manifests"][0]["digest"].split(":")[1]
    with open(os.path.join(blobs, manifest_digest)) as f:
        layer_digest = json.load(f)["layers"][0]["digest"].split(":")[1]
    os.remove(os.path.join(blobs, layer_digest))
    os.symlink("/etc/passwd", os.path.join(blobs, layer_digest))
    garbage = bytes((i * 7919) % 251 for i in range(100_000))
    layout(out, "not-a-tar", [(garbage, garbage, TAR)], ["/bin/sh"])
    # A layer digest in uppercase hex: not a valid digest, rather than "tampered with".
    layout(out, "uppercase-digest", [(good, tar_bytes(base()), GZ)], ["/start.sh"],
           claim={0: "sha256:" + sha(good).split(":")[1].upper()})
    # An index.json far larger than any index: said so, not "no index.json".
    layout(out, "huge-index", [gz(tar_bytes(base()))], ["/bin/sh"])
    with open(os.path.join(out, "huge-index", "index.json"), "r+") as f:
        index = f.read()
        f.seek(0)
        f.write(" " * (17 << 20) + index)


main()
