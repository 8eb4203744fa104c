"""Search keys: names typed in either script, with or without diacritics, fold alike."""

from __future__ import annotations

import pytest

from newsletter.core.search_keys import (
    MAX_QUERY_WORDS,
    MAX_TERM,
    fold,
    prefix_range,
    query_words,
    search_terms,
)
from newsletter.core.serbian import to_latin


@pytest.mark.parametrize(
    "spellings",
    [
        # Serbian: Cyrillic, Latin with diacritics, the two ASCII spellings, capitals
        ("Ђорђе", "Đorđe", "Djordje", "Dordje", "ĐORĐE", "DJORDJE"),
        ("Ристић", "Ristić", "Ristic", "RISTIĆ"),
        ("Љубица Њежић", "Ljubica Nježić", "LJUBICA NJEZIC"),
        ("Џајић", "Džajić", "Dzajic"),
        ("Шошкић Жарко", "Šoškić Žarko", "Soskic Zarko"),
        # Macedonian (official Latin alphabet, and the ASCII "gj"/"kj" spellings)
        ("Ѓорѓи Ќосев", "Ǵorǵi Ḱosev", "Gjorgji Kjosev", "Gorgi Kosev"),
        ("Ѕвездан", "Dzvezdan"),
        # Bulgarian (Streamlined System) and the Serbian-style Latin spelling
        ("Жечев", "Zhechev", "Žečev"),
        ("Щерев", "Shterev", "Šterev"),
        ("Йордан Цветков", "Yordan Tsvetkov", "Jordan Cvetkov"),
        ("Ъглов", "Aglov"),
        ("Юлия", "Yuliya", "Julija"),
    ],
)
def test_every_spelling_of_a_name_has_the_same_key(spellings: tuple[str, ...]) -> None:
    keys = {search_terms(s) for s in spellings}
    assert len(keys) == 1, {s: sorted(search_terms(s)) for s in spellings}


def test_different_names_stay_apart() -> None:
    assert search_terms("Petrović") != search_terms("Petrov")
    assert search_terms("Ана") != search_terms("Ања")  # nj is not n
    assert not search_terms("Ristić") & search_terms("Ђорђе")


def test_the_serbian_letters_are_the_transliteration_we_render_with() -> None:
    # One table for both: the search key of a Cyrillic name is the key of its rendered Latin.
    for name in ("Бранислав Ристић", "Ђорђе Ћирић", "Љиљана Џаковић", "ЊЕГОШ"):
        assert search_terms(name) == search_terms(to_latin(name))


def test_an_address_and_an_organisation_give_their_words() -> None:
    terms = search_terms("Бранислав", "Ристић", "Клaстер Кућа Ниш", "B.Ristic@ClusterHouse.example")
    assert {"branislav", "ristic", "b", "clusterhouse", "example", "nis"} <= terms
    assert all(t == t.lower() and t.isalnum() for t in terms)


def test_fold_keeps_what_is_not_a_letter_to_fold() -> None:
    assert fold("Ǆ 42 ﬁ ß") == "dz 42 fi ss"  # compatibility forms decompose
    assert fold("Σωκράτης") == "σωκρατησ"  # Greek: case (final sigma too) and accents only
    assert fold("łódź") == "lodz"


def test_query_words_drop_what_adds_no_condition() -> None:
    assert query_words("  Ristić  ristic RIST ") == ("ristic",)
    assert query_words("%_ -- !") == ()
    assert query_words("Ђорђе Ристић") == ("dorde", "ristic")
    many = " ".join(f"w{i:02d}" for i in range(20))
    assert len(query_words(many)) == MAX_QUERY_WORDS
    assert len(next(iter(search_terms("x" * 300)))) == MAX_TERM


@pytest.mark.parametrize("word", ["rist", "a", "z", "9", "σω", "dorde"])
def test_a_prefix_range_holds_exactly_the_words_that_start_with_it(word: str) -> None:
    low, high = prefix_range(word)
    words = [word, word + "a", word + "zzzz", word + "\uffff", word[:-1], "0", "zzzz", "ё"]
    words += [word[:-1] + chr(ord(word[-1]) + 1)]
    inside = sorted(w for w in words if low <= w < high)
    assert inside == sorted(w for w in words if w.startswith(word))


def test_a_member_is_found_by_name_organisation_words_and_the_whole_address() -> None:
    from newsletter.core.search_keys import member_terms

    terms = member_terms("Бранислав", "Ристић", "Кластер Ниш", " B.Ristic@ClusterHouse.example")
    assert terms == {"branislav", "ristic", "klaster", "nis", "b.ristic@clusterhouse.example"}
