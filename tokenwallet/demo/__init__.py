"""Demo data: a throwaway home with a sample allowance, a month of spend and emulator-backed accounts.

``seed`` writes the demo home, ``ticker`` keeps its meter moving, ``emulator`` starts the built-in
provider emulator the demo accounts poll, and ``accounts`` adds one demo account per provider.
The package imports nothing at load time, so the tray app pays for a part only when it uses it.
"""
