"""GitHub's REST API through PyGithub: one client with GitHub-aware retries, sticky comments, statuses.

Imported only by ``shipml comment``; PyGithub itself is imported lazily inside
:func:`client.connect` so that rendering a report needs no network library.
"""
