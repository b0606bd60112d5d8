"""The Textual app: the only package that imports textual. It never imports torch itself."""
