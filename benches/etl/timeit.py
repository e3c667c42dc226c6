"""Fallback for /usr/bin/time -f '%e %M' -o FILE: `python timeit.py FILE CMD...` writes "WALL_S PEAK_KIB"."""
import resource
import subprocess
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.monotonic()
rc = subprocess.call(cmd)
wall = time.monotonic() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
with open(out, "w") as f:
    f.write(f"{wall:.2f} {peak}\n")
sys.exit(rc)
