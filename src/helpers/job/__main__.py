"""``python -m helpers.job``: run the command line (:func:`helpers.job.cli.main`).

May import: :mod:`helpers.job.cli`.
"""

import os
import sys

from helpers.job.cli import main

if __name__ == "__main__":
    status = main()
    # Everything is written and closed by now; skip the interpreter's teardown of torch and the
    # other large modules, which takes 1-2 s on the 2-core machine and delays every run_all.sh
    # step (and its stop on Ctrl-C) by as much.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
