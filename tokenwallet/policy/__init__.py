"""Employer token policies: the file format (version 1), its validation, vesting and the diff.

Pure values and functions: nothing here reads the ledger or the settings.  The services
(:mod:`tokenwallet.services.policy`) turn a policy into allowances, grants and alert rules.
"""
