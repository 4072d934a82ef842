"""Command groups of the CLI that belong to one subsystem each (notify, web, feeds, daemon)."""
