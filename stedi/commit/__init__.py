"""How a writer changes the lake so that no reader ever sees a mix of two runs.

Iceberg commits one table at a time, so a run of six tables needs a protocol of its own
(docs/commit-protocol.md has the whole argument):

1. `lock`:    one writer at a time (`run`, `ingest`); readers never take it.
2. `journal`: before it writes any file, a writer records what it is about to write;
              before its first Iceberg commit, it adds every table's previous metadata.
3. the commits, one per table, through the table store.
4. `state`:   one atomic file replace names every table's new metadata: the moment the
              run becomes visible. Readers read the tables `state.json` names, never the
              catalog's newest, so a run in progress or a dead one is invisible to them.
5. the journal is deleted.

A writer that finds a journal (its writer was killed, or failed and could not clean up)
rolls that run back before doing anything else (`recover`): tables go back to the
metadata the journal recorded, and every file the dead run wrote is deleted.
"""
