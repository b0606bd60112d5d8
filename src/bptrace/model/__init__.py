"""Pure data and formulas: traces, nodes, steps, JSON and specs. Imports neither torch nor textual."""
