#!/usr/bin/python3
"""Fails when a source or template with translatable strings is missing from
POTFILES.in, or when POTFILES.in names a file that does not exist."""
import pathlib
import re
import sys

top = pathlib.Path(sys.argv[1])
listed = set()
for line in (top / "po" / "POTFILES.in").read_text().splitlines():
    line = line.strip()
    if line and not line.startswith("#"):
        listed.add(line)

marker = {
    ".c": re.compile(r'\b(N?_|ngettext|C_)\s*\('),
    ".ui": re.compile(r'translatable="yes"'),
}
needed = set()
for path in list(top.glob("src/**/*.c")) + list(top.glob("data/ui/*.ui")):
    if marker[path.suffix].search(path.read_text()):
        needed.add(str(path.relative_to(top)))

missing = sorted(needed - listed)
stale = sorted(p for p in listed if not (top / p).exists())
for p in missing:
    print(f"POTFILES.in misses {p}")
for p in stale:
    print(f"POTFILES.in names {p}, which does not exist")
sys.exit(1 if missing or stale else 0)
