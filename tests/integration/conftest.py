"""One real stack (Rasa server + gateway on free ports) shared by the integration tests."""
from __future__ import annotations

from typing import Iterator

import pytest

from scripts.stack import Stack, StackConfig, free_port


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("stack")
    config = StackConfig(app_port=free_port(), rasa_port=free_port(), data_dir=data_dir, log_dir=data_dir / "logs")
    running = Stack(config)
    running.start()
    try:
        running.wait_healthy(timeout=300)
    except BaseException:
        running.stop()
        for path in running.log_paths.values():
            print(f"--- {path}\n" + path.read_text(errors="replace")[-4000:])
        raise
    yield running
    running.stop()
