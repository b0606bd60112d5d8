"""The app's modal screens, one per file."""
