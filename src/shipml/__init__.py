"""shipml: take a machine-learning model from a pull request to production safely."""

__version__ = "0.1.0"
