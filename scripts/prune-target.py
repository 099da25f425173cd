#!/usr/bin/env python3
"""Removes stale build products from a reused CARGO_TARGET_DIR.

Every change of a crate's dependencies or flags gives its artifacts a new hash and cargo never
deletes the old ones, so a target directory shared across checkouts (CI reuses one) grows until
the disk is full. This keeps, for every artifact name in <target>/<profile>/deps and /build, the
three newest hashes and deletes the rest, and deletes the incremental caches (scripts/test.sh
builds without them).

usage: scripts/prune-target.py [TARGET_DIR]   (default: $CARGO_TARGET_DIR or ./target)
"""
import os
import re
import shutil
import sys

KEEP_NEWEST = 3
HASHED = re.compile(r"^(?P<name>.+?)-(?P<hash>[0-9a-f]{16})(?P<ext>\..*)?$")


def prune_dir(path):
    groups = {}
    for entry in os.scandir(path):
        m = HASHED.match(entry.name)
        if not m:
            continue
        key = m.group("name")
        groups.setdefault(key, {}).setdefault(m.group("hash"), []).append(entry)
    freed = 0
    for hashes in groups.values():
        newest_first = sorted(
            hashes.items(),
            key=lambda kv: max(e.stat(follow_symlinks=False).st_mtime for e in kv[1]),
            reverse=True,
        )
        for _, entries in newest_first[KEEP_NEWEST:]:
            for e in entries:
                freed += remove(e.path)
    return freed


def remove(path):
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            size = sum(
                os.path.getsize(os.path.join(d, f))
                for d, _, fs in os.walk(path)
                for f in fs
                if not os.path.islink(os.path.join(d, f))
            )
            shutil.rmtree(path, ignore_errors=True)
            return size
        size = os.path.getsize(path)
        os.remove(path)
        return size
    except OSError:
        return 0


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target")
    freed = 0
    for profile in ("debug", "release"):
        for sub in ("deps", "build"):
            p = os.path.join(target, profile, sub)
            if os.path.isdir(p):
                freed += prune_dir(p)
        inc = os.path.join(target, profile, "incremental")
        if os.path.isdir(inc):
            freed += remove(inc)
    print(f"prune-target: {freed / 2**20:.0f} MiB of stale build products removed from {target}")


if __name__ == "__main__":
    main()
