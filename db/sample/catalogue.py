"""The 操作项目 sample workers hold, by sector (a subset of the national catalogue).

Names are spelt exactly as in `operation-catalogue.json` (a test checks it) so the verifier's
UNKNOWN_ITEM rule stays quiet for sample data.
"""

from __future__ import annotations

from db.codes import Sector

CATEGORY_OF_ITEM: dict[str, str] = {
    "低压电工作业": "电工作业",
    "高压电工作业": "电工作业",
    "防爆电气作业": "电工作业",
    "熔化焊接与热切割作业": "焊接与热切割作业",
    "压力焊作业": "焊接与热切割作业",
    "登高架设作业": "高处作业",
    "高处安装、维护、拆除作业": "高处作业",
    "制冷与空调设备运行操作作业": "制冷与空调作业",
    "制冷与空调设备安装修理作业": "制冷与空调作业",
    "金属非金属矿山爆破作业": "金属非金属矿山安全作业",
    "金属非金属矿山安全检查作业": "金属非金属矿山安全作业",
    "金属非金属矿山排水作业": "金属非金属矿山安全作业",
    "尾矿作业": "金属非金属矿山安全作业",
    "煤气作业": "冶金（有色）生产安全作业",
    "氯化工艺作业": "危险化学品安全作业",
    "聚合工艺作业": "危险化学品安全作业",
    "化工自动化控制仪表作业": "危险化学品安全作业",
    "烷基化工艺作业": "危险化学品安全作业",
    "烟火药制造作业": "烟花爆竹安全作业",
    "烟花爆竹储存作业": "烟花爆竹安全作业",
    "烟花爆竹产品涉药作业": "烟花爆竹安全作业",
    "煤矿井下电气作业": "煤矿安全作业",
    "煤矿瓦斯检查作业": "煤矿安全作业",
}

_COMMON = (
    "低压电工作业",
    "低压电工作业",
    "熔化焊接与热切割作业",
    "熔化焊接与热切割作业",
    "登高架设作业",
    "高处安装、维护、拆除作业",
    "制冷与空调设备运行操作作业",
    "高压电工作业",
)

# Items drawn for a worker of each sector (repeats make an item more likely).
SECTOR_OPERATIONS: dict[str, tuple[str, ...]] = {
    Sector.HAZCHEM: (
        "化工自动化控制仪表作业",
        "氯化工艺作业",
        "聚合工艺作业",
        "烷基化工艺作业",
        "防爆电气作业",
        "低压电工作业",
        "熔化焊接与热切割作业",
    ),
    Sector.FIREWORKS: (
        "烟火药制造作业",
        "烟花爆竹储存作业",
        "烟花爆竹产品涉药作业",
        "烟花爆竹储存作业",
        "低压电工作业",
    ),
    Sector.NONCOAL_MINE: (
        "金属非金属矿山爆破作业",
        "金属非金属矿山安全检查作业",
        "金属非金属矿山排水作业",
        "尾矿作业",
        "低压电工作业",
        "熔化焊接与热切割作业",
    ),
    Sector.METALLURGY: ("煤气作业", "煤气作业", "熔化焊接与热切割作业", "高压电工作业", "低压电工作业"),
    Sector.COAL_MINE: ("煤矿井下电气作业", "煤矿瓦斯检查作业", "低压电工作业"),
    Sector.INDUSTRY_TRADE: (*_COMMON, "压力焊作业", "制冷与空调设备安装修理作业"),
    Sector.OTHER: _COMMON,
}


def category_of(item: str) -> str | None:
    """The 作业类别 of a sample 操作项目 (None for an item outside the sample subset)."""
    return CATEGORY_OF_ITEM.get(item)
