#!/usr/bin/env python3
"""Convert every image of an OCI layout to eStargz layers, into a second OCI layout.

usage: estargz.py SRC_LAYOUT DST_LAYOUT [CHUNK_BYTES]

No tool on this machine writes eStargz (skopeo has no estargz format; ctr-remote and nerdctl
are not packaged for Debian), so this writes it as stargz-snapshotter's `estargz` package
does (github.com/containerd/stargz-snapshotter, estargz/estargz.go Writer.appendTar,
estargz/gzip.go WriteTOCAndFooter):

- the layer is a gzip stream of many members; each regular file's data starts a new member
  (and so does every CHUNK_BYTES of it), tar headers go into whatever member is open;
- `.no.prefetch.landmark` (one byte, 0xf) comes first, as `estargz.Build` puts it when no
  file is prioritised;
- after the entries, a member holding a tar of one file, `stargz.index.json`: the TOC, which
  lists every entry with the blob offset of its data member;
- last, a 51-byte footer: an empty gzip member whose extra field is "%016xSTARGZ" % the
  TOC member's offset;
- the manifest's layer descriptor carries the TOC JSON's digest
  (containerd.io/snapshot/stargz/toc.digest) and the uncompressed size
  (io.containers.estargz.uncompressed-size); the config's diff_ids are the new tars'.

CHUNK_BYTES defaults to 64 KiB (the real default is 4 MiB): small, so that the fixtures'
binaries are split into several chunks and a reader must follow them.
"""
import gzip
import hashlib
import io
import json
import os
import posixpath
import struct
import sys
import tarfile
import zlib

LANDMARK = ".no.prefetch.landmark"
TOC_NAME = "stargz.index.json"
TOC_DIGEST = "containerd.io/snapshot/stargz/toc.digest"
UNCOMPRESSED = "io.containers.estargz.uncompressed-size"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


class Blob:
    """A gzip stream written member by member, with the digest of what it inflates to."""

    def __init__(self):
        self.out = io.BytesIO()
        self.member = None
        self.tar = hashlib.sha256()
        self.tar_len = 0

    def write(self, data):
        if self.member is None:
            self.member = zlib.compressobj(9, zlib.DEFLATED, 31)
        self.out.write(self.member.compress(data))
        self.tar.update(data)
        self.tar_len += len(data)

    def close(self):
        """End the open member: the next write starts one at offset `tell()`."""
        if self.member is not None:
            self.out.write(self.member.flush())
            self.member = None

    def tell(self):
        return self.out.tell()


def footer(toc_offset):
    subfield = b"%016xSTARGZ" % toc_offset
    extra = b"SG" + struct.pack("<H", len(subfield)) + subfield
    header = bytes([0x1F, 0x8B, 8, 4, 0, 0, 0, 0, 0, 255]) + struct.pack("<H", len(extra))
    # A stored (uncompressed) final deflate block of no bytes, then CRC32 = 0, ISIZE = 0.
    out = header + extra + bytes([1, 0, 0, 0xFF, 0xFF]) + bytes(8)
    assert len(out) == 51, len(out)
    return out


def clean(name):
    """The TOC spelling of a tar name: path.Clean("/" + name) without the leading slash."""
    return posixpath.normpath("/" + name).lstrip("/")


def padded(data):
    return data + bytes(-len(data) % 512)


def header(info):
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def entry_of(info):
    e = {"name": clean(info.name), "mode": info.mode, "uid": info.uid, "gid": info.gid}
    if info.isreg():
        e["type"], e["size"] = "reg", info.size
    elif info.isdir():
        e["type"] = "dir"
    elif info.issym():
        e["type"], e["linkName"] = "symlink", info.linkname
    elif info.islnk():
        e["type"], e["linkName"] = "hardlink", info.linkname
    elif info.ischr():
        e["type"] = "char"
    elif info.isblk():
        e["type"] = "block"
    elif info.isfifo():
        e["type"] = "fifo"
    else:
        raise SystemExit(f"estargz.py: {info.name}: unsupported tar entry type {info.type!r}")
    # Go's omitempty; `name` has none (the root directory is "").
    return {k: v for k, v in e.items() if k == "name" or v not in (0, "")}


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def add_file(blob, info, data, entries, chunk):
    """A regular file: its header in the open member, its data in members of its own."""
    blob.write(header(info))
    ent = entry_of(info)
    written = 0
    while written < len(data):
        size = min(chunk, len(data) - written)
        if size == chunk:
            ent["chunkSize"] = size
        blob.close()
        ent["offset"] = blob.tell()
        if written:
            ent["chunkOffset"] = written
        part = data[written : written + size]
        ent["chunkDigest"] = sha(part)
        blob.write(part)
        entries.append(ent)
        written += size
        ent = {"name": clean(info.name), "type": "chunk"}
    if not data:
        entries.append(ent)
    first = next(e for e in reversed(entries) if e["type"] == "reg")
    first["digest"] = sha(data)
    blob.write(bytes(-len(data) % 512))


def convert(layer, chunk):
    """An eStargz blob from a layer (gzip or plain tar): (blob, diff_id, size, TOC digest)."""
    if layer[:2] == b"\x1f\x8b":
        layer = gzip.decompress(layer)
    blob, entries = Blob(), []
    mark = tarfile.TarInfo(LANDMARK)
    mark.size, mark.mode = 1, 0o644
    add_file(blob, mark, b"\x0f", entries, chunk)
    with tarfile.open(fileobj=io.BytesIO(layer), mode="r:") as src:
        for info in src:
            if info.isreg():
                add_file(blob, info, src.extractfile(info).read(), entries, chunk)
            else:
                blob.write(header(info))
                entries.append(entry_of(info))
    blob.close()
    toc_offset = blob.tell()
    toc = json.dumps({"version": 1, "entries": entries}, indent="\t").encode()
    info = tarfile.TarInfo(TOC_NAME)
    info.size = len(toc)
    blob.write(header(info) + padded(toc) + bytes(1024))
    blob.close()
    blob.out.write(footer(toc_offset))
    return blob.out.getvalue(), "sha256:" + blob.tar.hexdigest(), blob.tar_len, sha(toc)


def get(layout, digest):
    with open(os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
        return f.read()


def put(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    chunk = int(sys.argv[3]) if len(sys.argv) > 3 else 64 << 10
    os.makedirs(os.path.join(dst, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(dst, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(src, "index.json")) as f:
        index = json.load(f)
    converted, out = {}, []
    for desc in index["manifests"]:
        name = desc.get("annotations", {}).get("org.opencontainers.image.ref.name")
        if desc.get("mediaType") != OCI_MANIFEST or not name:
            continue
        manifest = json.loads(get(src, desc["digest"]))
        config = json.loads(get(src, manifest["config"]["digest"]))
        layers, diff_ids = [], []
        for l in manifest["layers"]:
            if l["digest"] not in converted:
                blob, diff_id, size, toc = convert(get(src, l["digest"]), chunk)
                digest, length = put(dst, blob)
                converted[l["digest"]] = (
                    {
                        "mediaType": GZIP_LAYER,
                        "digest": digest,
                        "size": length,
                        "annotations": {TOC_DIGEST: toc, UNCOMPRESSED: str(size)},
                    },
                    diff_id,
                )
            layers.append(converted[l["digest"]][0])
            diff_ids.append(converted[l["digest"]][1])
        config["rootfs"]["diff_ids"] = diff_ids
        cdigest, clen = put(dst, json.dumps(config).encode())
        manifest["config"].update(digest=cdigest, size=clen)
        manifest["layers"] = layers
        mdigest, mlen = put(dst, json.dumps(manifest).encode())
        out.append({**desc, "digest": mdigest, "size": mlen})
    with open(os.path.join(dst, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": out}, f)
    print(f"estargz.py: {len(out)} images, {len(converted)} layers in {dst}")


if __name__ == "__main__":
    main()
