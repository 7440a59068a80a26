"""Promotion under races and crashes, against a real MLflow server.

The races are real: threads released together by a barrier, each with its own
client, hit the server at once. Crashes are simulated with a real MlflowClient
subclass that raises right after one chosen registry write (what a killed
runner leaves behind), and with a lock left by a dead promoter.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from mlflow import MlflowClient

from shipml.contracts.tags import gate_tags
from shipml.errors import PolicyFailed
from shipml.mlflow_api.lock import EXPIRES, OWNER, lock_name, registry_lock
from shipml.mlflow_api.registry import alias_version, record_gate_decision, version_tags
from shipml.promote import gate_decision
from shipml.promote.promotion import Aliases, promote, rollback
from tests.integration.test_gate_support import log_version, unique_name

pytestmark = pytest.mark.integration
ALIASES = Aliases("champion", "previous-champion")


class Crash(RuntimeError):
    pass


class CrashAfterAlias(MlflowClient):  # type: ignore[misc]
    """A real client that dies right after moving one alias."""

    def __init__(self, uri: str, alias: str) -> None:
        super().__init__(uri)
        self.crash_alias = alias

    def set_registered_model_alias(self, name: str, alias: str, version: str) -> None:
        super().set_registered_model_alias(name, alias, version)
        if alias == self.crash_alias:
            raise Crash(f"killed after setting {alias}")


def _gated(client: MlflowClient, name: str, version: str, champion: str | None) -> gate_decision.GateDecision:
    tags = gate_tags(
        verdict="passed",
        champion_version=champion,
        primary_metric="roc_auc",
        primary_delta=0.01,
        summary="passed in test",
        run_url=None,
        commit=None,
    )
    record_gate_decision(client, name, version, tags)
    return gate_decision.from_version_tags(name, version, version_tags(client, name, version))


def _aliases(client: MlflowClient, name: str) -> dict[str, str]:
    return {k: str(v) for k, v in client.get_registered_model(name).aliases.items()}


def test_racing_promotions_exactly_one_wins(mlflow_server: str) -> None:
    client = MlflowClient(mlflow_server)
    name = unique_name("race")
    v1 = log_version(mlflow_server, name, "worse", alias="champion")
    contenders = [log_version(mlflow_server, name, kind) for kind in ("good", "tree", "good", "tree")]
    decisions = {v: _gated(client, name, v, champion=v1) for v in contenders}
    barrier = threading.Barrier(len(contenders))

    def attempt(version: str) -> str:
        own = MlflowClient(mlflow_server)
        barrier.wait()
        try:
            return promote(own, decisions[version], ALIASES).action
        except PolicyFailed as exc:
            return str(exc)

    with ThreadPoolExecutor(len(contenders)) as pool:
        outcomes = dict(zip(contenders, pool.map(attempt, contenders), strict=True))
    winners = [v for v, outcome in outcomes.items() if outcome == "promoted"]
    assert len(winners) == 1, outcomes
    for version, outcome in outcomes.items():
        if version != winners[0]:
            assert "'champion' moved since the gate" in outcome and f"now version {winners[0]}" in outcome
    assert _aliases(client, name) == {"champion": winners[0], "previous-champion": v1}
    assert version_tags(client, name, winners[0])["shipml.promotion.from_version"] == v1
    losers = [v for v in contenders if v != winners[0]]
    assert all("shipml.promotion.at" not in version_tags(client, name, v) for v in losers)
    assert not client.search_registered_models(filter_string=f"name = '{lock_name(name)}'")


def test_racing_promotions_of_the_same_version_converge(mlflow_server: str) -> None:
    client = MlflowClient(mlflow_server)
    name = unique_name("same")
    v1 = log_version(mlflow_server, name, "worse", alias="champion")
    v2 = log_version(mlflow_server, name, "good")
    decision = _gated(client, name, v2, champion=v1)
    barrier = threading.Barrier(3)

    def attempt(_: int) -> str:
        own = MlflowClient(mlflow_server)
        barrier.wait()
        return promote(own, decision, ALIASES).action

    with ThreadPoolExecutor(3) as pool:
        actions = sorted(pool.map(attempt, range(3)))
    assert actions == ["noop", "noop", "promoted"]
    assert _aliases(client, name) == {"champion": v2, "previous-champion": v1}


@pytest.mark.parametrize("crash_after", ["previous-champion", "champion"])
def test_rerun_after_crash_converges(mlflow_server: str, crash_after: str) -> None:
    client = MlflowClient(mlflow_server)
    name = unique_name("crash")
    v1 = log_version(mlflow_server, name, "worse", alias="champion")
    v2 = log_version(mlflow_server, name, "good")
    decision = _gated(client, name, v2, champion=v1)
    with pytest.raises(Crash):
        promote(CrashAfterAlias(mlflow_server, crash_after), decision, ALIASES)
    half = _aliases(client, name)
    assert half["previous-champion"] == v1
    assert half["champion"] == (v2 if crash_after == "champion" else v1)
    details = promote(client, decision, ALIASES)
    assert details.action == ("noop" if crash_after == "champion" else "promoted")
    assert _aliases(client, name) == {"champion": v2, "previous-champion": v1}
    assert details.champion_version == v2 and details.previous_version == v1


def test_rollback_rerun_after_crash_converges(mlflow_server: str) -> None:
    client = MlflowClient(mlflow_server)
    name = unique_name("rbcrash")
    v1 = log_version(mlflow_server, name, "worse", alias="champion")
    v2 = log_version(mlflow_server, name, "good")
    promote(client, _gated(client, name, v2, champion=v1), ALIASES)
    with pytest.raises(Crash):
        rollback(CrashAfterAlias(mlflow_server, "champion"), name, ALIASES)
    assert _aliases(client, name) == {"champion": v1, "previous-champion": v1}
    details = rollback(client, name, ALIASES)
    assert (details.action, details.champion_version, details.previous_version) == ("rolled_back", v1, v2)
    assert _aliases(client, name) == {"champion": v1}
    assert rollback(client, name, ALIASES).action == "noop"


def test_lock_left_by_a_dead_promoter_is_broken_after_its_lease(mlflow_server: str) -> None:
    client = MlflowClient(mlflow_server)
    name = unique_name("stale")
    v1 = log_version(mlflow_server, name, "worse", alias="champion")
    v2 = log_version(mlflow_server, name, "good")
    client.create_registered_model(lock_name(name), tags={OWNER: "dead", EXPIRES: f"{time.time() - 1:.3f}"})
    details = promote(client, _gated(client, name, v2, champion=v1), ALIASES)
    assert details.action == "promoted"
    assert alias_version(client, name, "champion") == v2
    assert not client.search_registered_models(filter_string=f"name = '{lock_name(name)}'")


def test_live_lock_makes_a_second_promoter_wait_then_give_up(mlflow_server: str) -> None:
    client = MlflowClient(mlflow_server)
    name = unique_name("held")
    with registry_lock(client, name, lease_s=30):
        start = time.monotonic()
        with (
            pytest.raises(PolicyFailed, match=r"another promotion of .* has held the lock"),
            registry_lock(MlflowClient(mlflow_server), name, wait_s=1.0),
        ):
            pass
        assert 1.0 <= time.monotonic() - start < 10
    with registry_lock(client, name):  # released on exit: free again
        pass


class LockVanishesOnce(MlflowClient):  # type: ignore[misc]
    """A real client whose first lock create meets a holder that just released it.

    The server answers a colliding create by looking the existing model up; if it was
    deleted in between, that answer is RESOURCE_DOES_NOT_EXIST (seen in a real race).
    """

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.collisions = 0

    def create_registered_model(self, name: str, *args: object, **kwargs: object) -> object:
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST

        if name.endswith(".shipml-promotion-lock") and self.collisions == 0:
            self.collisions += 1
            raise MlflowException(
                f"Registered Model with name={name} not found", error_code=RESOURCE_DOES_NOT_EXIST
            )
        return super().create_registered_model(name, *args, **kwargs)


def test_lock_released_during_a_colliding_create_is_retried(mlflow_server: str) -> None:
    client = LockVanishesOnce(mlflow_server)
    name = unique_name("vanish")
    with registry_lock(client, name, poll_s=0.01) as lease:
        holder = MlflowClient(mlflow_server).get_registered_model(lock_name(name))
        assert holder.tags[OWNER] == lease.token
    assert client.collisions == 1


def test_registry_errors_become_one_line_errors(mlflow_server: str) -> None:
    from shipml.errors import ExitCode, InputDataError
    from shipml.mlflow_api.client import calling

    client = MlflowClient(mlflow_server)
    with pytest.raises(InputDataError) as err, calling("tagging a version"):
        client.set_model_version_tag(unique_name("none"), "1", "k", "v")
    assert err.value.exit_code == ExitCode.BAD_INPUT
    assert str(err.value).startswith("MLflow rejected tagging a version: ") and "\n" not in str(err.value)
