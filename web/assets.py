"""Static assets under content-hashed URLs (`static/<hash>/app.js`): cached for a year,
gzipped once at start-up; a new release has new hashes, so nobody runs stale code."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str


class Assets:
    def __init__(self, folder: Path = STATIC) -> None:
        self.files: dict[str, Asset] = {}
        digest = hashlib.sha256()
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            body = path.read_bytes()
            digest.update(path.name.encode() + b"\0" + body)
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind.endswith("javascript"):
                kind += "; charset=utf-8"
            self.files[path.name] = Asset(body, gzip.compress(body, 9, mtime=0), kind)
        self.version = digest.hexdigest()[:12]

    def url(self, name: str) -> str:
        """Relative to the entry page (`/app/`), so a proxy may mount it under any prefix."""
        return f"static/{self.version}/{name}"
