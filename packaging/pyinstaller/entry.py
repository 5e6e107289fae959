"""Entry script for the frozen app: the same command as the ``tokenwallet`` console script."""

from tokenwallet.cli import main

if __name__ == "__main__":
    main()
