"""The wording of import problems: no doubled quotes or brackets (issue 15 item 6)."""

from __future__ import annotations

from db.xlsx.tables import ImportProblem, column_ref


def test_a_header_with_its_own_unit_is_not_bracketed_twice() -> None:
    assert column_ref(26, "罚款金额（万元）") == "Z（罚款金额，万元）"
    assert column_ref(3, "检查生产经营单位数") == "C（检查生产经营单位数）"
    assert column_ref(4) == "D"


def test_a_value_already_in_quotes_is_not_quoted_again() -> None:
    names = ImportProblem("汇总表", 0, "", "“汇总表”、“企业名单”", "系统下载的模板", "找不到汇总表")
    assert str(names) == "工作表“汇总表”：找不到汇总表（读到“汇总表”、“企业名单”，应为系统下载的模板）"
    plain = ImportProblem("汇总表", 5, "C（检查生产经营单位数）", "abc", "整数", "不是数字")
    assert str(plain) == "工作表“汇总表”第 5 行 C（检查生产经营单位数） 列：不是数字（读到“abc”，应为整数）"
    assert "““" not in str(names) and "””" not in str(names)
