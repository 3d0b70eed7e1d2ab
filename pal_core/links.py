"""Links people paste into notes, made safe to show as clickable links."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

URL_RE = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
MAX_LINKS = 20


def safe_links(text: str) -> list[tuple[str, str]]:
    """(label, url) for each http(s) link in the text, the url percent-encoded so it
    can't break out of a markdown link; other schemes (javascript:, data:) are ignored."""
    links: list[tuple[str, str]] = []
    for match in URL_RE.finditer(text[:100_000]):
        raw = match.group(0).rstrip(".,;:!?)]}")
        parts = urlsplit(raw)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            continue
        url = quote(raw, safe=":/?#[]@!$&'*+,;=%-._~")
        url = url.replace("(", "%28").replace(")", "%29").replace("[", "%5B").replace("]", "%5D")
        label = parts.netloc + (parts.path if len(parts.path) < 40 else parts.path[:37] + "…")
        if (label, url) not in links:
            links.append((label, url))
        if len(links) == MAX_LINKS:
            break
    return links
