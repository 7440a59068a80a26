"""``shipml scan``: trivy on a model image, a policy over its findings, and what is new.

:mod:`.trivy` runs the binary, :mod:`.findings` flattens its report, :mod:`.policy`
decides what blocks, :mod:`.baseline` says what is new, :mod:`.report` writes the
markdown and :mod:`.run` ties them together for the command.
"""
