import pytest

from tests.monitoring import figures_worker as worker


@pytest.fixture(autouse=True)
def _figures_worker(request, monkeypatch):
    """The monitoring pages' figures are computed when first asked for, as the worker does
    (a test marked `no_figures_worker` sees the page that waits for them)."""
    if "no_figures_worker" not in request.keywords:
        worker.install(monkeypatch)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "no_figures_worker: monitoring pages wait for their figures (no worker)"
    )
