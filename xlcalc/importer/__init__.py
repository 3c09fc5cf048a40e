"""``xlcalc import``: filled 自评表 (.txt copied from Word, .xlsx, .docx) → compact spec + inputs."""
