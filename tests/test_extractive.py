"""The embedded extractive summariser: Lead-k, position and headline scoring, target length, redundancy."""

import pytest

from itnews.summarise.extractive import content_stems, select_sentences, summarise, word_count

SENTENCES = [
    "Il governo ha approvato la riforma delle pensioni dopo tre giorni di trattative con i sindacati.",
    "La riforma delle pensioni alza l'età minima di uscita a 64 anni per chi ha iniziato a lavorare tardi.",
    "I sindacati hanno giudicato la riforma delle pensioni insufficiente e annunciano uno sciopero.",
    "Intanto a Milano una mostra dedicata a Caravaggio ha superato i centomila visitatori in un mese.",
    "Secondo il ministero la riforma delle pensioni farà risparmiare due miliardi di euro in cinque anni.",
    "Il voto finale in Parlamento sulla riforma delle pensioni è previsto entro la fine di marzo.",
]


@pytest.mark.parametrize("method,count", [("lead1", 1), ("lead2", 2), ("lead3", 3)])
def test_lead_k_takes_the_first_k_sentences(method, count):
    assert summarise(SENTENCES, method) == " ".join(SENTENCES[:count])


def test_summary_is_whole_sentences_in_article_order_near_the_target():
    longest = max(word_count(s) for s in SENTENCES)
    for target in (20, 40, 60, 90):
        chosen = select_sentences(SENTENCES, target)
        assert chosen == sorted(chosen)
        assert abs(sum(word_count(SENTENCES[i]) for i in chosen) - target) <= longest / 2
        summary = summarise(SENTENCES, "extractive", target)
        assert summary == " ".join(SENTENCES[i] for i in chosen)


def test_a_sentence_is_taken_only_when_it_ends_nearer_the_target():
    first, second = word_count(SENTENCES[0]), word_count(SENTENCES[1])  # 16 and 19 words
    overflow_by_less_than_half = first + second - 7
    overflow_by_more_than_half = first + 5
    assert select_sentences(SENTENCES[:2], overflow_by_less_than_half) == [0, 1]
    assert select_sentences(SENTENCES[:2], overflow_by_more_than_half) == [0]


def test_larger_target_never_drops_words():
    sizes = [sum(word_count(SENTENCES[i]) for i in select_sentences(SENTENCES, b)) for b in (20, 40, 60, 120)]
    assert sizes == sorted(sizes)
    assert sizes[-1] > sizes[0]


def test_headline_keeps_an_off_topic_aside_out():
    assert 3 in select_sentences(SENTENCES, 60)  # position alone cannot tell the aside about Caravaggio
    assert 3 not in select_sentences(SENTENCES, 60, headline="Pensioni, il governo approva la riforma")


def test_headline_similarity_lifts_a_later_sentence():
    unrelated = [
        "Il treno regionale per Bologna è partito con quaranta minuti di ritardo stamattina.",
        "Una nuova specie di orchidea è stata trovata dai botanici sulle colline toscane.",
        "La squadra di pallavolo femminile ha vinto il campionato europeo a Bruxelles.",
        "Il prezzo del grano duro è sceso del dieci per cento sui mercati internazionali.",
    ]
    assert select_sentences(unrelated, 26) == [0, 1]
    assert select_sentences(unrelated, 26, headline="Pallavolo, l'Italia campione europea") == [0, 2]


def test_position_breaks_ties_between_equally_central_sentences():
    unrelated = [
        "Il treno regionale per Bologna è partito con quaranta minuti di ritardo stamattina.",
        "Una nuova specie di orchidea è stata trovata dai botanici sulle colline toscane.",
        "La squadra di pallavolo femminile ha vinto il campionato europeo a Bruxelles.",
        "Il prezzo del grano duro è sceso del dieci per cento sui mercati internazionali.",
    ]
    assert select_sentences(unrelated, 15) == [0]


def test_near_duplicate_sentences_are_not_both_chosen():
    repeated = SENTENCES[1].replace("64 anni", "sessantaquattro anni")
    sentences = [SENTENCES[0], SENTENCES[1], repeated, *SENTENCES[2:]]
    chosen = select_sentences(sentences, 200)
    assert not {1, 2} <= set(chosen)


def test_short_fragments_are_not_chosen_when_real_sentences_exist():
    sentences = ["Le reazioni", *SENTENCES]
    assert 0 not in select_sentences(sentences, 200)


HEADING = "La riforma delle pensioni spiegata punto per punto"  # long enough to be taken as a sentence


def test_headings_are_never_chosen_when_there_are_sentences():
    sentences = [SENTENCES[0], HEADING, *SENTENCES[1:]]
    assert 1 in select_sentences(sentences, 200)  # unmarked, it is a sentence like the others
    assert 1 not in select_sentences(sentences, 200, headings=[1])
    assert HEADING not in summarise(sentences, "extractive", 200, headings=[1])


def test_lead_k_skips_headings():
    sentences = [HEADING, *SENTENCES]
    assert summarise(sentences, "lead2", headings=[0]) == " ".join(SENTENCES[:2])


def test_text_of_headings_only_is_summarised_by_its_first():
    assert summarise([HEADING, "Le reazioni dei sindacati"], "extractive", headings=[0, 1]) == HEADING
    assert summarise([HEADING], "lead3", headings=[0]) == HEADING


def test_target_far_below_any_sentence_gives_the_best_single_sentence():
    assert len(select_sentences(SENTENCES, 5)) == 1


def test_italian_stemming_and_stop_words():
    assert content_stems("Le pensioni della pensione") == content_stems("pensione pensioni")
    assert "della" not in content_stems("Le pensioni della città")
    assert content_stems("perché però") == []


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown"):
        summarise(SENTENCES, "textrank")


def test_empty_article_gives_empty_summary():
    assert summarise([], "extractive") == ""
