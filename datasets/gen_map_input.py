#!/usr/bin/env python3
"""Input for the Map benchmark (datasets/map/workflow.asl.json).

Usage: gen_map_input.py N OUT

Writes {"items": [...]} to OUT (compact JSON, one line) with N objects
{"a": int 0..999, "b": int 0..999, "name": "item-<i>", "category": <one of a few>}.
Deterministic (fixed seed); standard library only; N = 1,000,000 takes a few seconds.
"""

import random
import sys

CATEGORIES = ["books", "garden", "toys", "tools", "music"]
SEED = 20240611


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: gen_map_input.py N OUT\n")
        return 2
    n = int(argv[1])
    out = argv[2]
    rng = random.Random(SEED)
    randrange = rng.randrange
    cats = CATEGORIES
    ncat = len(cats)
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write('{"items":[')
        chunk = []
        for i in range(n):
            chunk.append(
                '{"a":%d,"b":%d,"name":"item-%d","category":"%s"}'
                % (randrange(1000), randrange(1000), i, cats[randrange(ncat)])
            )
            if len(chunk) == 10000:
                if i >= len(chunk):
                    f.write(",")
                f.write(",".join(chunk))
                chunk = []
        if chunk:
            if n > len(chunk):
                f.write(",")
            f.write(",".join(chunk))
        f.write("]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
