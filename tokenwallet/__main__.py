"""``python -m tokenwallet`` runs the same command as the ``tokenwallet`` entry point."""

from tokenwallet.entry import main

if __name__ == "__main__":
    main()
