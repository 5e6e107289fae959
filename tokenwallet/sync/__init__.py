"""Polling: a pure schedule and the thread-agnostic poll service."""
