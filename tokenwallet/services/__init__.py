"""The use cases of tokenwallet, shared by the command line and the tray app.

Both front-ends parse and present; everything they do to the ledger, the settings or the keyring
goes through a function here, so the two can never drift apart.  Errors are domain errors that
speak of allowances, accounts and amounts, never of command-line flags or widgets.
"""
