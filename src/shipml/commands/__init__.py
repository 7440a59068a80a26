"""The command registry: name -> (module, one-line help).

Kept as plain data so that listing commands imports none of them. A command is
listed here only once its capability works end to end.
"""

REGISTRY: dict[str, tuple[str, str]] = {
    "train": ("shipml.commands.train", "Train, log to MLflow with lineage, register as challenger."),
    "validate": ("shipml.commands.validate", "Validate data against expectation suites and measure drift from the reference."),
    "doctor": ("shipml.commands.doctor", "Check Python, installed extras and reachability of services."),
    "comment": ("shipml.commands.comment", "Post the results as one sticky PR comment, job summary and/or markdown file."),
}
