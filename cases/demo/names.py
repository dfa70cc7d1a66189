"""Word lists for the demo office: fictional places, plausible Chinese names, crimes and team topics."""

from __future__ import annotations

PROVINCE = ("江南省", "990000")
CITIES = ["江州市", "临川市", "云州市", "青阳市", "白水市", "金陵市", "东海市", "南屏市", "石城市", "澄江市", "安平市"]
DISTRICTS = [
    "东湖区",
    "西城区",
    "南山区",
    "北塘区",
    "临江县",
    "青山区",
    "白沙区",
    "金水区",
    "云溪县",
    "石门县",
    "梅林区",
    "桃源县",
    "柳岸区",
    "松江区",
    "河西区",
    "江北区",
    "望城县",
    "长宁区",
    "平湖市",
    "安吉县",
    "清河区",
    "凤凰县",
    "龙泉市",
    "双桥区",
    "新港区",
    "高新区",
    "鹤鸣县",
    "兴隆县",
    "丰乐区",
    "永和县",
]

DEPARTMENTS = ["第一检察部", "第二检察部", "第三检察部", "第四检察部", "第五检察部"]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红文斌宇浩凯鹏辉晨欣怡佳雪婷琳博睿思远航晓东海燕倩颖"

# Team topics: (name, code stem, crimes (罪名, category) typical of the team, case line)
TEAM_TOPICS: list[tuple[str, str, list[tuple[str, str]], str]] = [
    (
        "合规护企",
        "HGHQ",
        [("虚开增值税专用发票", "economic"), ("合同诈骗", "economic"), ("职务侵占", "economic")],
        "criminal",
    ),
    (
        "长江保护",
        "CJBH",
        [("非法捕捞水产品", "ordinary"), ("污染环境", "ordinary"), ("非法采矿", "ordinary")],
        "criminal",
    ),
    ("未成年人检察", "WJ", [("盗窃", "ordinary"), ("寻衅滋事", "ordinary"), ("聚众斗殴", "ordinary")], "criminal"),
    (
        "知识产权",
        "ZSCQ",
        [("假冒注册商标", "economic"), ("侵犯商业秘密", "economic"), ("侵犯著作权", "economic")],
        "criminal",
    ),
    (
        "金融犯罪",
        "JRFZ",
        [("非法吸收公众存款", "economic"), ("集资诈骗", "economic"), ("骗取贷款", "economic")],
        "criminal",
    ),
    (
        "毒品犯罪",
        "DPFZ",
        [("贩卖毒品", "major"), ("容留他人吸毒", "ordinary"), ("非法持有毒品", "ordinary")],
        "criminal",
    ),
    (
        "网络犯罪",
        "WLFZ",
        [("帮助信息网络犯罪活动", "ordinary"), ("诈骗", "ordinary"), ("开设赌场", "ordinary")],
        "criminal",
    ),
    (
        "认罪认罚",
        "RZRF",
        [("盗窃", "ordinary"), ("故意伤害", "ordinary"), ("掩饰、隐瞒犯罪所得", "ordinary")],
        "criminal",
    ),
    ("公益诉讼", "GYSS", [("生态环境损害", ""), ("食品药品安全", ""), ("国有财产保护", "")], "public_interest"),
    ("危险驾驶", "WXJS", [("危险驾驶", "ordinary"), ("交通肇事", "ordinary")], "criminal"),
]

# What each department handles: (line, weight) and (crime, category, weight) for criminal lines.
DEPARTMENT_LINES: list[list[tuple[str, int]]] = [
    [("criminal", 1)],
    [("criminal", 1)],
    [("criminal", 1)],
    [("civil", 5), ("administrative", 3), ("criminal", 2)],
    [("public_interest", 4), ("complaint", 3), ("criminal", 3)],
]
DEPARTMENT_CRIMES: list[list[tuple[str, str, int]]] = [
    [
        ("盗窃", "ordinary", 5),
        ("危险驾驶", "ordinary", 5),
        ("故意伤害", "ordinary", 3),
        ("寻衅滋事", "ordinary", 2),
        ("诈骗", "ordinary", 3),
        ("帮助信息网络犯罪活动", "ordinary", 3),
    ],
    [
        ("贩卖毒品", "major", 3),
        ("抢劫", "major", 2),
        ("故意杀人", "major", 1),
        ("强奸", "major", 1),
        ("组织、领导黑社会性质组织", "major", 1),
        ("非法吸收公众存款", "economic", 2),
    ],
    [
        ("受贿", "duty", 2),
        ("贪污", "duty", 2),
        ("挪用公款", "duty", 1),
        ("合同诈骗", "economic", 3),
        ("虚开增值税专用发票", "economic", 3),
        ("集资诈骗", "economic", 1),
    ],
    [("盗窃", "ordinary", 3), ("诈骗", "ordinary", 2)],
    [("盗窃", "ordinary", 2), ("非法捕捞水产品", "ordinary", 1)],
]
# The crimes above as charges of the seeded catalogue (cases.charge_seed), by code.
CRIME_CHARGES = {
    "盗窃": "264",
    "危险驾驶": "133-1",
    "故意伤害": "234",
    "寻衅滋事": "293",
    "诈骗": "266",
    "帮助信息网络犯罪活动": "287-2",
    "贩卖毒品": "347",
    "抢劫": "263",
    "故意杀人": "232",
    "强奸": "236",
    "组织、领导黑社会性质组织": "294a",
    "非法吸收公众存款": "176",
    "受贿": "385",
    "贪污": "382",
    "挪用公款": "384",
    "合同诈骗": "224",
    "虚开增值税专用发票": "205",
    "集资诈骗": "192",
    "非法捕捞水产品": "340",
    "侵犯商业秘密": "219",
    "侵犯著作权": "217",
    "假冒注册商标": "213",
    "容留他人吸毒": "354",
    "开设赌场": "303b",
    "污染环境": "338",
    "职务侵占": "271",
    "聚众斗殴": "292",
    "非法持有毒品": "348",
    "非法采矿": "343a",
    "骗取贷款": "175-1",
}
OTHER_LINE_TITLES = {
    "civil": ["民事生效裁判监督", "民事执行监督", "虚假诉讼监督"],
    "administrative": ["行政生效裁判监督", "行政非诉执行监督", "行政争议实质性化解"],
    "public_interest": ["生态环境和资源保护公益诉讼", "食品药品安全公益诉讼", "国有财产保护公益诉讼"],
    "complaint": ["刑事申诉审查", "国家司法救助", "控告审查"],
}
LINE_LETTER = {"criminal": "刑", "civil": "民", "administrative": "行", "public_interest": "公", "complaint": "控"}
