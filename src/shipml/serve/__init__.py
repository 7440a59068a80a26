"""The default model server: one MLflow model directory behind a small, fast HTTP API.

``python -m shipml.serve --model-dir DIR`` (the default image's entry point) or
``shipml serve`` (local runs, canary tests). Reads ``MLmodel`` itself and loads
sklearn models without MLflow, so the image needs neither MLflow nor its imports.
Nothing heavy is imported here: ``shipml serve --help`` stays instant.
"""
