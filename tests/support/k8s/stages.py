"""kwok stages: which simulated pods become Ready, and which are kept Running but never Ready.

kwok's stock stages (node initialize, node heartbeat with lease, pod ready, pod complete, pod
delete; copied from its module by build.sh, the plain binary has none built in) apply, except
that a pod is kept **Running but never Ready** (Ready=False, reason ContainersNotReady,
containers ``started: true``, as with a failing readiness probe) when ANY of:

- a container image reference contains ``never-ready``
  (e.g. ``127.0.0.1:5000/never-ready@sha256:...``),
- the pod has the label ``shipml.test/never-ready: "true"``,
- the pod has the annotation ``shipml.test/never-ready: "true"``.

A pod annotated ``shipml.test/pod-ip: ADDRESS`` becomes Ready with that ``podIP``, so the
endpoints controller and the API server's service proxy (which only dials addresses that
are some pod's IP, never loopback) reach a real server a test runs at ADDRESS, in a
network namespace of its own (tests/integration/test_deploy_smoke.py).

That is how a test makes a rollout reach ``Progressing=False, reason=ProgressDeadlineExceeded``
and then exercises a rollback. The rule is one jq expression (kwok evaluates selector keys
with gojq) used twice: excluded from the stock pod-ready stage, selected by our own stage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

NEVER_READY_KEY = "shipml.test/never-ready"
STOCK_STAGES = (
    "node-initialize",
    "node-heartbeat-with-lease",
    "pod-ready",
    "pod-complete",
    "pod-delete",
)
POD_IP_KEY = "shipml.test/pod-ip"
POD_IP_QUERY = f'.metadata.annotations["{POD_IP_KEY}"] != null'
# The never-ready rule (module docstring) as one jq expression.
NEVER_READY_QUERY = (
    f'(.metadata.labels["{NEVER_READY_KEY}"] == "true")'
    f' or (.metadata.annotations["{NEVER_READY_KEY}"] == "true")'
    ' or ([.spec.containers[].image | contains("never-ready")] | any)'
)


def kwok_stages(stock_dir: Path) -> list[dict[str, Any]]:
    """kwok's stock stages with the never-ready rule (module docstring) woven in."""
    stages: list[dict[str, Any]] = []
    for name in STOCK_STAGES:
        for doc in yaml.safe_load_all((stock_dir / f"{name}.yaml").read_text()):
            if doc:
                stages.append(doc)
    ready = next(s for s in stages if s["metadata"]["name"] == "pod-ready")
    ready["spec"]["selector"].setdefault("matchExpressions", []).extend(
        [
            {"key": NEVER_READY_QUERY, "operator": "NotIn", "values": ["true"]},
            {"key": POD_IP_QUERY, "operator": "NotIn", "values": ["true"]},
        ]
    )
    # Ready at a chosen address: the stock pod-ready status with podIP(s) from the annotation.
    at_address = json.loads(json.dumps(ready))
    at_address["metadata"]["name"] = "pod-ready-at-address"
    at_address["spec"]["selector"]["matchExpressions"] = [
        {"key": POD_IP_QUERY, "operator": "In", "values": ["true"]},
        {"key": NEVER_READY_QUERY, "operator": "NotIn", "values": ["true"]},
        *(
            e
            for e in ready["spec"]["selector"]["matchExpressions"]
            if e["key"] not in (NEVER_READY_QUERY, POD_IP_QUERY)
        ),
    ]
    template = at_address["spec"]["next"]["statusTemplate"]
    address = f'(index .metadata.annotations "{POD_IP_KEY}")'
    lines = template.splitlines()
    # kwok's block from `{{ $podIPs := PodIPsWith ... }}` to `phase:` allocates from its pod CIDR
    first = next(i for i, line in enumerate(lines) if "$podIPs :=" in line)
    last = next(i for i, line in enumerate(lines) if line.startswith("phase:"))
    lines[first:last] = [
        f"podIP: {{{{ {address} | Quote }}}}",
        "podIPs:",
        f"- ip: {{{{ {address} | Quote }}}}",
    ]
    at_address["spec"]["next"]["statusTemplate"] = "\n".join(lines) + "\n"
    stages.append(at_address)
    stages.append(
        {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "Stage",
            "metadata": {"name": "pod-running-never-ready"},
            "spec": {
                "resourceRef": {"apiGroup": "v1", "kind": "Pod"},
                "selector": {
                    "matchExpressions": [
                        {"key": NEVER_READY_QUERY, "operator": "In", "values": ["true"]},
                        {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"},
                        {"key": ".status.podIP", "operator": "DoesNotExist"},
                    ]
                },
                "next": {"statusTemplate": NEVER_READY_STATUS},
            },
        }
    )
    return stages


# The status a failing readiness probe leaves: started, Running, never Ready.
NEVER_READY_STATUS = """\
{{ $now := Now }}
conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Initialized
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: PodScheduled
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  type: ContainersReady
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: false
  started: true
  restartCount: 0
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
podIP: {{ PodIPWith .spec.nodeName false .metadata.uid .metadata.name .metadata.namespace | Quote }}
phase: Running
startTime: {{ $now | Quote }}
"""
