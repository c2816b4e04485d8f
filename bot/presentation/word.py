"""Word documents from docxtpl templates: shipped ones in templates/documents/, a union's own
in the folder `DOCUMENTS_DIR` names (a file there of the same name wins).

Rendering is sandboxed (a template cannot reach Python objects' internals), autoescaped
(a worker's `&` or `<` stays text, never broken XML), strict about unknown variables (a typo
fails loudly instead of printing nothing), and runs off the event loop."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from bot.offload import Offloader

SHIPPED = Path(__file__).resolve().parents[2] / "templates" / "documents"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


if TYPE_CHECKING:  # docxtpl, python-docx and lxml load with the first document, not at start
    from docxtpl import Listing


def _lines(value: Any) -> Listing:
    """Multi-line text as Word line breaks; Listing escapes it and marks it safe."""
    from docxtpl import Listing

    return Listing(str(value))


def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    env.filters["lines"] = _lines
    return env


# A list variable whose rows each carry a picture: (rows, the field holding PNG bytes, mm).
RowImages = tuple[Sequence[Mapping[str, Any]], str, float]


class Documents:
    def __init__(self, offload: Offloader, override_dir: Path | None = None) -> None:
        self.offload = offload
        self.folders = [p for p in (override_dir, SHIPPED) if p is not None]

    def path(self, name: str) -> Path:
        for folder in self.folders:
            candidate = folder / f"{name}.docx"
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(f"no document template {name}.docx")

    def render_sync(
        self,
        name: str,
        context: Mapping[str, Any],
        images: Mapping[str, tuple[bytes, float]] | None = None,
        rows: Mapping[str, RowImages] | None = None,
    ) -> bytes:
        """`images`: variable name → (PNG bytes, width in millimetres); `rows`: a list
        variable → (its rows, the field of each holding PNG bytes, width in millimetres)."""
        return render_file(self.path(name), context, images, rows)

    async def render(
        self,
        name: str,
        context: Mapping[str, Any],
        images: Mapping[str, tuple[bytes, float]] | None = None,
        rows: Mapping[str, RowImages] | None = None,
    ) -> bytes:
        return await self.offload.run(self.render_sync, name, context, images, rows)


def render_file(
    path: Path,
    context: Mapping[str, Any],
    images: Mapping[str, tuple[bytes, float]] | None = None,
    rows: Mapping[str, RowImages] | None = None,
) -> bytes:
    from docx import Document
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    template = DocxTemplate(path)
    values = dict(context)
    for key, (data, width) in (images or {}).items():
        values[key] = InlineImage(template, io.BytesIO(data), width=Mm(width))
    for key, (items, field, width) in (rows or {}).items():
        values[key] = [
            {**item, field: InlineImage(template, io.BytesIO(item[field]), width=Mm(width))}
            for item in items
        ]
    template.render(values, jinja_env=environment(), autoescape=True)
    out = io.BytesIO()
    template.save(out)
    content = out.getvalue()
    Document(io.BytesIO(content))  # a file Word could not open is never sent
    return content
