"""Progress bars for long verification runs (rich), with a rate that stays readable when slow."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["progress_bar", "rate_text"]


def rate_text(count: float, seconds: float, unit: str = "单位例") -> str:
    """A rate that never reads "0/秒": per second when ≥ 1 per second, else per minute or seconds each.

    Args:
        count: How many were done.
        seconds: In how many seconds.
        unit: What is counted (Chinese, shown to users).

    Returns:
        e.g. "120单位例/秒", "2.5单位例/秒", "6.7单位例/分", "每单位例95秒".
    """
    if count <= 0 or seconds <= 0:
        return f"—{unit}/秒"
    rate = count / seconds
    if rate >= 10:
        return f"{rate:.0f}{unit}/秒"
    if rate >= 1:
        return f"{rate:.1f}{unit}/秒"
    if rate * 60 >= 1:
        return f"{rate * 60:.1f}{unit}/分"
    return f"每{unit}{seconds / count:.0f}秒"


class _RateColumn(ProgressColumn):
    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if not speed:
            elapsed = task.elapsed or 0.0
            return Text(rate_text(task.completed, elapsed, self.unit), style="progress.data.speed")
        return Text(rate_text(speed, 1.0, self.unit), style="progress.data.speed")


@contextlib.contextmanager
def progress_bar(
    description: str, total: int, unit: str = "单位例", enabled: bool | None = None
) -> Iterator[Callable[[int], None]]:
    """Show a progress bar on stderr while the block runs; yields ``advance(n)``.

    Args:
        description: What is running (e.g. "anqing_2023 [formulas]").
        total: How many units of work in all.
        unit: What is counted.
        enabled: Force on/off; by default on when stderr is a terminal.

    Yields:
        A function advancing the bar by ``n``.
    """
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda n: None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        _RateColumn(unit),
        TimeElapsedColumn(),
        TextColumn("剩余"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
