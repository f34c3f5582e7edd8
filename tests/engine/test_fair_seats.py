"""Fair seats: a seat with a form meets its own fixed sequence of customers.

Two candidates with the same seed meet the same k-th customer (journey, persona, channel)
whatever their speed and skill, and the centre around them is unchanged by the seat."""

from __future__ import annotations

from dataclasses import replace

from journeys.policies import POLICIES
from sandbox.scenario import load_scenario
from sandbox.session import Session


def _seat_customers(scenario, seed: int, policy: str) -> list[tuple[str, str, str, str]]:
    session = Session(scenario, seed=seed, human_policy=policy)
    got: list[tuple[str, str, str, str]] = []
    session.recorder.sinks.append(
        lambda r: (
            got.append((r["contact_id"], r["journey_id"], r["persona_id"], r["channel"]))
            if r.get("seat") == "trainee"
            else None
        )
    )
    session.run_to_end()
    return sorted(got)


def test_every_policy_at_the_seat_meets_the_same_kth_customer() -> None:
    sc = load_scenario("practice")
    assert sc.seats[0].form is not None
    for seed in range(20):
        seen = {policy: _seat_customers(sc, seed, policy) for policy in POLICIES}
        lengths = {len(v) for v in seen.values()}
        assert min(lengths) >= 3, (seed, lengths)
        # the seat's speed decides how many customers it reaches (and, with a queue, which
        # ones hang up before it is free), never who customer k is: every customer both
        # reached is the same person on the same channel
        reference = {c[0]: c for c in seen["expert"]}
        for policy, customers in seen.items():
            both = [c for c in customers if c[0] in reference]
            assert len(both) >= 3, (seed, policy)
            assert all(c == reference[c[0]] for c in both), (seed, policy)


def test_parallel_forms_differ_and_a_form_seed_is_independent_of_the_session_seed() -> None:
    sc = load_scenario("practice")
    seat = sc.seats[0]
    form_a = replace(sc, seats=(replace(seat, form=replace(seat.form, seed=101)),))
    form_b = replace(sc, seats=(replace(seat, form=replace(seat.form, seed=202)),))
    a1 = _seat_customers(form_a, 1, "expert")
    a2 = _seat_customers(form_a, 2, "expert")
    b1 = _seat_customers(form_b, 1, "expert")
    one, two = {c[0]: c[1:] for c in a1}, {c[0]: c[1:] for c in a2}
    both = sorted(set(one) & set(two))
    assert len(both) >= 3 and all(one[k] == two[k] for k in both)  # same form, other centre
    assert [c[1:] for c in a1] != [c[1:] for c in b1]  # a parallel form: other customers


def test_a_form_caps_its_customers_and_the_seat_takes_nothing_from_the_queue() -> None:
    sc = load_scenario("practice")
    seat = sc.seats[0]
    capped = replace(sc, seats=(replace(seat, form=replace(seat.form, customers=2)),))
    customers = _seat_customers(capped, 4, "expert")
    assert [c[0] for c in customers] == ["trainee-001", "trainee-002"]
