"""``shipml build``: a model image traceable to its model version and commit, pushed by digest.

:mod:`.model_source` fetches the model, :mod:`.requirements` and :mod:`.dockerfile`
make the default server's build contexts, :mod:`.daemon` talks to the Docker engine
(build with streamed logs, push), :mod:`.labels` names and labels the image and
:mod:`.build` ties them together for the command.
"""
