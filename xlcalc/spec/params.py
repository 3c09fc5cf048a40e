"""Interpretive parameters every rubric may use, with documented defaults.

A spec may override any of them (label, default, doc) under ``params``; it may also declare its
own (veto scope, penalty pool, sample rule). Choice parameters hold their Chinese label in the
workbook's 参数 sheet, so formulas compare against the label the user sees.
"""

from __future__ import annotations

from xlcalc.spec.model import ParamDef

STANDARD_PARAMS: tuple[ParamDef, ...] = (
    ParamDef(
        name="partial_step",
        label="不足一档的处理",
        doc="“每降低N个百分点扣Y分”中不足一档的差距如何计：不足一档不扣（向下取整）、按一档扣（向上取整）、"
        "按比例扣，或四舍五入到整档。默认不足一档不扣：规则只对“每降低N个百分点”扣分。",
        default="floor",
        choices=(
            ("floor", "不足一档不扣"),
            ("ceil", "不足一档按一档扣"),
            ("proportional", "按比例扣"),
            ("round", "四舍五入到整档"),
        ),
    ),
    ParamDef(
        name="negative_scores",
        label="未写“扣完为止”的细则",
        doc="细则未写“扣完为止”时，扣分超过分值是否允许出现负分。默认不低于0分：负分会侵占其他细则的分值，"
        "与“分值”的含义不符。",
        default="clamp",
        choices=(("clamp", "不低于0分"), ("allow", "允许负分")),
    ),
    ParamDef(
        name="score_decimals",
        label="细则得分保留小数位",
        doc="每条细则的得分按四舍五入（Excel ROUND，半数远离零）保留的小数位数。默认2位，与国家绩效系统一致。",
        default=2.0,
        lo=0,
        hi=4,
        integer=True,
    ),
    ParamDef(
        name="rank_ties",
        label="并列排名方式",
        doc="“百分比相等的按并列排名得分”：并列占位（1,2,2,4，Excel RANK.EQ）或并列不占位（1,2,2,3）。"
        "默认并列占位，这是排名的通行做法。",
        default="competition",
        choices=(("competition", "并列占位（1,2,2,4）"), ("dense", "并列不占位（1,2,2,3）")),
    ),
    ParamDef(
        name="rank_beyond",
        label="名次超出所列档次的得分",
        doc="规则只列出前若干名的得分（如第7-9名得0.8分），其后名次的得分。默认0分。",
        default=0.0,
        lo=0,
        hi=100,
    ),
    ParamDef(
        name="rank_precision",
        label="排名比较精度（小数位）",
        doc="比较比率是否“相等”前保留的小数位数（比率为小数，4位即0.01%）。默认4位。",
        default=4.0,
        lo=0,
        hi=8,
        integer=True,
    ),
)
