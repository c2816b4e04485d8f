"""The base of every table."""

from __future__ import annotations

from sqlmodel import SQLModel
from sqlmodel._compat import SQLModelConfig


class Table(SQLModel):
    """A table model. Pydantic builds its validator and serializer when one is first needed
    (`defer_build`), not at import: a row is built from the database or by the services
    without validation, so most tables never need them, and building all of them at start
    held 0.6 MiB of an idle bot (issue 21's memory target)."""

    model_config = SQLModelConfig(defer_build=True)
