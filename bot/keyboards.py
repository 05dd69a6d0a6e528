"""Inline keyboards. Every button's data is signed for the user it is shown to
(:class:`bot.callbacks.CallbackSigner`), so a forged or another user's button is rejected."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import CallbackSigner
from bot.exports import ExportFormat
from bot.i18n import Language, t
from voxpersona.answers.citations import Source, clock

# Analysis scenarios the user can pick (files under reactor/scenarios, plus "none").
SCENARIOS: tuple[str, ...] = ("summary", "interview", "audit")
# A user's default for who said what (bot_users.speakers, the upload's ``speakers``).
SPEAKER_CHOICES: tuple[str, ...] = ("auto", "off", "1", "2", "3", "4")
RECORDING_LANGUAGES: tuple[str, ...] = ("auto", "ru", "en", "uk", "de", "fr", "es")


def scenario_label(language: Language, scenario: str | None) -> str:
    """A scenario's name for buttons and status lines (``None``: the server's default)."""
    return t(language, f"scenario.{scenario or SCENARIOS[0]}")


class Keyboards:
    """Builds the bot's keyboards for one signer."""

    def __init__(self, signer: CallbackSigner) -> None:
        self._signer = signer

    def _data(self, user_id: int, action: str, *args: str) -> str:
        return self._signer.sign(user_id, action, *args)

    def language_menu(self, user_id: int, language: Language) -> InlineKeyboardMarkup:
        kb = InlineKeyboardBuilder()
        for ui in ("ru", "en"):
            kb.button(text=t(language, f"btn_ui_{ui}"), callback_data=self._data(user_id, "ui", ui))
        for code in RECORDING_LANGUAGES:
            name = t(language, f"lang.{code}")
            kb.button(
                text=t(language, "btn_rec", rec=name),
                callback_data=self._data(user_id, "rl", code),
            )
        kb.adjust(2, 4, 3)
        return kb.as_markup()

    def default_speakers(self, user_id: int, language: Language) -> InlineKeyboardMarkup:
        """/speakers: who said what in new recordings — count them, off, or an exact count."""
        kb = InlineKeyboardBuilder()
        for choice in SPEAKER_CHOICES:
            kb.button(
                text=t(language, f"speakers.{choice}"),
                callback_data=self._data(user_id, "sd", choice),
            )
        kb.adjust(2, 4)
        return kb.as_markup()

    def default_scenarios(self, user_id: int, language: Language) -> InlineKeyboardMarkup:
        kb = InlineKeyboardBuilder()
        for name in (*SCENARIOS, "none"):
            kb.button(
                text=t(language, f"scenario.{name}"), callback_data=self._data(user_id, "ds", name)
            )
        kb.adjust(1)
        return kb.as_markup()

    def status_scenarios(
        self, user_id: int, object_id: uuid.UUID, language: Language, chosen: str | None
    ) -> InlineKeyboardMarkup:
        """Under a status message: the analysis for this one recording."""
        kb = InlineKeyboardBuilder()
        for name in SCENARIOS:
            mark = "✓ " if name == (chosen or SCENARIOS[0]) else ""
            kb.button(
                text=mark + t(language, f"scenario.{name}"),
                callback_data=self._data(user_id, "sc", object_id.hex, name),
            )
        kb.adjust(len(SCENARIOS))
        return kb.as_markup()

    def files_page(
        self,
        user_id: int,
        items: Sequence[tuple[uuid.UUID, str]],
        *,
        page: int,
        pages: int,
        language: Language,
    ) -> InlineKeyboardMarkup:
        """One button per recording (id, label) and the pagination row."""
        kb = InlineKeyboardBuilder()
        for recording_id, label in items:
            kb.button(text=label, callback_data=self._data(user_id, "cd", recording_id.hex))
        nav = []
        if page > 0:
            nav.append((t(language, "btn_prev"), self._data(user_id, "pg", str(page - 1))))
        if page + 1 < pages:
            nav.append((t(language, "btn_next"), self._data(user_id, "pg", str(page + 1))))
        for text, data in nav:
            kb.button(text=text, callback_data=data)
        kb.adjust(*([1] * len(items)), max(len(nav), 1))
        return kb.as_markup()

    def card(
        self,
        user_id: int,
        recording_id: uuid.UUID,
        language: Language,
        *,
        done: bool,
        rerun: bool = True,
        speakers: bool = False,
    ) -> InlineKeyboardMarkup:
        rid = recording_id.hex
        kb = InlineKeyboardBuilder()
        sizes: list[int] = []
        if done:
            kb.button(
                text=t(language, "btn_transcript"), callback_data=self._data(user_id, "tx", rid)
            )
            kb.button(
                text=t(language, "btn_analysis"), callback_data=self._data(user_id, "an", rid)
            )
            for fmt in ExportFormat:
                kb.button(
                    text=t(language, "btn_export", fmt=fmt.value.upper()),
                    callback_data=self._data(user_id, "ex", rid, fmt.value),
                )
            sizes += [2, 5]
            if rerun:
                kb.button(
                    text=t(language, "btn_rerun"), callback_data=self._data(user_id, "rr", rid)
                )
                sizes.append(1)
            if speakers:  # several voices: the user may name them
                kb.button(
                    text=t(language, "btn_speakers"), callback_data=self._data(user_id, "sp", rid)
                )
                sizes.append(1)
        kb.button(text=t(language, "btn_download"), callback_data=self._data(user_id, "dl", rid))
        kb.button(text=t(language, "btn_delete"), callback_data=self._data(user_id, "dx", rid))
        kb.button(text=t(language, "btn_list"), callback_data=self._data(user_id, "pg", "0"))
        kb.adjust(*sizes, 2, 1)
        return kb.as_markup()

    def rerun(
        self, user_id: int, recording_id: uuid.UUID, language: Language
    ) -> InlineKeyboardMarkup:
        kb = InlineKeyboardBuilder()
        for name in SCENARIOS:
            kb.button(
                text=t(language, f"scenario.{name}"),
                callback_data=self._data(user_id, "rs", recording_id.hex, name),
            )
        kb.button(
            text=t(language, "btn_cancel"),
            callback_data=self._data(user_id, "cd", recording_id.hex),
        )
        kb.adjust(1)
        return kb.as_markup()

    def confirm_delete(
        self, user_id: int, recording_id: uuid.UUID, language: Language
    ) -> InlineKeyboardMarkup:
        kb = InlineKeyboardBuilder()
        rid = recording_id.hex
        kb.button(
            text=t(language, "btn_confirm_delete"), callback_data=self._data(user_id, "dy", rid)
        )
        kb.button(text=t(language, "btn_cancel"), callback_data=self._data(user_id, "cd", rid))
        kb.adjust(2)
        return kb.as_markup()

    def ask_answer(
        self, user_id: int, sources: Sequence[Source], language: Language
    ) -> InlineKeyboardMarkup | None:
        """Under an ``/ask`` answer: each cited recording's card, then one clip per citation."""
        kb = InlineKeyboardBuilder()
        titles: dict[uuid.UUID, str] = {}
        for source in sources:
            titles.setdefault(source.recording_id, source.title)
        for rid, title in titles.items():
            kb.button(
                text=t(language, "btn_ask_card", title=title[:40]),
                callback_data=self._data(user_id, "ac", rid.hex),
            )
        for source in sources:
            start, end = int(source.start), math.ceil(source.end)
            kb.button(
                text=f"🔊 [{source.number}] {clock(source.start)}",
                callback_data=self._data(
                    user_id, "ck", source.recording_id.hex, str(start), str(end)
                ),
            )
        if not titles:
            return None
        kb.adjust(*([1] * len(titles)), 3)
        return kb.as_markup()

    def confirm_delete_all(self, user_id: int, language: Language) -> InlineKeyboardMarkup:
        kb = InlineKeyboardBuilder()
        kb.button(text=t(language, "btn_delete_all"), callback_data=self._data(user_id, "da"))
        kb.button(text=t(language, "btn_cancel"), callback_data=self._data(user_id, "no"))
        kb.adjust(1)
        return kb.as_markup()
