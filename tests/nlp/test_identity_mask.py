"""``mask_identity``: a whistleblower's numbers, name and address, whatever the digits' script."""

from nlp.pii import mask_identity


def test_numbers_of_any_script_and_cut_by_the_title_are_masked() -> None:
    assert mask_identity("手机１３８１２３４５６７８") == "手机" + "*" * 11
    assert mask_identity("联系电话 138 1234 5678") == "联系电话 " + "*" * 13
    assert mask_identity("检举人李四电话138123") == "检举人**电话******"
    assert mask_identity("电话1381") == "电话****"  # short, but right after 电话
    assert "110101" not in mask_identity("身份证号：11010119900307123X")


def test_case_numbers_and_dates_stay_readable() -> None:
    text = "XF20261124-0007 已于2026年12月09日受理"
    assert mask_identity(text) == text


def test_name_address_and_known_values() -> None:
    masked = mask_identity("我叫张三，家住城关镇幸福路8号。举报村会计", known=("张三", None, "城关镇幸福路8号"))
    assert "张三" not in masked and "幸福路" not in masked and masked.endswith("举报村会计")
    # A known value cut at the end of a title is masked too.
    assert mask_identity("反映人是王小明", known=("王小明同志",)) == "反映人是" + "*" * 3
