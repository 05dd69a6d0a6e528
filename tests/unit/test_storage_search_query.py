"""The metadata search's SQL: values bound, never inlined; LIKE wildcards escaped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from voxpersona.storage.search import RecordingFilter, build_search


def test_every_value_is_a_bound_parameter() -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    sql, args = build_search(
        RecordingFilter(user_id=7, status="done", name_contains="a%b_c\\", created_from=since)
    )
    assert args == [7, "done", "%a\\%b\\_c\\\\%", since, 100]
    assert "user_id = $1" in sql
    assert "status = $2" in sql
    assert "original_name ILIKE $3" in sql
    assert "created_at >= $4" in sql
    assert sql.endswith("LIMIT $5")
    assert "a%b" not in sql


def test_no_criteria_still_hides_removed_audio_by_default() -> None:
    sql, args = build_search(RecordingFilter())
    assert "WHERE audio_state = 'present'" in sql
    assert args == [100]
    sql, _ = build_search(RecordingFilter(present_only=False))
    assert "WHERE TRUE" in sql


@pytest.mark.parametrize("limit", [0, 1001])
def test_limit_is_bounded(limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        build_search(RecordingFilter(limit=limit))
