"""Pinyin keys: initials and full spellings, with every reading of heteronym surnames."""

from __future__ import annotations

import pytest

from clinic_app.domain.pinyin import MAX_VARIANTS, is_pinyin_query, name_keys


def test_common_name() -> None:
    keys = name_keys("张三")
    assert keys.primary_full == "zhangsan"
    assert keys.primary_initials == "zs"


@pytest.mark.parametrize(("name", "surname_reading", "other"), [
    ("单雄信", "shan", "dan"),
    ("曾国藩", "zeng", "ceng"),
    ("解缙", "xie", "jie"),
    ("仇英", "qiu", "chou"),
    ("区家明", "ou", "qu"),
])
def test_heteronym_surnames_read_as_surnames_first(name: str, surname_reading: str,
                                                   other: str) -> None:
    keys = name_keys(name)
    assert keys.primary_full.startswith(surname_reading)
    assert keys.primary_initials[0] == surname_reading[0]
    assert any(k.startswith(other) for k in keys.full)  # the other reading still finds them


def test_many_heteronyms_are_indexed_up_to_the_cap() -> None:
    keys = name_keys("单曾解仇区乐")  # 3·2·2·3·2·2 = 144 spellings
    assert len(keys.full) == MAX_VARIANTS
    assert keys.primary_full.startswith("shan")  # the surname reading survives the cap


def test_u_umlaut_is_typed_as_v() -> None:
    assert name_keys("吕布").primary_full == "lvbu"


def test_unknown_or_latin_characters() -> None:
    assert name_keys("阿依古丽·买买提").primary_initials.startswith("aygl")
    assert name_keys("").full == ()


@pytest.mark.parametrize(("text", "expected"), [
    ("zs", True), ("zhang san", True), ("张三", False), ("1234", False), ("", False),
])
def test_is_pinyin_query(text: str, expected: bool) -> None:
    assert is_pinyin_query(text) is expected
