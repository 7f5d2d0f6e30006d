"""The lesion spec grammar."""

import pytest

from nmgym.circuit import Lesion, Modulation, parse_lesion


def test_intact_specs():
    for spec in (None, "", "none", " intact "):
        assert parse_lesion(spec).intact


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("da", {"da": Modulation(scale=0.0)}),
        ("ne=0.3", {"ne": Modulation(scale=0.3)}),
        ("ach:clamp=0.5", {"ach": Modulation(clamp=0.5)}),
        ("da:delay=5", {"da": Modulation(delay=5)}),
        ("5ht", {"sht": Modulation(scale=0.0)}),
        ("tags", {"tags": 0.0}),
        ("longrange=0.5", {"longrange": 0.5}),
        ("da=0.5:delay=3+longrange", {"da": Modulation(scale=0.5, delay=3), "longrange": 0.0}),
        ("ne=2", {"ne": Modulation(scale=2.0)}),
    ],
)
def test_each_token_sets_exactly_its_field(spec, expected):
    lesion = parse_lesion(spec)
    intact = Lesion()
    for name in ("da", "ne", "ach", "sht", "tags", "longrange"):
        assert getattr(lesion, name) == expected.get(name, getattr(intact, name)), name


@pytest.mark.parametrize(
    "spec, message",
    [
        ("dopamine", "unknown lesion token 'dopamine' in 'dopamine'; allowed: none, or tokens joined by '\\+'"),
        ("da+foo", "unknown lesion token 'foo'"),
        ("ne=abc", "bad scale 'abc' in lesion token 'ne=abc'"),
        ("ne=-1", "must be a number >= 0"),
        ("ach:clamp=x", "bad clamp level 'x'"),
        ("da:delay=2.5", "bad delay '2.5'"),
        (
            "da:delay=10001",
            "bad delay '10001' in lesion token 'da:delay=10001' of 'da:delay=10001': must be steps from 0 to",
        ),
        ("ne:delay=\u00b2", "bad delay '\u00b2'"),
        ("da:speed=2", "unknown option 'speed=2'"),
        ("tags:delay=2", "takes no options"),
        ("da+da=0.5", "appears twice"),
        ("ne=", "missing scale after '=' in lesion token 'ne='"),
        ("ne=+da", "missing scale after '=' in lesion token 'ne='"),
    ],
)
def test_malformed_specs_name_the_bad_token(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_lesion(spec)


def test_spaces_and_case_do_not_change_the_spec():
    assert parse_lesion(" NE = 0.3 + da ") == parse_lesion("ne=0.3+da")
    assert parse_lesion(" NE = 0.3 + da ").spec == "ne=0.3+da"


def test_non_string_spec():
    with pytest.raises(TypeError, match="a lesion spec must be a string"):
        parse_lesion(3)
