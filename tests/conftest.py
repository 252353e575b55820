"""Fixtures shared by several test files."""

import pytest

from _course import cli


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """``assign`` into a temporary book and dist folder (without executing notebooks)."""
    tmp = tmp_path_factory.mktemp("assign")
    cli("assign", "--book-dir", tmp / "book", "--dist-dir", tmp / "dist",
        "--no-execute", "--no-run-tests")
    return tmp
