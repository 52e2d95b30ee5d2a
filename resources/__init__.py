"""Package data: bundled fonts, icons and policy profiles (found with importlib.resources)."""
