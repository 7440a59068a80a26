"""The only code that talks to Apache Spark: probes, the session, reading, one error translator.

Same shape as the other adapters (``mlflow_api``, ``github_api``): a reachability probe
before any work (:mod:`.probe`, standard library only so ``doctor`` can use it without
the extra), a session built from config (:mod:`.session`), and :func:`.errors.calling`,
which turns Py4J/Spark failures into one-line :class:`~shipml.errors.ShipmlError`\\ s with
the right exit code. pyspark is imported only inside :mod:`.session` and :mod:`.read`.
"""
