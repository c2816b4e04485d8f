"""Word to PDF with LibreOffice, when the machine has it. Each conversion runs headless with
its own profile directory (LibreOffice refuses to run twice on one profile) and a time limit;
conversions share the render slots so a burst cannot start a dozen office processes."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 120


def find_office(configured: str | None) -> str | None:
    """The soffice executable: the configured one, else the first found on PATH."""
    if configured:
        return configured if Path(configured).is_file() else shutil.which(configured)
    return shutil.which("soffice") or shutil.which("libreoffice")


class PdfConverter:
    def __init__(self, office: str | None, slots: int) -> None:
        self.office = office
        self._slots = asyncio.Semaphore(slots)

    @property
    def available(self) -> bool:
        return self.office is not None

    async def convert(self, docx: bytes) -> bytes:
        if self.office is None:
            raise RuntimeError("LibreOffice is not installed")
        async with self._slots:
            with tempfile.TemporaryDirectory(prefix="xieshang-pdf-") as tmp:
                folder = Path(tmp)
                source = folder / "document.docx"
                source.write_bytes(docx)
                process = await asyncio.create_subprocess_exec(
                    self.office,
                    f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(folder),
                    str(source),
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
                try:
                    _, errors = await asyncio.wait_for(process.communicate(), TIMEOUT_SECONDS)
                except TimeoutError:
                    process.kill()
                    await process.wait()
                    raise RuntimeError("LibreOffice took too long") from None
                result = folder / "document.pdf"
                if process.returncode != 0 or not result.is_file():
                    log.warning("PDF conversion failed: %s", errors.decode(errors="replace"))
                    raise RuntimeError("LibreOffice could not convert the document")
                return result.read_bytes()
