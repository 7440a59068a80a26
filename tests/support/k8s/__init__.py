"""The local Kubernetes control plane for tests: build.sh builds it, cluster.py runs it."""
