"""Synthetic Chinese names: common surnames (weighted) and given-name characters by sex.

Combinations are random, so the people do not exist; the lists only make rosters look familiar.
"""

from __future__ import annotations

import random

# Common surnames, roughly in order of frequency in Chongqing (weights fall off with the rank).
SURNAMES: tuple[str, ...] = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤冉秦牟"
)
_SURNAME_WEIGHTS: tuple[float, ...] = tuple(1.0 / (rank + 8) for rank in range(len(SURNAMES)))

MALE_CHARS: tuple[str, ...] = tuple(
    "伟强军勇杰涛斌超明刚平辉鹏华飞波宇浩凯健俊帆亮成林峰磊彬鑫志兵东海忠国建文洪春德庆龙江"
    "云川渝豪毅锋坤松柏诚鸿福贵全兴旺达晨阳"
)
FEMALE_CHARS: tuple[str, ...] = tuple(
    "芳娟敏静丽艳娜秀英霞燕玲梅琳红萍雪琴慧莉洁婷倩颖蓉兰凤菊翠琼露瑶佳欣悦璐茜婕晓月彤丹"
)


def random_name(rng: random.Random, *, male: bool) -> str:
    """A two- or three-character name (surname + one or two given characters)."""
    surname = rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    chars = MALE_CHARS if male else FEMALE_CHARS
    if rng.random() < 0.3:
        return surname + rng.choice(chars)
    return surname + rng.choice(chars) + rng.choice(chars)
