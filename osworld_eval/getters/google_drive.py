"""`googledrive_file`: files the agent put in Google Drive, downloaded for the metric.

The config finds each file by a `path` of titles from My Drive's root, or by a chain of Drive
`query` strings (each asked among the children of the previous one's first match); `path_list`
and `query_list` find several, one per `dest`. A Google Docs item is exported in the format
its `dest` name ends with. A file that is not there becomes None (its metric scores 0), as a
missing `vm_file` does. Needs the user's Google credentials (google_settings.py).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from osworld_eval.drive_client import DriveClient, DriveItem
from osworld_eval.getters.base import GetterContext
from osworld_eval.google_settings import load_drive_credentials

logger = logging.getLogger(__name__)


def _lookups(config: dict[str, Any]) -> list[tuple[str, list[str], str]]:
    """(kind, names or queries, dest) for each file the config asks for."""
    dests = config["dest"] if isinstance(config["dest"], list) else [config["dest"]]
    for kind in ("path", "query"):
        if f"{kind}_list" in config:
            chains = config[f"{kind}_list"]
            if len(chains) != len(dests):
                raise ValueError(f"googledrive_file: {len(chains)} {kind}s but {len(dests)} dests")
            return [(kind, list(chain), dest) for chain, dest in zip(chains, dests, strict=True)]
        if kind in config:
            chain = config[kind] if isinstance(config[kind], list) else [config[kind]]
            return [(kind, list(chain), dests[0])]
    raise ValueError("googledrive_file needs path, path_list, query or query_list")


def get_googledrive_file(
    ctx: GetterContext, config: dict[str, Any]
) -> str | None | list[str | None]:
    lookups = _lookups(config)
    ctx.result_dir.mkdir(parents=True, exist_ok=True)
    out: list[str | None] = []
    with DriveClient(load_drive_credentials(config["settings_file"])) as drive:
        for kind, chain, dest in lookups:
            item: DriveItem | None = (
                drive.follow_path(chain) if kind == "path" else drive.follow_queries(chain)
            )
            if item is None:
                logger.info("googledrive_file: no Drive file at %s", chain)
                out.append(None)
                continue
            local = ctx.result_dir / dest
            local.write_bytes(drive.download(item, suffix=os.path.splitext(dest)[1]))
            out.append(str(local))
    return out if isinstance(config["dest"], list) else out[0]
