"""Stories (`itnews.digest.stories`): the same articles make the same stories whatever else the input
holds, and a story reported day after day stays one."""

import datetime
import random

import wordfreq
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics.pairwise import cosine_distances

from itnews.core.record import Record
from itnews.digest.stories import DAY_DISTANCE, MAX_DAYS, THRESHOLD, features, group, tfidf

# Five outlets on one event (a ferry aground off Piombino), two on another (a strike at Ansaldo).
EVENT = [
    (
        "Traghetto incagliato davanti a Piombino, 312 passeggeri evacuati",
        "Il traghetto Moby Aurora si è incagliato nella notte su una secca a due miglia da Piombino. "
        "La Capitaneria di porto di Livorno ha evacuato i 312 passeggeri con quattro motovedette. "
        "Nessun ferito. La compagnia Moby parla di un guasto al timone.",
    ),
    (
        "Piombino, la Moby Aurora sulla secca: passeggeri tutti salvi",
        "Sono tutti salvi i passeggeri della Moby Aurora, il traghetto finito su una secca al largo di "
        "Piombino. Le motovedette della Capitaneria di porto li hanno portati a terra entro l'alba. "
        "Moby indica un guasto al timone; la procura di Livorno apre un'indagine.",
    ),
    (
        "Incagliato il traghetto per l'Elba",
        "Notte di paura per 312 passeggeri del traghetto Moby Aurora, diretto a Portoferraio e "
        "incagliato su una secca davanti a Piombino. La Capitaneria di porto di Livorno ha coordinato "
        "l'evacuazione. Il comandante ha segnalato un'avaria al timone.",
    ),
    (
        "Moby Aurora, indagine della procura di Livorno",
        "La procura di Livorno indaga sull'incaglio della Moby Aurora davanti a Piombino: i periti "
        "esamineranno il timone del traghetto. I 312 passeggeri evacuati dalla Capitaneria di porto "
        "sono ripartiti per l'Elba con un'altra nave della compagnia Moby.",
    ),
    (
        "Il traghetto Moby Aurora rimosso dalla secca di Piombino",
        "I rimorchiatori hanno liberato la Moby Aurora dalla secca di Piombino dove si era incagliata "
        "con 312 passeggeri a bordo. La Capitaneria di porto di Livorno esclude danni all'ambiente; "
        "la procura attende la perizia sul timone.",
    ),
    (
        "Sciopero all'Ansaldo Energia di Genova",
        "Gli operai dell'Ansaldo Energia di Genova hanno scioperato otto ore contro la cessione del "
        "reparto turbine. I sindacati Fiom e Fim chiedono un incontro al ministero delle Imprese.",
    ),
    (
        "Ansaldo Energia, otto ore di sciopero a Genova",
        "Presidio davanti ai cancelli dell'Ansaldo Energia a Genova: otto ore di sciopero contro la "
        "vendita del reparto turbine. Fiom e Fim vogliono un tavolo al ministero delle Imprese.",
    ),
]
EVENT_STORIES = [[0, 1, 2, 3, 4], [5, 6]]


def event_records() -> list[Record]:
    return [
        Record(id=f"event-{i}", title=title, text=text, outlet=f"outlet {i}", published="2024-09-2{i % 3}")
        for i, (title, text) in enumerate(EVENT)
    ]


def other_records(count: int) -> list[Record]:
    """Articles on nothing in particular: Italian words drawn at their frequency in wordfreq's list,
    so that the event's words turn up in them as often as in news at large; dated over a month."""
    listed = [w for w in wordfreq.top_n_list("it", 30_000) if w.isalpha() and len(w) > 2]
    weights = [wordfreq.word_frequency(w, "it") for w in listed]
    chance = random.Random(21)
    start = datetime.date(2024, 9, 1)
    return [
        Record(
            id=f"other-{n}",
            title=" ".join(chance.choices(listed, weights, k=8)),
            text=" ".join(chance.choices(listed, weights, k=80)),
            outlet=f"outlet {n % 40}",
            published=(start + datetime.timedelta(days=chance.randrange(30))).isoformat(),
        )
        for n in range(count)
    ]


def test_the_same_articles_make_the_same_stories_alone_and_among_ten_thousand_others():
    records = other_records(10_000)
    at = random.Random(3).sample(range(len(records) + 1), len(EVENT))
    for position, record in sorted(
        zip(at, event_records(), strict=True), key=lambda pair: pair[0], reverse=True
    ):
        records.insert(position, record)
    where = {record.id: i for i, record in enumerate(records)}
    events = [where[record.id] for record in event_records()]  # in the order of EVENT

    assert group(event_records()) == EVENT_STORIES
    among = [sorted(events.index(i) for i in story) for story in group(records) if set(story) & set(events)]
    assert sorted(among) == EVENT_STORIES  # and no other article joined them
    # The distances themselves barely move (with the input's counts alone, the ferry reports'
    # mean distance was 0.52 alone and 0.24 among the others).
    alone = cosine_distances(tfidf(event_records()))
    assert abs(alone - cosine_distances(tfidf(records)[events])).max() < 0.05


def test_a_word_common_in_italian_news_weighs_less_than_a_rare_one_even_in_a_small_input():
    records = [
        Record(id="a", text="Nella notte la capitaneria ha chiuso il molo."),
        Record(id="b", text="La capitaneria riapre il molo dopo la notte di tempesta."),
    ]  # "notte" and "capitaneria" once in each: the input alone cannot tell them apart
    vocabulary = CountVectorizer(analyzer=features).fit(records).vocabulary_
    weights = tfidf(records).toarray()
    assert weights[0, vocabulary["capitaner"]] > weights[0, vocabulary["nott"]] > 0


def report(day: int, number: int) -> Record:
    return Record(
        id=f"day-{day}",
        title=f"Alluvione in Romagna, gli sfollati sono {number}",
        text=f"In Romagna gli sfollati dell'alluvione sono {number}. La Protezione civile di Faenza e "
        "Cesena tiene aperti i centri di accoglienza; il fiume Lamone resta sotto osservazione.",
        published=f"2024-09-{day:02d}",
    )


def test_a_story_reported_every_day_for_ten_days_stays_one_and_a_week_of_silence_parts_it():
    daily = [report(day, 100 * day) for day in range(1, 11)]
    assert group(daily) == [list(range(10))]

    after_a_silence = [report(1, 100), report(2, 200), report(9, 150), report(10, 120)]
    assert group(after_a_silence) == [[0, 1], [2, 3]]


# Two shows of one fashion week: one topic, two events; close enough in words to join on one day.
SHOWS = [
    (
        "Prada apre la settimana della moda di Milano",
        "Alla settimana della moda di Milano la sfilata di Prada ha aperto le collezioni per la primavera: "
        "abiti leggeri, tessuti tecnici e colori pastello in passerella davanti a buyer e giornalisti. "
        "Miuccia Prada e Raf Simons hanno parlato di una collezione pensata per la città.",
    ),
    (
        "Versace chiude la settimana della moda di Milano",
        "La sfilata di Versace ha chiuso la settimana della moda di Milano con la collezione per la "
        "primavera: abiti da sera, tessuti lucidi e colori accesi in passerella davanti a buyer e "
        "giornalisti. Donatella Versace ha dedicato la collezione alle donne della città.",
    ),
]


def shows(*published: str | None) -> list[Record]:
    return [
        Record(id=f"show-{i}", title=title, text=text, published=when)
        for i, ((title, text), when) in enumerate(zip(SHOWS, published, strict=True))
    ]


def test_articles_days_apart_must_share_more_to_be_one_story():
    distance = cosine_distances(tfidf(shows(None, None)))[0, 1]
    days_apart = 5
    assert distance < THRESHOLD < distance + DAY_DISTANCE * (days_apart - 1)
    assert days_apart <= MAX_DAYS  # no silence parts them: only the days between them do

    assert group(shows("2024-09-20", "2024-09-21")) == [[0, 1]]
    assert group(shows("2024-09-20", f"2024-09-{20 + days_apart}")) == [[0], [1]]
    assert group(shows("2024-09-20", None)) == [[0, 1]]  # an undated article is no day apart
