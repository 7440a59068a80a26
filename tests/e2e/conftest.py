from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.act import UserRepo, export_checkout


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def shipml_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One clean export of this checkout per session, as `shipml/shipml@v1`."""
    return export_checkout(tmp_path_factory.mktemp("action-repo") / "shipml")


@pytest.fixture
def user_repo(tmp_path: Path, shipml_checkout: Path) -> UserRepo:
    return UserRepo.create(tmp_path, shipml_checkout)
