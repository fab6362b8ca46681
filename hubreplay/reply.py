"""An answer before it is written to the socket, and the errors the routes raise."""
from __future__ import annotations

import orjson

#: The replay hub's version, sent on every answer as `hfcrawl.provenance.REPLAY_HEADER: hubreplay/<version>`
#: (`SERVER`, added to every answer's head by the server's one send path).
VERSION = "0.1"
SERVER = f"hubreplay/{VERSION}"

ERROR_PAGE = (b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Hugging Face - We're having trouble"
              b"</title></head><body><main><h1>Something went wrong</h1><p>We're working on it. Please retry in a "
              b"few minutes.</p><a href=\"https://status.huggingface.co/\">status.huggingface.co</a></main></body>"
              b"</html>\n")
HTML = "text/html; charset=utf-8"


class Reply:
    """Status, headers and body; ``action`` tells the server to drop the connection ("drop"), to close it after
    a body shorter than announced ("dataloss"), or that a control route answered ("control", not counted)."""
    __slots__ = ("status", "headers", "body", "action", "delay", "content_length")

    def __init__(self, status=200, body=b"", ctype="application/json; charset=utf-8", headers=None):
        self.status = status
        self.headers = [("Content-Type", ctype)] + list(headers or ())
        self.body = body
        self.action = None  # None | "drop" | "dataloss" | "control"
        self.delay = 0.0
        self.content_length = None


def json_error(status: int, msg: str) -> Reply:
    """The Hub's JSON error body: ``{"error": msg}``."""
    return Reply(status, orjson.dumps({"error": msg}))


class BadRequest(Exception):
    """A request the Hub answers with 400 (bad sort, limit, expand, cursor, page, type)."""
