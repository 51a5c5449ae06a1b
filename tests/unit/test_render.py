from generator.render import hue, og_locale, without_empty


def test_og_locale_has_a_territory():
    assert og_locale("en") == "en_US" and og_locale("pt-BR") == "pt_BR" and og_locale("zh-Hant-TW") == "zh_TW"
    assert og_locale("de") == "de_DE" and og_locale("EN-gb") == "en_GB" and og_locale("eo") == "eo_EO"


def test_without_empty_drops_absent_values_at_every_depth():
    data = {"a": None, "b": "", "c": [], "d": {}, "e": 0, "f": False, "g": {"h": None, "i": [None, "", "x"]}, "j": {"k": None}}
    assert without_empty(data) == {"e": 0, "f": False, "g": {"i": ["x"]}}


def test_monogram_hue_is_stable_and_spread():
    assert hue("forbes.com") == hue("forbes.com") and 0 <= hue("forbes.com") < 360
    assert len({hue(f"outlet{n}.example") for n in range(40)}) > 20
