#!/usr/bin/env python3
"""insert_section.py NAME SECTION DOC: puts the markdown in SECTION (a file) into DOC between
<!-- NAME:begin --> and <!-- NAME:end -->, replacing what was there; a new section goes before
"## Steps that failed or did not run", or at the end. The benchmark scripts that write one
section of docs/benchmarks.md (bench/ota_load.sh, bench/mcu_footprint.sh) share it."""
import os
import sys

name, section_path, doc_path = sys.argv[1], sys.argv[2], sys.argv[3]
begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
section = open(section_path).read().strip("\n")
block = begin + "\n" + section + "\n" + end + "\n"
doc = open(doc_path).read() if os.path.exists(doc_path) else ""
if begin in doc and end in doc[doc.index(begin):]:
    i = doc.index(begin)
    j = doc.index(end, i) + len(end)
    if doc[j:j + 1] == "\n":
        j += 1
    doc = doc[:i] + block + doc[j:]
elif "\n## Steps that failed or did not run" in doc:
    i = doc.index("\n## Steps that failed or did not run") + 1
    doc = doc[:i] + block + "\n" + doc[i:]
else:
    doc = doc.rstrip("\n") + ("\n\n" if doc else "") + block
tmp = doc_path + ".tmp"
with open(tmp, "w") as f:
    f.write(doc)
os.replace(tmp, doc_path)
