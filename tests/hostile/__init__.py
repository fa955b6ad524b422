"""The hostile suite: every promise of the lake tried the way a careless or a hostile user
would try it (issue "Trust").

- nothing delivered is lost: malformed, deep, symlinked or compressed deliveries;
- a person's data goes when they ask, and nobody else's: forget against lines that merely
  mention them, odd spellings of an email, arguments that are not emails, a forget stopped
  after its commit point;
- only what the tables are meant to show can be read: `stedi query` and `Lakehouse.query`
  against writes, file reads, secrets, settings; readers during every writer; redacted reports;
  output options that would overwrite the lake.

Each case failed on the code before its fix.
"""
