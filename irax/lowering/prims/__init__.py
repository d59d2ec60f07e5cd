"""One module per primitive family, each ending with its registration block.

Every module here is imported by `irax.lowering` (no list to keep in sync)."""
