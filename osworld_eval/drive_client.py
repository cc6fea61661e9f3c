"""A small Google Drive (REST v2) client: the calls OSWorld's Drive tasks need, over httpx.

v2 because the tasks' queries are written in its language (`title = 'x'`, `'id' in parents`).
Access tokens come from the saved refresh token (refreshed on start and once more on a 401).
Items are found by chaining: the first query (or path name) is asked as written (a path starts
at 'root'), each next one only among the children of what the previous one found.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from gui_agent.errors import EnvError
from osworld_eval.google_settings import DriveCredentials

logger = logging.getLogger(__name__)

FOLDER_MIME = "application/vnd.google-apps.folder"
GOOGLE_APPS_PREFIX = "application/vnd.google-apps."
EXPORT_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".pdf": "application/pdf",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".odt": "application/vnd.oasis.opendocument.text",
}
TIMEOUT_S = 60.0


class DriveError(EnvError):
    """Google Drive answered with an error (or not at all)."""


@dataclass(frozen=True)
class DriveItem:
    id: str
    title: str
    mime_type: str
    export_links: dict[str, str]


def quoted(text: str) -> str:
    """A string literal of Drive's query language."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class DriveClient:
    def __init__(self, credentials: DriveCredentials, *, http: httpx.Client | None = None) -> None:
        self.credentials = credentials
        self.http = http or httpx.Client(timeout=TIMEOUT_S)
        self.api = f"{credentials.api_root}/drive/v2"
        self.upload_api = f"{credentials.api_root}/upload/drive/v2"
        self._token: str | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> DriveClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ------------------------------------------------------------------------------

    def _refresh(self) -> str:
        c = self.credentials
        try:
            reply = self.http.post(
                c.token_uri,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": c.refresh_token,
                    "client_id": c.client_id,
                    "client_secret": c.client_secret,
                },
            )
        except httpx.HTTPError as exc:
            raise DriveError(f"cannot reach Google's token endpoint {c.token_uri}: {exc}") from exc
        if reply.status_code != 200 or "access_token" not in reply.text:
            raise DriveError(
                f"Google refused the saved Drive credentials (HTTP {reply.status_code}: "
                f"{reply.text[:200]}); log in with PyDrive again to renew credentials.json"
            )
        self._token = str(reply.json()["access_token"])
        return self._token

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        token = self._token or self._refresh()
        for attempt in (1, 2):
            try:
                reply = self.http.request(
                    method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs
                )
            except httpx.HTTPError as exc:
                raise DriveError(f"Google Drive did not answer {method} {url}: {exc}") from exc
            if reply.status_code == 401 and attempt == 1:
                token = self._refresh()
                continue
            if reply.status_code >= 400:
                raise DriveError(
                    f"Google Drive {method} {url}: HTTP {reply.status_code} {reply.text[:200]}"
                )
            return reply
        raise AssertionError("unreachable")

    # -- queries --------------------------------------------------------------------------------

    def find(self, query: str) -> list[DriveItem]:
        """Every item matching a Drive query (all pages)."""
        items: list[DriveItem] = []
        page: str | None = None
        while True:
            params = {"q": query, "maxResults": "1000", **({"pageToken": page} if page else {})}
            body = self._call("GET", f"{self.api}/files", params=params).json()
            items += [
                DriveItem(
                    id=entry["id"],
                    title=entry.get("title", ""),
                    mime_type=entry.get("mimeType", ""),
                    export_links=entry.get("exportLinks") or {},
                )
                for entry in body.get("items", [])
            ]
            page = body.get("nextPageToken")
            if not page:
                return items

    def follow_queries(self, queries: Sequence[str]) -> DriveItem | None:
        """The first item of the last query, each query asked among the previous one's children."""
        parent: DriveItem | None = None
        for query in queries:
            scoped = query if parent is None else f"({query}) and {quoted(parent.id)} in parents"
            found = self.find(scoped)
            if not found:
                logger.info("Drive: nothing matches %s", scoped)
                return None
            parent = found[0]
        return parent

    def follow_path(self, names: Sequence[str]) -> DriveItem | None:
        """The item at a path of titles from My Drive's root (trashed items never count)."""
        if not names:
            raise ValueError("an empty Drive path names nothing")
        first = f"title = {quoted(names[0])} and 'root' in parents and trashed = false"
        rest = [f"title = {quoted(name)} and trashed = false" for name in names[1:]]
        return self.follow_queries([first, *rest])

    # -- changes --------------------------------------------------------------------------------

    def delete(self, query: str, *, trash: bool) -> int:
        """Delete (or move to the trash) every item matching `query`; returns how many."""
        found = self.find(query)
        for item in found:
            if trash:
                self._call("POST", f"{self.api}/files/{item.id}/trash")
            else:
                self._call("DELETE", f"{self.api}/files/{item.id}")
        return len(found)

    def make_folders(self, names: Sequence[str]) -> str:
        """Make sure the folder path exists under My Drive's root; returns the last folder's id."""
        parent = "root"
        for name in names:
            query = (
                f"title = {quoted(name)} and {quoted(parent)} in parents and "
                f"mimeType = {quoted(FOLDER_MIME)} and trashed = false"
            )
            found = self.find(query)
            if found:
                parent = found[0].id
                continue
            created = self._call(
                "POST",
                f"{self.api}/files",
                json={"title": name, "mimeType": FOLDER_MIME, "parents": [{"id": parent}]},
            ).json()
            parent = created["id"]
        return parent

    def upload(self, data: bytes, path: Sequence[str]) -> str:
        """Store `data` as the file at `path` (folders made as needed); returns its id."""
        parent = self.make_folders(path[:-1]) if len(path) > 1 else "root"
        created = self._call(
            "POST", f"{self.api}/files", json={"title": path[-1], "parents": [{"id": parent}]}
        ).json()
        self._call(
            "PUT", f"{self.upload_api}/files/{created['id']}", params={"uploadType": "media"},
            content=data,
        )  # fmt: skip
        return str(created["id"])

    def download(self, item: DriveItem, *, suffix: str) -> bytes:
        """The file's bytes; a Google Docs item is exported in the format `suffix` names."""
        if not item.mime_type.startswith(GOOGLE_APPS_PREFIX):
            return self._call("GET", f"{self.api}/files/{item.id}", params={"alt": "media"}).content
        wanted = EXPORT_TYPES.get(suffix.lower())
        link = item.export_links.get(wanted or "")
        if link is None:
            raise DriveError(
                f"Drive cannot export {item.title!r} ({item.mime_type}) as {suffix or 'this type'}"
            )
        return self._call("GET", link).content
