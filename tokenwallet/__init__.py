"""tokenwallet: the engineer's view of a personal AI-compute allowance."""

__version__ = "0.1.0"
