"""The ``details`` of each command's result file: one model per concept, shared by writer and reader.

A result file is the contract between steps, jobs and shipml versions: ``shipml
validate``/``train``/``gate``/``promote`` write it, and ``shipml comment`` (and
``promote --gate-result``) read it back, possibly in another workflow run and
possibly from a file written by an older or newer shipml. Defining each shape
once, here, is what keeps the writer and the readers from drifting apart.

Both sides import these modules, so they import nothing but pydantic: the
comment job installs no ML stack and must start fast (see
``tests/integration/test_comment_startup.py``).

How a model serves both sides:

* writers fill every field, so a result file always carries the full shape;
* readers ignore keys they do not know (a newer writer added them);
* a field is required only when every file any shipml wrote has it; fields
  that some files lack or leave null (older writers, hand-written files such
  as the report's test fixtures) have a default, so a reader copes. A file
  that still does not fit is shown through the command's own ``summary_md``
  with a warning, never as an error.

Enumerations readers only show (a drift column's kind, the task, promote's
action) are plain strings with their values documented, so a value added later
still renders in an older shipml. ``Literal`` marks the few values readers act
on (an expectation's severity, a rule's outcome, the gate's verdict); adding
one of those is a breaking change, as is renaming or removing a field. Add
fields, always with a default, and never make an optional field required.
"""
