"""The test servers' port picker (``free_port`` in conftest) under BRAIN_TEST_PORTS: xdist
workers must not take the same port before either server binds it."""

from __future__ import annotations

from collections.abc import Callable

import pytest


def test_workers_start_at_their_own_share_of_the_range(monkeypatch: pytest.MonkeyPatch,
                                                        free_port: Callable[[], int]) -> None:
    # the second of two workers scans from the middle of the range, the first from its start
    monkeypatch.setenv("BRAIN_TEST_PORTS", "18990-18999")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    assert 18995 <= free_port() <= 18999
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    assert 18990 <= free_port() <= 18994


def test_one_worker_does_not_hand_out_a_port_twice(monkeypatch: pytest.MonkeyPatch,
                                                   free_port: Callable[[], int]) -> None:
    # the server a port was picked for may not have bound it yet when the next test asks
    monkeypatch.setenv("BRAIN_TEST_PORTS", "18980-18989")
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    picks = [free_port() for _ in range(3)]
    assert len(set(picks)) == 3

