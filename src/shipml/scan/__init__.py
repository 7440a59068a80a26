"""``shipml scan``: trivy on a model image, a policy over its findings, and what is new.

:mod:`.trivy` runs the binary, :mod:`.findings` flattens its report, :mod:`.policy`
decides what blocks, :mod:`.baseline` says what is new, :mod:`.sarif` and
:mod:`.cyclonedx` re-shape the report into SARIF and a CycloneDX SBOM (no second
trivy process) and :mod:`.run` ties them together for the command.
"""
