"""Pure rules and types of twinstudio: no I/O, no project imports outside this package."""
