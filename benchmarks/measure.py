"""Run a command and print its wall time, CPU time and peak memory as JSON: a small process to start it from.

    python benchmarks/measure.py COMMAND [ARGUMENT...]

A child counts the memory of the process it was forked from as its own peak,
so the benchmarks start commands from this one, which imports nothing big.
CPU time includes the command's own children (ipl-coder's workers); peak
memory is that of its largest process.
"""

import json
import os
import subprocess
import sys
import time

started = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(process.pid, 0)
print(json.dumps({"status": os.waitstatus_to_exitcode(status), "wall": time.perf_counter() - started,
                  "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}))
