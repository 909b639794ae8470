"""The `cityops` command line: one entry point, a sub-command per component."""
