"""`<lake>/state.json`, the commit point of every writer. Its record and how it is read and
replaced live with the table store (stedi/store/state.py), since readers read it as writers
write it; the commit protocol's modules name it here."""

from stedi.store.state import ANY, STATE_FILE, LakeState, TableState, UnreadableStateError

__all__ = ["ANY", "STATE_FILE", "LakeState", "TableState", "UnreadableStateError"]
