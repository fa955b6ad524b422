"""`stedi forget`: the right to be forgotten (a person's lines out of landing, and out of every table)."""
