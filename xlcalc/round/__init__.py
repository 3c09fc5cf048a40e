"""An evaluation round: per-unit workbooks out (``distribute``), returned files checked and merged
into one ranked cohort workbook (``collect``). See docs/round.md."""
