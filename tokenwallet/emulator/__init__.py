"""A local HTTP emulator of the provider APIs, for tests and the demo mode."""
