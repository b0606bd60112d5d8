"""Seeded mutators of specs and trace files, shared by the fuzz tests."""
