"""Shared plumbing used by every feature package."""
