"""The only package that imports torch: hooks → Trace, networks from specs, training."""
