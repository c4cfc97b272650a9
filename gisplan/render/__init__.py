"""Renderers: turn a screening result into maps and files (they never query a store)."""
