"""``shipml serve`` as a real process on loopback, called over HTTP like a client would.

The model is the churn example fitted with shipml's pipeline and saved as an
MLflow model directory (``tests.unit.test_serve_model.make_model_dir``); expected
predictions come from ``mlflow.sklearn.load_model`` on the same directory, an
independent loader, so the server's own (MLflow-free, compiled) path is checked
against MLflow's. Metrics are parsed with prometheus_client's own parser.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from shipml.errors import ExitCode
from tests.conftest import REPO, run_shipml
from tests.support.services import free_port
from tests.unit.test_serve_model import churn_frame, make_model_dir

pytestmark = pytest.mark.integration

DASHBOARD = REPO / "src" / "shipml" / "serve" / "grafana-dashboard.json"
READY_TIMEOUT = 300.0  # model load imports all of scikit-learn (skops); slow on a loaded 2-core box


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class Server:
    proc: subprocess.Popen[str]
    url: str
    log: Path
    result_file: Path

    def call(self, path: str, body: Any = None, raw: bytes | None = None, timeout: float = 60) -> Reply:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(
            self.url + path, data=data, method="POST" if data is not None else "GET"
        )
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, payload, headers = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            status, payload, headers = exc.code, exc.read(), dict(exc.headers)
        text = payload.decode()
        is_json = headers.get("content-type", "").startswith("application/json")
        return Reply(
            status, json.loads(text) if is_json else text, {k.lower(): v for k, v in headers.items()}
        )

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        samples = {}
        for family in text_string_to_metric_families(self.call("/metrics").body):
            for s in family.samples:
                samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
        return samples

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if self.call("/health", timeout=5).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server not ready in {READY_TIMEOUT}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


def start(
    model_dir: Path, tmp: Path, *flags: str, env: dict[str, str] | None = None, wait: bool = True
) -> Server:
    port = free_port()
    log = tmp / f"serve-{port}.log"
    result_file = tmp / f"serve-{port}.json"
    exe = Path(sys.executable).with_name("shipml")
    argv = [
        str(exe),
        "serve",
        "--model-dir",
        str(model_dir),
        "--port",
        str(port),
        "--result-file",
        str(result_file),
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*argv, *flags],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})},
        )
    server = Server(proc, f"http://127.0.0.1:{port}", log, result_file)
    if wait:
        try:
            server.wait_ready()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    return server


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_model_dir(tmp_path_factory.mktemp("model") / "churn")


@pytest.fixture(scope="module")
def server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start(
        model_dir,
        tmp_path_factory.mktemp("serve"),
        "--model-name",
        "churn-classifier",
        "--max-batch-rows",
        "50",
        "--max-body-bytes",
        "65536",
        env={"SHIPML_MODEL_VERSION": "7", "SHIPML_IMAGE_DIGEST": "sha256:" + "ab" * 32},
    )
    try:
        yield running
    finally:
        running.stop()


def rows(n: int, skip: int = 0) -> list[dict[str, Any]]:
    frame = churn_frame("new.csv").iloc[skip : skip + n]
    return json.loads(frame.drop(columns=["churned"]).to_json(orient="records"))


def count(samples: dict[Any, float], name: str, **labels: str) -> float:
    return sum(v for (n, lab), v in samples.items() if n == name and labels.items() <= dict(lab).items())


def test_health_reports_the_model(server: Server, model_dir: Path) -> None:
    reply = server.call("/health")
    assert reply.status == 200 and reply.body["status"] == "ok"
    mlmodel = yaml.safe_load((model_dir / "MLmodel").read_text())
    run_id = mlmodel.get("run_id")
    assert reply.body["model"] == {
        "name": "churn-classifier",
        "version": "7",
        "run_id": run_id,
        "model_id": mlmodel.get("model_id"),
        "image_digest": "sha256:" + "ab" * 32,
    }
    assert reply.body["input_path"] == "compiled" and reply.body["loaded_at"].endswith("+00:00")


def test_predictions_match_mlflows_own_loader(server: Server, model_dir: Path) -> None:
    import mlflow.sklearn

    reference = mlflow.sklearn.load_model(str(model_dir))
    batch = rows(40)
    frame = pd.DataFrame(batch).drop(columns=["customer_id"])
    expected = reference.predict_proba(frame[list(reference.feature_names_in_)])[:, 1]
    labels = reference.predict(frame[list(reference.feature_names_in_)]).tolist()

    one = server.call("/predict", batch[0])
    assert one.status == 200 and one.headers["x-model-version"] == "7"
    assert one.body == {"prediction": labels[0], "score": pytest.approx(expected[0], abs=1e-12)}
    both = [server.call("/predict/batch", {"rows": batch}), server.call("/predict/batch", batch)]
    for reply in both:
        assert reply.status == 200
        assert [p["prediction"] for p in reply.body["predictions"]] == labels
        assert [p["score"] for p in reply.body["predictions"]] == pytest.approx(expected.tolist(), abs=1e-12)


def test_bad_requests_name_the_field_and_oversize_is_413(server: Server) -> None:
    good = rows(1)[0]
    missing = {k: v for k, v in good.items() if k != "contract"}
    reply = server.call("/predict", missing)
    assert reply.status == 422 and reply.body["detail"][0]["loc"] == ["body", "contract"]
    reply = server.call("/predict", {**good, "monthly_charges": "lots"})
    assert reply.status == 422 and reply.body["detail"][0]["loc"] == ["body", "monthly_charges"]
    reply = server.call("/predict/batch", {"rows": [good, {**good, "region": None}]})
    assert reply.status == 422 and reply.body["detail"][0]["loc"] == ["body", "rows", 1, "region"]
    assert server.call("/predict", raw=b"{not json").status == 422
    reply = server.call("/predict/batch", rows(51))
    assert reply.status == 413 and "51 rows exceeds the limit of 50" in reply.body["detail"]
    reply = server.call("/predict", raw=json.dumps({**good, "pad": "x" * 70000}).encode())
    assert reply.status == 413 and "65536 bytes" in reply.body["detail"]
    chunked = _chunked_post(server.url, "/predict", b"[" + b" " * 70000 + b"]")
    assert chunked.startswith("HTTP/1.1 413")


def _chunked_post(url: str, path: str, body: bytes) -> str:
    """A body without Content-Length (chunked): the limit must hold while reading too."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        sock.sendall(head.encode())
        for i in range(0, len(body), 8192):
            part = body[i : i + 8192]
            sock.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        sock.sendall(b"0\r\n\r\n")
        return sock.recv(65536).decode(errors="replace")


def test_metrics_move_with_requests_and_logs_are_json(server: Server) -> None:
    before = server.metrics()
    batch = rows(12, skip=100)
    replies = [server.call("/predict", r, timeout=60) for r in batch[:5]]
    replies.append(server.call("/predict/batch", {"rows": batch[5:]}))
    server.call("/predict", {"nothing": 1})
    server.call("/nope")
    after = server.metrics()

    def delta(name: str, **labels: str) -> float:
        return count(after, name, **labels) - count(before, name, **labels)

    assert delta("shipml_requests_total", route="/predict", outcome="ok") == 5
    assert delta("shipml_requests_total", route="/predict/batch", outcome="ok") == 1
    assert delta("shipml_requests_total", route="/predict", outcome="client_error") == 1
    assert delta("shipml_requests_total", route="other", outcome="client_error") == 1
    assert delta("shipml_request_duration_seconds_count", route="/predict") == 6
    assert delta("shipml_prediction_score_count") == 12
    assert delta("shipml_prediction_rows_total") == 12
    predicted = [r.body["prediction"] for r in replies[:5]] + [
        p["prediction"] for p in replies[5].body["predictions"]
    ]
    for cls in (0, 1):
        assert delta("shipml_predicted_class_total", **{"class": str(cls)}) == predicted.count(cls)
    scores = [r.body["score"] for r in replies[:5]] + [p["score"] for p in replies[5].body["predictions"]]
    assert delta("shipml_prediction_score_bucket", le="0.5") == sum(s <= 0.5 for s in scores)
    assert delta("shipml_prediction_score_sum") == pytest.approx(sum(scores))
    buckets = sorted(
        {dict(lab)["le"] for (n, lab) in after if n == "shipml_prediction_score_bucket"}, key=float
    )
    assert buckets[-1] == "+Inf"  # fixed 0.05-wide buckets: canary and stable histograms line up
    assert [float(b) for b in buckets[:-1]] == pytest.approx([0.05 * i for i in range(1, 21)])
    info = [dict(lab) for (n, lab), v in after.items() if n == "shipml_model_info" and v == 1]
    assert info == [
        {
            "name": "churn-classifier",
            "version": "7",
            "run_id": info[0]["run_id"],
            "digest": "sha256:" + "ab" * 32,
        }
    ]
    assert count(after, "shipml_model_ready") == 1

    reply = server.call("/predict", batch[0])
    lines = [e for e in server.log_lines() if e.get("event") == "request"]
    mine = [e for e in lines if e["request_id"] == reply.headers["x-request-id"]]
    assert len(mine) == 1 and mine[0]["route"] == "/predict" and mine[0]["status"] == 200
    assert mine[0]["duration_ms"] > 0 and mine[0]["method"] == "POST"


def test_dashboard_queries_only_exported_metrics(server: Server) -> None:
    server.call("/predict/batch", rows(3))
    exported = {name for name, _ in server.metrics()}
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    for variable in dashboard["templating"]["list"]:
        query = variable.get("query", "")
        exprs.append(query.get("query", "") if isinstance(query, dict) else query)
    referenced = {m for e in exprs for m in re.findall(r"\bshipml_[a-z0-9_]+", e)}
    assert len(exprs) >= 8 and len(referenced) >= 7
    assert referenced <= exported, (
        f"dashboard references metrics the server does not export: {referenced - exported}"
    )
    assert {
        "shipml_prediction_score_bucket",
        "shipml_predicted_class_total",
        "shipml_model_info",
    } <= referenced


def test_health_is_503_until_loaded_and_sigterm_drains(model_dir: Path, tmp_path: Path) -> None:
    server = start(
        model_dir, tmp_path, "--inject-load-delay-s", "4", "--inject-latency-ms", "2500", wait=False
    )
    try:
        seen = set()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            try:
                reply = server.call("/health", timeout=5)
            except OSError:
                time.sleep(0.1)
                continue
            seen.add(reply.status)
            if reply.status == 503:
                assert reply.body["status"] == "loading"
                assert server.call("/predict", rows(1)[0]).status == 503
            if reply.status == 200:
                break
            time.sleep(0.2)
        assert seen == {503, 200}

        results: list[Reply] = []
        slow = threading.Thread(
            target=lambda: results.append(server.call("/predict", rows(1)[0], timeout=60))
        )
        slow.start()
        time.sleep(1.0)  # the request is now inside its injected 2.5 s
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        with pytest.raises(OSError):
            server.call("/health", timeout=5)  # no longer accepting
        slow.join(timeout=60)
        assert results and results[0].status == 200 and "prediction" in results[0].body
        assert server.proc.wait(timeout=60) == 0, server.log.read_text()[-2000:]
        result = json.loads(server.result_file.read_text())
        assert result["status"] == "passed" and result["details"]["input_path"] == "compiled"
        assert result["details"]["requests"] >= 3
    finally:
        server.stop()


def test_injected_faults_show_in_responses_and_metrics(model_dir: Path, tmp_path: Path) -> None:
    server = start(
        model_dir, tmp_path, "--inject-latency-ms", "30", env={"SHIPML_SERVE_INJECT_ERROR_RATE": "0.5"}
    )
    try:
        payload = rows(1)[0]
        timings, statuses = [], []
        for _ in range(120):
            t = time.perf_counter()
            statuses.append(server.call("/predict", payload).status)
            timings.append(time.perf_counter() - t)
        errors = statuses.count(500)
        assert set(statuses) == {200, 500} and 30 <= errors <= 90  # binomial(120, 0.5): ±5.5 sd
        assert min(timings) >= 0.03
        samples = server.metrics()
        assert count(samples, "shipml_requests_total", route="/predict", outcome="server_error") == errors
        assert count(samples, "shipml_requests_total", route="/predict", outcome="ok") == 120 - errors
        assert server.call("/health").status == 200  # faults only touch prediction routes
        assert any(e.get("event") == "faults_injected" for e in server.log_lines())
    finally:
        assert server.stop() == 0


def test_several_workers_share_one_metrics_view(model_dir: Path, tmp_path: Path) -> None:
    server = start(model_dir, tmp_path, "--workers", "2")
    try:
        assert count(server.metrics(), "shipml_model_ready") == 2  # /health waited for both workers
        for r in rows(20):
            assert server.call("/predict", r).status == 200
        samples = server.metrics()
        assert count(samples, "shipml_requests_total", route="/predict", outcome="ok") == 20
        assert count(samples, "shipml_prediction_score_count") == 20
    finally:
        assert server.stop() == 0


def test_unservable_model_dir_and_busy_port_are_one_line_exit_2(
    tmp_path: Path, server: Server, model_dir: Path
) -> None:
    run = run_shipml("serve", "--model-dir", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert run.code == ExitCode.BAD_INPUT and "Traceback" not in run.output
    assert "nowhere: not a directory" in run.stderr
    port = server.url.rsplit(":", 1)[1]
    busy = run_shipml("serve", "--model-dir", str(model_dir), "--port", port, cwd=tmp_path, timeout=300)
    assert busy.code == ExitCode.BAD_INPUT and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    direct = subprocess.run(
        [sys.executable, "-m", "shipml.serve", "--model-dir", str(tmp_path), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert direct.returncode == ExitCode.BAD_INPUT and "no MLmodel file" in direct.stderr
    assert "Traceback" not in direct.stderr


def test_model_that_fails_to_load_stops_the_server_with_exit_2(model_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    (broken / "model.skops").write_bytes(b"not a zip file")
    server = start(broken, tmp_path, wait=False)
    code = server.proc.wait(timeout=READY_TIMEOUT)
    log = server.log.read_text()
    assert code == ExitCode.BAD_INPUT, log[-2000:]
    assert "cannot load the model" in log and "Traceback" not in log
    assert json.loads(server.result_file.read_text())["status"] == "error"
