"""Normalisation, PII masking and similarity."""

import pytest

from nlp import find_phones, mask_pii, normalize, similarity


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("ＡＢＣ１２３", "ABC123"),
        ("物业费太贵了！！！", "物业费太贵了!"),
        ("请问？？？怎么办。。。", "请问?怎么办。"),
        ("  小区\t\t停水 \n\n 三天  ", "小区 停水 三天"),
        ("停\x00电\x07了", "停 电 了"),
        ("物\u200b业费", "物业费"),
        ("我在ｗｕｈａｎ　市，电话：１３８", "我在wuhan 市,电话:138"),
        ("", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_full_width_message_categorised_like_half_width():
    from nlp import categorise

    half = categorise("小区物业公司乱收物业费，业委会也不管")
    full = categorise("小区物业公司乱收物业费，业委会也不管！！！　ＯＫ")
    assert half.category == full.category == "物业管理"


@pytest.mark.parametrize(
    "raw, masked",
    [
        ("我的电话13812345678请回电", "我的电话138****5678请回电"),
        ("电话：+86 138-1234-5678", "电话：138****5678"),
        ("身份证110105199001011234", "身份证1101**********1234"),
        ("身份证号11010519900101123x。", "身份证号1101**********123X。"),
        ("编号XF20261124-0007不是电话", "编号XF20261124-0007不是电话"),
        ("金额12345678901234元", "金额12345678901234元"),
        ("没有个人信息", "没有个人信息"),
    ],
)
def test_mask_pii(raw, masked):
    assert mask_pii(raw) == masked


def test_find_phones():
    assert find_phones("联系13812345678或者15900001111，座机010-12345678") == ["13812345678", "15900001111"]
    assert find_phones("") == []


def test_similarity():
    a = "幸福小区门口的路被挖断了三个月没人修"
    b = "幸福小区门口道路挖断三个月了，一直没有人修"
    c = "学校老师有偿补课"
    assert similarity(a, a) == pytest.approx(1.0)
    assert similarity(a, b) > 0.4
    assert similarity(a, c) < 0.1
    assert similarity("", a) == 0.0
    assert 0.0 <= similarity("ＡＢ", "ab") <= 1.0
