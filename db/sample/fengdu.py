"""Fengdu county (region code 500230): its 30 乡镇（街道） and the 安委会成员单位 of the sample.

The names are real; the weights (relative numbers of enterprises) and everything seeded under
them are synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.codes import Sector

REGION_CODE = "500230"
COUNTY_NAME = "丰都县"


@dataclass(frozen=True)
class TownshipSpec:
    name: str
    weight: float  # relative number of enterprises
    industrial: float  # relative share of high-risk and 工贸 enterprises (1.0 = county average)


TOWNSHIPS: tuple[TownshipSpec, ...] = (
    TownshipSpec("三合街道", 15.0, 1.4),
    TownshipSpec("名山街道", 12.0, 0.9),
    TownshipSpec("虎威镇", 3.0, 1.0),
    TownshipSpec("社坛镇", 3.5, 1.2),
    TownshipSpec("三元镇", 3.0, 1.1),
    TownshipSpec("许明寺镇", 2.5, 1.0),
    TownshipSpec("董家镇", 3.0, 1.1),
    TownshipSpec("树人镇", 3.2, 1.3),
    TownshipSpec("十直镇", 3.0, 1.0),
    TownshipSpec("高家镇", 4.0, 1.3),
    TownshipSpec("兴义镇", 4.2, 1.4),
    TownshipSpec("双路镇", 3.0, 1.0),
    TownshipSpec("江池镇", 2.2, 0.9),
    TownshipSpec("龙河镇", 3.0, 1.0),
    TownshipSpec("武平镇", 2.2, 0.9),
    TownshipSpec("包鸾镇", 2.5, 0.9),
    TownshipSpec("湛普镇", 2.8, 1.2),
    TownshipSpec("南天湖镇", 1.8, 0.5),
    TownshipSpec("保合镇", 1.8, 0.8),
    TownshipSpec("兴龙镇", 2.0, 0.9),
    TownshipSpec("仁沙镇", 2.0, 0.9),
    TownshipSpec("龙孔镇", 2.0, 0.9),
    TownshipSpec("暨龙镇", 1.6, 0.7),
    TownshipSpec("双龙镇", 1.6, 0.8),
    TownshipSpec("仙女湖镇", 1.5, 0.6),
    TownshipSpec("青龙乡", 1.0, 0.7),
    TownshipSpec("太平坝乡", 1.0, 0.6),
    TownshipSpec("都督乡", 0.9, 0.6),
    TownshipSpec("栗子乡", 0.9, 0.6),
    TownshipSpec("三建乡", 1.0, 0.7),
)


@dataclass(frozen=True)
class MemberUnitSpec:
    code: str
    name: str
    supervises: tuple[str, ...]  # trade keys of `OTHER_TRADES` / sectors it supervises


# 县安委会成员单位 of the sample; `supervises` decides which enterprises each one supervises.
MEMBER_UNITS: tuple[MemberUnitSpec, ...] = (
    MemberUnitSpec(
        "yjj",
        "县应急管理局",
        (Sector.HAZCHEM, Sector.FIREWORKS, Sector.NONCOAL_MINE, Sector.METALLURGY, Sector.COAL_MINE),
    ),
    MemberUnitSpec("jxw", "县经济信息委", (Sector.INDUSTRY_TRADE,)),
    MemberUnitSpec("zjw", "县住房城乡建委", ("construction",)),
    MemberUnitSpec("jtj", "县交通运输局", ("transport",)),
    MemberUnitSpec("swj", "县商务委", ("retail", "catering")),
    MemberUnitSpec("scj", "县市场监管局", ("special_equipment", "food")),
    MemberUnitSpec("wlw", "县文化旅游委", ("tourism",)),
    MemberUnitSpec("nyw", "县农业农村委", ("agriculture",)),
    MemberUnitSpec("slj", "县水利局", ("water",)),
    MemberUnitSpec("lyj", "县林业局", ("forestry",)),
    MemberUnitSpec("ghj", "县规划自然资源局", ("survey",)),
    MemberUnitSpec("jw", "县教委", ("education",)),
    MemberUnitSpec("wjw", "县卫生健康委", ("health",)),
    MemberUnitSpec("xfz", "县消防救援支队", ("fire",)),
    MemberUnitSpec("gaj", "县公安局", ("security",)),
)

# Enterprise kinds within 其他 (the trades of the member units above), with relative weights and
# name words; the 工贸 and high-risk words follow.
OTHER_TRADES: dict[str, tuple[float, tuple[str, ...]]] = {
    "construction": (22.0, ("建筑工程", "建设工程", "建筑劳务", "装饰工程", "市政工程", "房地产开发")),
    "transport": (10.0, ("运输", "物流", "客运", "货运", "汽车运输")),
    "retail": (16.0, ("商贸", "百货", "超市", "五金经营部", "农资", "加油站")),
    "catering": (8.0, ("餐饮管理", "酒店管理", "火锅")),
    "special_equipment": (3.0, ("电梯工程", "起重设备安装", "锅炉安装")),
    "food": (5.0, ("食品", "粮油", "酒业", "榨菜食品")),
    "tourism": (5.0, ("旅游开发", "文化传媒", "景区管理")),
    "agriculture": (9.0, ("农业开发", "生态农业", "养殖", "果蔬种植")),
    "water": (3.0, ("水务", "供水", "水电开发")),
    "forestry": (2.0, ("林业开发", "苗木")),
    "survey": (2.0, ("测绘", "地质勘查")),
    "education": (2.0, ("职业培训学校", "教育咨询")),
    "health": (3.0, ("医院", "药房", "医疗器械")),
    "fire": (1.0, ("消防工程", "消防技术服务")),
    "security": (2.0, ("保安服务", "安防科技")),
}

SECTOR_WORDS: dict[str, tuple[str, ...]] = {
    Sector.HAZCHEM: ("化工", "化学品经营", "燃气", "石油化工", "液化气", "气体"),
    Sector.FIREWORKS: ("烟花爆竹经营", "花炮"),
    Sector.NONCOAL_MINE: ("矿业", "石料", "砂石", "页岩砖厂", "石灰石开采"),
    Sector.METALLURGY: ("冶金", "铸造", "合金"),
    Sector.COAL_MINE: ("煤业",),
    Sector.INDUSTRY_TRADE: (
        "建材",
        "机械制造",
        "木业",
        "家具",
        "纺织",
        "服装",
        "塑料制品",
        "包装材料",
        "金属制品",
        "水泥",
        "混凝土",
        "陶瓷",
        "纸业",
        "饲料",
        "电子科技",
        "汽车配件",
        "粮食加工",
        "肉类加工",
        "印务",
        "竹木制品",
    ),
}

TRADE_NAMES: tuple[str, ...] = tuple(
    [
        "鑫源",
        "恒达",
        "宏顺",
        "兴旺",
        "金鼎",
        "丰源",
        "长江",
        "名山",
        "平都",
        "龙腾",
        "华宇",
        "永盛",
        "聚福",
        "瑞丰",
        "天成",
        "宏发",
        "隆鑫",
        "渝丰",
        "盛达",
        "博远",
        "祥和",
        "安泰",
        "鸿运",
        "通达",
        "凯旋",
        "德隆",
        "富民",
        "新世纪",
        "巴渝",
        "三峡",
        "江南",
        "汇通",
        "利民",
        "福泰",
        "荣昌",
        "锦程",
        "佳乐",
        "金穗",
        "万家",
        "正大",
        "诚信",
        "顺发",
        "东方",
        "合力",
        "众鑫",
        "永兴",
        "宏图",
        "创新",
        "腾飞",
        "昌盛",
        "源丰",
        "和谐",
        "金鑫",
        "康源",
        "天宇",
        "远航",
        "大地",
        "乐源",
        "同心",
        "华龙",
        "嘉禾",
        "新锐",
        "润泽",
        "广源",
        "信达",
        "宝丰",
        "泰和",
        "雅居",
        "绿野",
        "青山",
        "碧水",
        "华盛",
        "友谊",
        "立信",
        "益民",
        "方圆",
        "骏马",
        "川东",
        "渝东",
        "金桥",
        "明珠",
        "旭日",
        "晨光",
        "卓越",
        "精诚",
        "兴隆",
        "运通",
        "宏宇",
        "安康",
        "中恒",
        "鼎盛",
        "嘉诚",
        "凯达",
        "茂源",
        "瑞祥",
        "银河",
        "长虹",
        "海川",
        "恒信",
        "永安",
        "天顺",
    ]
)
NAME_SUFFIXES: tuple[tuple[str, float], ...] = (
    ("有限公司", 0.72),
    ("有限责任公司", 0.14),
    ("股份有限公司", 0.03),
    ("厂", 0.06),
    ("经营部", 0.05),
)

TRAINING_INSTITUTION_WORDS: tuple[str, ...] = (
    "安全技术培训中心",
    "职业技能培训学校",
    "安全生产培训有限公司",
    "特种作业培训中心",
    "职业培训学校",
)
