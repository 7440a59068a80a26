"""The command registry: name -> (module, one-line help).

Kept as plain data so that listing commands imports none of them. A command is
listed here only once its capability works end to end.
"""

REGISTRY: dict[str, tuple[str, str]] = {
    "validate": (
        "shipml.commands.validate",
        "Validate data against expectation suites and measure drift from the reference.",
    ),
    "train": ("shipml.commands.train", "Train, log to MLflow with lineage, register as challenger."),
    "gate": ("shipml.commands.gate", "Compare challenger and champion on the same rows, paired statistics."),
    "promote": (
        "shipml.commands.promote",
        "Promote a gated challenger to champion, or --rollback to the previous one.",
    ),
    "build": (
        "shipml.commands.build",
        "Build the model image (default server or your Dockerfile), push it, output its digest.",
    ),
    "scan": (
        "shipml.commands.scan",
        "Scan an image with trivy (vulnerabilities, secrets, Dockerfile); fail on a severity policy.",
    ),
    "comment": ("shipml.commands.comment", "Post the results as one sticky PR comment, job summary or file."),
    "doctor": ("shipml.commands.doctor", "Check Python, installed extras and reachability of services."),
}
