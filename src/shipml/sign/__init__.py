"""``shipml sign``: cosign signatures and attestations on a pushed digest, and their verification.

:mod:`.cosign` is the only place cosign is run; :mod:`.run` signs and attests for the
command; :mod:`.verify` is what ``shipml deploy`` refuses an image with.
"""
