"""Entry script for the frozen app: the same command as the ``tokenwallet`` console script."""

import multiprocessing

from tokenwallet.entry import main

if __name__ == "__main__":
    # A large log import scans in worker processes; a frozen app starts them by running itself,
    # and this turns such a start into the worker instead of a second app.
    multiprocessing.freeze_support()
    main()
