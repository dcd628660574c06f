"""Bulk import of children and their offences from a CSV export of the YOT's own system
(issue 21): `parsing` reads the file (no database), `planning` compares it with the team's
records (the preview and the import share it), `services` writes it in one transaction,
`views` and the `import_children` command are its two doors. See docs/notes-import.md."""
