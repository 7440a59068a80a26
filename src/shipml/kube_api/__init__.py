"""Kubernetes through the official client: the only module that talks to a cluster.

Same shape as ``github_api/`` and ``mlflow_api/``: :func:`client.connect` (kubeconfig
and context, exit 2 when either is missing), :func:`client.Kube.probe` (exit 3 when
the API server does not answer), one error translator :func:`errors.calling`, and the
verbs deploy needs (:mod:`.apply` server-side apply and dry-run diff, :mod:`.rollout`
``kubectl rollout status``/``undo`` semantics). The ``kubernetes`` package is imported
inside functions only: ``shipml --help`` and ``shipml comment`` never pay for it.
"""
