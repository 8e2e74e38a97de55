#!/usr/bin/env python3
"""Add a multi-platform image index to an OCI layout.

usage: index.py LAYOUT NAME TAG=OS/ARCH[/VARIANT]...

Each TAG's manifest is re-written with a config whose os/architecture/variant say the
platform (so the config and the index agree), and an index named NAME lists them, plus an
attestation manifest (platform unknown/unknown) as BuildKit writes, which readers must skip.
"""
import hashlib
import json
import os
import sys


def put(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)


def get(layout, digest):
    with open(os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
        return f.read()


def main():
    layout, name, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    index_path = os.path.join(layout, "index.json")
    index = json.load(open(index_path))
    by_tag = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in index["manifests"]}
    entries = []
    for spec in specs:
        tag, platform = spec.split("=")
        parts = platform.split("/")
        manifest = json.loads(get(layout, by_tag[tag]["digest"]))
        config = json.loads(get(layout, manifest["config"]["digest"]))
        config["os"], config["architecture"] = parts[0], parts[1]
        plat = {"os": parts[0], "architecture": parts[1]}
        if len(parts) > 2:
            config["variant"] = plat["variant"] = parts[2]
        digest, size = put(layout, json.dumps(config).encode())
        manifest["config"]["digest"], manifest["config"]["size"] = digest, size
        digest, size = put(layout, json.dumps(manifest).encode())
        entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": digest, "size": size, "platform": plat})
    # An attestation manifest, as docker buildx attaches: not an image to lint.
    att_config, att_size = put(layout, b"{}")
    att = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                      "digest": att_config, "size": att_size}, "layers": []}
    digest, size = put(layout, json.dumps(att).encode())
    entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest,
                    "size": size, "platform": {"os": "unknown", "architecture": "unknown"},
                    "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                                    "vnd.docker.reference.digest": entries[0]["digest"]}})
    idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
           "manifests": entries}
    digest, size = put(layout, json.dumps(idx).encode())
    index["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                               "digest": digest, "size": size,
                               "annotations": {"org.opencontainers.image.ref.name": name}})
    with open(index_path, "w") as f:
        json.dump(index, f)


main()
