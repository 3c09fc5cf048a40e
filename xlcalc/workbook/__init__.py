"""The Excel back end: compile a rubric spec into a live-formula workbook."""
