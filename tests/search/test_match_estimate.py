"""Choosing how to find the newest matches on an engine whose index reads them in no order."""

from app.search.backend import MatchEstimate

A_MILLION = 1_000_000.0


def test_a_word_in_one_record_in_five_is_found_by_walking_the_newest_records() -> None:
    # 2,001 matches are within the newest 10,000 records: far fewer than 200,000 look-ups.
    assert not MatchEstimate(200_000, A_MILLION, 2.5).index_first(2_001)


def test_a_phrase_in_one_record_in_fifty_is_found_through_the_index() -> None:
    # Walking to 2,001 matches would check 100,000 records; looking up 20,000 costs 50,000.
    assert MatchEstimate(20_000, A_MILLION, 2.5).index_first(2_001)


def test_fewer_matches_wanted_make_the_walk_shorter() -> None:
    assert not MatchEstimate(20_000, A_MILLION, 2.5).index_first(21)


def test_a_walk_never_goes_past_the_numbers_it_may_look_at() -> None:
    estimate = MatchEstimate(20_000, A_MILLION, 2.5)
    assert estimate.index_first(2_001)
    assert not estimate.index_first(2_001, span=10_000)  # 10,000 checks, not 50,000 look-ups


def test_the_cost_of_a_look_up_decides_between_the_two() -> None:
    assert MatchEstimate(40_000, A_MILLION, 1.0).index_first(2_001)
    assert not MatchEstimate(40_000, A_MILLION, 2.5).index_first(2_001)


def test_no_match_expected_is_looked_up() -> None:
    assert MatchEstimate(0, A_MILLION, 2.5).index_first(2_001)


def test_the_cost_is_that_of_the_better_way() -> None:
    assert MatchEstimate(200_000, A_MILLION, 2.5).cost(2_001) == 10_005  # walking
    assert MatchEstimate(20_000, A_MILLION, 2.5).cost(2_001) == 50_000  # looking up
