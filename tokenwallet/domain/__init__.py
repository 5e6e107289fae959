"""Pure values of tokenwallet: money, usage, allowances, errors and the clock.

Nothing in this package does I/O or imports anything outside the standard library.
"""
