"""Settings: accounts, allowances (with the edit dialog) and general options."""
