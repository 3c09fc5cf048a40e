"""Import + batch audit of many generated 30-row 自评表 (Word-copied text, ten tables a file).

    python3 bench/audit_speed.py [TABLES ...]      # default: 100 1000

Each size runs in a fresh process so the peak memory (ru_maxrss) of one size is not the high-water
mark of another; prints wall and CPU seconds (the machine may be shared) and peak MB. Memory flat in the number of tables
means the peak barely moves between sizes.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xlcalc.workbook.form import INDICATOR_HEADS

ROOT = Path(__file__).resolve().parent.parent
ROWS = 30
PER_FILE = 10
JOBS = 0  # one worker process per core
GROUPS = [
    ("产出指标", "数量指标"),
    ("产出指标", "质量指标"),
    ("产出指标", "时效指标"),
    ("产出指标", "成本指标"),
    ("效益指标", "社会效益指标"),
    ("效益指标", "可持续影响指标"),
    ("满意度指标", "服务对象满意度指标"),
]
TARGETS = [
    ("≥{n}次", "{n}次"),
    ("≥{n}次", "100%"),
    ("100%", "{p}%"),
    ("≥90%", "{p}%"),
    ("≤{n}万", "{n}万"),
    ("1次", "1次"),
    ("前三", "第2名"),
    ("全面完成年度工作任务", "完成"),
    ("≥{n}个工作日", "{n}个工作日"),
]


def table(k: int, rng: random.Random) -> str:
    lines = [
        f"附件：《2023年度测试项目{k}项目支出绩效自评表》",
        "\t项目支出绩效自评表",
        "",
        "\t（2023年度）",
        "",
    ]
    lines += [
        "\t项目名称",
        f"\t测试项目{k}",
        "",
        "\t主管部门",
        "\t测试局",
        "\t实施单位",
        f"\t测试科{k % 7}",
        "",
    ]
    budget, spent = 100, rng.randint(60, 100)
    lines += [
        "\t项目资金\n（万元）",
        "\t",
        *(f"\t{h}" for h in ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")),
        "",
    ]
    lines += [
        "\t",
        "\t年度资金总额",
        f"\t{budget}",
        f"\t{budget}",
        f"\t{spent}",
        "\t10",
        f"\t{spent}%",
        f"\t{spent / 10:.1f}",
        "",
    ]
    lines += ["\t绩效指标", *(f"\t{h}" for h in INDICATOR_HEADS), ""]
    points = [3] * ROWS
    total = 10.0
    prev = ("", "")
    for i in range(ROWS):
        g = GROUPS[i * len(GROUPS) // ROWS]
        target, actual = rng.choice(TARGETS)
        n, p = rng.randint(2, 50), rng.choice((100, 95, 90, 85))
        score = points[i] if rng.random() < 0.8 else points[i] - 1
        total += score
        l1 = g[0] if g[0] != prev[0] else ""
        l2 = g[1] if g != prev else ""
        prev = g
        cells = [
            "",
            l1,
            l2,
            f"指标{i + 1}",
            target.format(n=n),
            actual.format(n=n, p=p),
            str(points[i]),
            str(score),
            "",
        ]
        lines += [*(f"\t{c}" for c in cells), ""]
    lines += ["\t总分", "\t100", f"\t{total - 10 + spent / 10:.1f}", "\t", "", ""]
    return "\n".join(lines)


def run(n: int) -> None:
    sys.path.insert(0, str(ROOT))
    from xlcalc import auditbatch

    rng = random.Random(n)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for f in range(0, n, PER_FILE):
            text = "\n".join(table(k, rng) for k in range(f, min(n, f + PER_FILE)))
            (folder / f"tables_{f:05d}.txt").write_text(text, encoding="utf-8")
        start = time.perf_counter()
        summaries, flagged, errors = auditbatch.run([str(folder)], [], progress=False, jobs=JOBS)
        seconds = time.perf_counter() - start
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = max(me.ru_maxrss, kids.ru_maxrss) / 1024  # the largest process, parent or worker
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    assert len(summaries) == n and not errors, errors[:3]
    print(
        f"{n:6d} tables x {ROWS} rows: {seconds:6.1f} s wall, {cpu:6.1f} s CPU ({cpu / n * 1000:.0f} ms/table), "
        f"peak {peak:.0f} MB per process, {len(flagged)} flagged rows"
    )


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        run(int(argv[1]))
        return
    for n in [int(a) for a in argv] or [100, 1000]:
        subprocess.run([sys.executable, __file__, "--one", str(n)], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
