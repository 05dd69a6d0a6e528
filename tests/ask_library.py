"""A generated library of Russian and English recordings, with paraphrased questions.

Each topic is one recording: a few sentences on one subject, wrapped in small talk that every
recording of its language shares (so only the subject tells recordings apart), timed as a
transcriber would time it, alternately with diarized speakers. Each has a question worded
differently from the transcript and, for many, a question in the other language. Used by the
"ask my recordings" integration tests and by ``bench/ask.py``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg


@dataclass(frozen=True, slots=True)
class Topic:
    key: str
    language: str
    title: str
    sentences: tuple[str, ...]
    question: str
    cross_question: str | None = None


TOPICS: tuple[Topic, ...] = (
    Topic(
        "budget",
        "ru",
        "Созвон с заказчиком",
        (
            "Заказчик очень переживает, что мы выйдем за рамки сметы.",
            "Он просил урезать расходы на рекламу до конца квартала.",
            "Нужно подготовить новую смету к пятнице и согласовать её с финансовым отделом.",
        ),
        "Где клиент волновался о деньгах на проект?",
        "the meeting where the client worried about the budget",
    ),
    Topic(
        "georgia",
        "ru",
        "Планы на август",
        (
            "В августе мы летим в Тбилиси на две недели.",
            "Хотим съездить в Казбеги, погулять по горам и попробовать настоящие хинкали.",
            "Билеты уже купили, осталось забронировать гостиницу в старом городе.",
        ),
        "Куда я собирался поехать в отпуск летом?",
    ),
    Topic(
        "interview",
        "ru",
        "Собеседование",
        (
            "Кандидат пять лет пишет на Python и работал с asyncio в высоконагруженных сервисах.",
            "Он слабо знает SQL, но быстро учится и хорошо объясняет свои решения.",
            "Зарплатные ожидания двести пятьдесят тысяч, выйти готов через две недели.",
        ),
        "Что говорили про претендента на вакансию программиста?",
        "the job interview with the backend developer",
    ),
    Topic(
        "kitchen",
        "ru",
        "Ремонт",
        (
            "Плитку для кухни привезут во вторник, укладывать начнут в среду.",
            "Мастер сказал, что смеситель нужно менять целиком, а трубы под мойкой сгнили.",
            "Стоимость работ выросла на двадцать процентов из-за электрики.",
        ),
        "Что там с обновлением квартиры и сколько это будет стоить?",
    ),
    Topic(
        "doctor",
        "ru",
        "После приёма у терапевта",
        (
            "Врач посоветовал пить больше воды и меньше кофе.",
            "Анализ крови в норме, но витамина D сильно не хватает, нужно принимать добавки.",
            "Следующий приём через месяц, перед ним сдать анализы повторно.",
        ),
        "Что сказал доктор о результатах моих обследований?",
        "what did the physician say about my blood test",
    ),
    Topic(
        "release",
        "ru",
        "Планёрка по релизу",
        (
            "Релиз приложения переносим на следующую неделю.",
            "В версии для iOS падает экран оплаты при вводе карты.",
            "Тестировщики нашли ещё три критических бага в корзине.",
        ),
        "Почему отложили выпуск мобильной программы?",
    ),
    Topic(
        "borscht",
        "ru",
        "Мамин рецепт",
        (
            "Свёклу нужно тушить отдельно с ложкой уксуса, чтобы сохранить цвет.",
            "Капусту кладём в самом конце, чтобы она осталась хрустящей.",
            "Подавать со сметаной и чесночными пампушками.",
        ),
        "Как готовить красный суп со свёклой?",
        "the recipe for beetroot soup",
    ),
    Topic(
        "office",
        "ru",
        "Объявление для отдела",
        (
            "С первого числа офис переезжает на Садовую улицу.",
            "Вещи нужно упаковать в коробки до четверга, грузчики приедут утром.",
            "Парковки там нет, придётся ездить на метро.",
        ),
        "Когда мы меняем рабочее помещение и что взять с собой?",
    ),
    Topic(
        "mortgage",
        "ru",
        "Звонок из банка",
        (
            "Банк одобрил ипотеку под восемь процентов годовых на двадцать лет.",
            "Первоначальный взнос двадцать процентов, страховка обязательна.",
            "Сделку назначили на конец месяца у нотариуса.",
        ),
        "Какие условия кредита на жильё нам дали?",
        "mortgage approval and interest rate",
    ),
    Topic(
        "puppy",
        "ru",
        "Про щенка",
        (
            "Щенок всю ночь скулил и грыз тапки в прихожей.",
            "Кинолог советует больше гулять с ним утром и не ругать за лужи.",
            "Прививки сделаем в субботу в ветклинике.",
        ),
        "Что делать с плохим поведением питомца?",
    ),
    Topic(
        "football",
        "ru",
        "Турнир",
        (
            "Сын забил два гола в финале школьного турнира по футболу.",
            "Тренер хочет взять его в сборную района.",
            "Тренировки по вторникам и четвергам после уроков.",
        ),
        "Как сыграл ребёнок на соревнованиях?",
    ),
    Topic(
        "peter",
        "ru",
        "Лекция по истории",
        (
            "Сегодня говорили о реформах Петра Первого.",
            "Он создал регулярный флот и перенёс столицу в Петербург.",
            "Боярам насильно брили бороды и заставляли носить европейское платье.",
        ),
        "О чём была лекция про царя-реформатора?",
        "lecture about the tsar who moved the capital",
    ),
    Topic(
        "sales",
        "ru",
        "Итоги квартала",
        (
            "Продажи во втором квартале выросли на пятнадцать процентов.",
            "Лучше всего продавались зимние куртки, несмотря на сезон.",
            "В регионах спрос упал, надо пересмотреть цены для филиалов.",
        ),
        "Какие результаты по выручке за прошлые три месяца?",
    ),
    Topic(
        "car",
        "ru",
        "Автосервис",
        (
            "В машине стучит подвеска, механик сказал менять амортизаторы.",
            "Заодно поменяли масло и тормозные колодки.",
            "Счёт вышел на тридцать тысяч, гарантия полгода.",
        ),
        "Что чинили в автомобиле?",
        "car repair at the garage",
    ),
    Topic(
        "wedding",
        "ru",
        "Свадьба сестры",
        (
            "Свадьба сестры будет в июне в загородном доме.",
            "Гостей около восьмидесяти человек, нужен большой шатёр.",
            "Мне нужно произнести тост и найти фотографа.",
        ),
        "Что нужно подготовить к торжеству родственницы?",
    ),
    Topic(
        "english",
        "ru",
        "Занятия языком",
        (
            "Я занимаюсь английским три раза в неделю с репетитором.",
            "Хуже всего даются времена глаголов и артикли.",
            "Экзамен IELTS в ноябре, нужен балл не ниже семи.",
        ),
        "Как идёт подготовка к экзамену по иностранному языку?",
    ),
    Topic(
        "outage",
        "en",
        "Incident review",
        (
            "The database ran out of disk space at three in the morning.",
            "The checkout service was down for forty minutes and orders failed.",
            "We need alerts on disk usage, and the rollback took far too long.",
        ),
        "what caused the production incident last night",
        "почему ночью упал сервис заказов",
    ),
    Topic(
        "campaign",
        "en",
        "Marketing sync",
        (
            "The new Instagram campaign targets university students.",
            "We will spend most of the money on short videos with influencers.",
            "Launch is planned for September, right before the semester starts.",
        ),
        "social media advertising plan for young people",
    ),
    Topic(
        "marathon",
        "en",
        "Training log",
        (
            "I ran twenty-eight kilometres on Sunday, my longest run so far.",
            "My knee hurts a little after the hills.",
            "The race is in six weeks, so I will taper in the last ten days.",
        ),
        "how is my preparation for the long-distance race going",
        "как идёт подготовка к забегу",
    ),
    Topic(
        "bookclub",
        "en",
        "Book club",
        (
            "This month we read a novel about a lighthouse keeper on a remote island.",
            "Most of us found the ending sad but beautiful.",
            "Next time we pick a detective story set in Venice.",
        ),
        "which story did the reading group discuss",
    ),
    Topic(
        "garden",
        "en",
        "Garden notes",
        (
            "The tomatoes got blight after all that rain.",
            "I need to plant garlic before the first frost.",
            "The apple tree gave a huge harvest this year.",
        ),
        "problems with vegetables in the backyard",
        "что случилось с помидорами на огороде",
    ),
    Topic(
        "investors",
        "en",
        "Fundraising",
        (
            "We pitched to three investors this week.",
            "One fund wants to lead the seed round at a four million valuation.",
            "They asked for our monthly revenue numbers and churn.",
        ),
        "how did the meetings with venture capitalists go",
        "переговоры с инвесторами о финансировании",
    ),
    Topic(
        "school",
        "en",
        "Parent meeting",
        (
            "The teacher says my daughter is struggling with fractions.",
            "She reads very well but loses focus after lunch.",
            "We agreed on extra math practice twice a week.",
        ),
        "parent-teacher conference about my child's arithmetic",
    ),
    Topic(
        "flat",
        "en",
        "Viewing",
        (
            "The flat near the river has two bedrooms but no balcony.",
            "The landlord wants a deposit of two months' rent.",
            "It is a ten minute walk to the station.",
        ),
        "the rental apartment we looked at",
        "квартира, которую смотрели для съёма",
    ),
    Topic(
        "refunds",
        "en",
        "Support review",
        (
            "Customers keep complaining that refunds take three weeks.",
            "The support queue has four hundred open tickets.",
            "We should add a refund status page and hire two more agents.",
        ),
        "why are clients unhappy about getting their money back",
    ),
    Topic(
        "glaciers",
        "en",
        "Science podcast",
        (
            "Glaciers in the Alps lost ten percent of their volume in two years.",
            "Scientists measured the melt with drones and satellites.",
            "Summer heatwaves are the main cause.",
        ),
        "ice melting in the mountains",
        "таяние ледников в горах",
    ),
    Topic(
        "sourdough",
        "en",
        "Baking",
        (
            "The sourdough starter needs feeding twice a day.",
            "I let the dough proof overnight in the fridge.",
            "Bake at high heat with steam for a crisp crust.",
        ),
        "how to make homemade bread",
    ),
    Topic(
        "offsite",
        "en",
        "Team offsite",
        (
            "The team offsite will be in a cabin by the lake.",
            "We will plan next year's roadmap and go on a hiking trip.",
            "Everyone should book train tickets by Friday.",
        ),
        "company retreat in the countryside",
    ),
    Topic(
        "contract",
        "en",
        "Call with legal",
        (
            "The supplier contract has a penalty clause for late delivery.",
            "Our lawyer wants to cap liability at the contract value.",
            "Signing is delayed until the terms are fixed.",
        ),
        "lawyer's concerns about the vendor agreement",
        "юрист о договоре с поставщиком",
    ),
    Topic(
        "band",
        "en",
        "Rehearsal",
        (
            "Our drummer keeps rushing the tempo in the chorus.",
            "We will record the demo in a studio next month.",
            "The new song needs a stronger bridge.",
        ),
        "how the music group practice went",
    ),
    Topic(
        "sleep",
        "en",
        "Therapy notes",
        (
            "I have been sleeping badly, waking up at four every night.",
            "The therapist suggested no screens an hour before bed.",
            "I will try a breathing exercise and keep a diary.",
        ),
        "insomnia and advice to rest better",
        "плохой сон и советы психолога",
    ),
    Topic(
        "japan",
        "en",
        "Travel memories",
        (
            "We visited the temples of Kyoto and took the bullet train to Osaka.",
            "The street food there was amazing.",
            "Next time I want to see Hokkaido in winter.",
        ),
        "my trip to Asia",
    ),
)

# Small talk every recording of a language shares: it must not decide which recording wins.
_OPENING = {
    "ru": ("Так, запись идёт, давайте начнём.",),
    "en": ("Okay, it's recording, let's start.",),
}
_CLOSING = {
    "ru": ("Ладно, созвонимся позже, пока.",),
    "en": ("Alright, talk to you later, bye.",),
}


def segments_for(topic: Topic, *, diarized: bool) -> list[dict[str, Any]]:
    """The topic as timed segments (``start``, ``end``, ``text`` and maybe ``speaker``)."""
    lines = [*_OPENING[topic.language], *topic.sentences, *_CLOSING[topic.language]]
    segments: list[dict[str, Any]] = []
    clock = 0.0
    for index, line in enumerate(lines):
        length = 3.0 + 0.12 * len(line)  # about the pace of speech
        segment: dict[str, Any] = {
            "start": round(clock, 2),
            "end": round(clock + length, 2),
            "text": line,
        }
        if diarized:
            # The host opens and closes; the guest speaks to the subject.
            segment["speaker"] = "SPEAKER_01" if line in topic.sentences else "SPEAKER_00"
        segments.append(segment)
        clock += length + (2.0 if index in (0, len(lines) - 2) else 0.4)
    return segments


def questions() -> list[tuple[Topic, str, bool]]:
    """Every question: (topic it is about, question, is it in the other language)."""
    found: list[tuple[Topic, str, bool]] = []
    for topic in TOPICS:
        found.append((topic, topic.question, False))
        if topic.cross_question:
            found.append((topic, topic.cross_question, True))
    return found


async def insert_recording(
    pool: asyncpg.Pool,
    user_id: int,
    title: str,
    segments: list[dict[str, Any]],
    *,
    status: str = "done",
) -> uuid.UUID:
    """A finished recording as the reactor leaves it (and the bot's upload row with its title)."""
    recording_id = uuid.uuid4()
    key = f"audio/{user_id}/2026/03/01/{recording_id}.ogg"
    text = " ".join(s["text"] for s in segments)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO recordings (id, bucket, object_key, etag, user_id, chat_id, original_name,"
            " content_type, size_bytes, status, transcript_text, transcript_segments,"
            " duration_seconds, completed_at)"
            " VALUES ($1, 'voxpersona-audio', $2, 'etag', $3, $3, 'voice.ogg', 'audio/ogg', 1000,"
            " $4, $5, $6::jsonb, $7, now())",
            recording_id,
            key,
            user_id,
            status,
            text,
            json.dumps(segments, ensure_ascii=False),
            segments[-1]["end"] if segments else 0.0,
        )
        await conn.execute(
            "INSERT INTO bot_uploads (object_key, user_id, chat_id, title) VALUES ($1, $2, $2, $3)",
            key,
            user_id,
            title,
        )
    return recording_id


async def insert_library(pool: asyncpg.Pool, user_id: int) -> dict[str, uuid.UUID]:
    """Every topic as one recording of ``user_id`` (every other one diarized): key -> id."""
    return {
        topic.key: await insert_recording(
            pool, user_id, topic.title, segments_for(topic, diarized=index % 2 == 1)
        )
        for index, topic in enumerate(TOPICS)
    }
