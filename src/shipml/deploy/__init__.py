"""``shipml deploy``: put exactly one scanned image digest into one environment, prove it, or undo it.

Modules: :mod:`.images` (digest references, the scan check), :mod:`.manifests`
(the user's YAML, a kustomization, or the default set; digest, labels, env),
:mod:`.validation` (offline schema check), :mod:`.audit` (annotations and the
in-progress marker), :mod:`.smoke`, :mod:`.record` (GitHub Deployments and the
approver) and :mod:`.run` (the sequence, with rollback). Kubernetes only through
:mod:`shipml.kube_api`.
"""
