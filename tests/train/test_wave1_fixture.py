"""A checkpoint written by wave-1 code (flat config, before issue 15) loads, generates the same images and resumes
to the same weights (tests/fixtures/wave1/README.md)."""

from __future__ import annotations

import json

import pytest

from tests.train import golden, wave1_fixture

RECORD = json.loads(wave1_fixture.DIGESTS.read_text())


@pytest.fixture
def same_environment():
    if RECORD["environment"] != golden.environment():
        pytest.skip(f"fixture digests were recorded with {RECORD['environment']}, this is {golden.environment()}")


def test_fixture_generates_the_same_images(tmp_path, same_environment):
    assert wave1_fixture.generate_digest(tmp_path) == RECORD["generate"]


def test_fixture_resumes_to_the_same_weights(tmp_path, monkeypatch, same_environment):
    monkeypatch.chdir(golden.REPO)  # the fixture's config names the bundled dataset relative to the repo root
    assert wave1_fixture.resume_digest(tmp_path) == RECORD["resume"]
