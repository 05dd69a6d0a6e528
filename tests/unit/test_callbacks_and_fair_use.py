from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from bot.callbacks import CallbackError, CallbackSigner
from bot.fair_use import DailyQuota, RateLimiter, Usage, check_quota, next_reset

SIGNER = CallbackSigner(b"0123456789abcdef-secret")


def test_callback_round_trip_fits_telegram_limit() -> None:
    recording = str(uuid.uuid4())
    data = SIGNER.sign(42, "card", recording)
    assert len(data.encode()) <= 64
    callback = SIGNER.verify(42, data)
    assert callback.action == "card"
    assert callback.args == (recording,)


def test_callback_for_another_user_is_rejected() -> None:
    data = SIGNER.sign(42, "del", str(uuid.uuid4()))
    with pytest.raises(CallbackError, match="not signed"):
        SIGNER.verify(43, data)


def test_forged_arguments_are_rejected() -> None:
    data = SIGNER.sign(42, "card", "a" * 8)
    forged = data.replace("a" * 8, "b" * 8)
    with pytest.raises(CallbackError):
        SIGNER.verify(42, forged)
    with pytest.raises(CallbackError, match="malformed"):
        SIGNER.verify(42, "nocolon")


def test_oversized_or_unsafe_parts_are_refused() -> None:
    with pytest.raises(CallbackError, match="64"):
        SIGNER.sign(1, "x", "y" * 60)
    with pytest.raises(CallbackError, match="without ':'"):
        SIGNER.sign(1, "x", "a:b")


def test_rate_limiter_bursts_then_refills() -> None:
    limiter = RateLimiter(per_minute=6, burst=2)  # one token every 10 s
    assert limiter.check(1, 0.0).allowed
    assert limiter.check(1, 0.0).allowed
    denied = limiter.check(1, 0.0)
    assert not denied.allowed
    assert denied.retry_after == pytest.approx(10.0)
    assert limiter.check(2, 0.0).allowed  # other users are unaffected
    assert limiter.check(1, 10.0).allowed


def test_daily_quota_counts_recordings_and_minutes() -> None:
    now = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
    quota = DailyQuota(recordings=3, audio_minutes=10)
    assert check_quota(quota, Usage(2, 60), incoming_seconds=60, now=now).allowed
    over_count = check_quota(quota, Usage(3, 0), incoming_seconds=1, now=now)
    assert not over_count.allowed
    assert over_count.retry_after == 2 * 3600
    assert not check_quota(quota, Usage(0, 590), incoming_seconds=30, now=now).allowed
    assert next_reset(now) == datetime(2026, 11, 25, tzinfo=UTC)
