"""Readers for the local logs of coding agents (Claude Code, Codex CLI, Gemini CLI) and their import."""
