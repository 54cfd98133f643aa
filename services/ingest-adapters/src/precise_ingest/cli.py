"""`precise ingest FILE --source S [--mapping M]`: upload a file to a running platform, wait for its batch and
print the counts. Exits 1 if the batch failed, 2 if the upload was refused."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from precise_chassis.auth.dev_issuer import issue_dev_token
from precise_chassis.auth.roles import Role
from precise_chassis.settings import PlatformSettings

app = typer.Typer(
    help="Upload a source system's export file and wait for it to be ingested.",
    # one command, not a group: options may follow the FILE argument
    context_settings={"allow_interspersed_args": True},
)

READ_BYTES = 1024 * 1024


class UploadRefused(Exception):
    """The platform did not accept the file (wrong source, too large, not permitted)."""


@app.callback(invoke_without_command=True)
def ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="the export file")],
    source: Annotated[str, typer.Option("--source", "-s", help="pnc, anpr, ident1 or legacy")],
    mapping: Annotated[str | None, typer.Option("--mapping", "-m", help="legacy only: the mapping's name")] = None,
    url: Annotated[str, typer.Option(help="the platform's base URL")] = "http://127.0.0.1:8000",
    token: Annotated[
        str | None, typer.Option(help="bearer token; default: a dev token (ingest-system) from the local data dir")
    ] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for the batch to finish")] = 3600.0,
) -> None:
    """Upload FILE for SOURCE, wait until its batch has finished and print its status and counts."""
    bearer = token or issue_dev_token(PlatformSettings(), roles=[Role.INGEST_SYSTEM], sub="precise-ingest-cli")
    try:
        batch = asyncio.run(_run(url, bearer, file, source=source, mapping=mapping, wait_seconds=timeout))
    except UploadRefused as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(batch, indent=2))
    if batch["status"] != "completed":
        raise typer.Exit(1)


async def _run(
    url: str, token: str, file: Path, *, source: str, mapping: str | None, wait_seconds: float
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        return await ingest_file(client, file, source=source, mapping=mapping, wait_seconds=wait_seconds)


async def ingest_file(
    client: httpx.AsyncClient, file: Path, *, source: str, mapping: str | None, wait_seconds: float, poll: float = 0.5
) -> dict[str, Any]:
    """Upload the file (streamed from disk) and poll its batch until completed or failed."""
    params = {"mapping": mapping} if mapping else None
    with file.open("rb") as stream:
        answer = await client.post(f"/ingest/v1/{source}/files", params=params, files={"file": (file.name, stream)})
    if answer.status_code != 202:
        raise UploadRefused(f"the upload was refused ({answer.status_code}): {_detail(answer)}")
    location = answer.headers["location"]
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        state = await client.get(location)
        if state.status_code != 200:
            raise UploadRefused(f"reading the batch failed ({state.status_code}): {_detail(state)}")
        batch: dict[str, Any] = state.json()
        if batch["status"] in ("completed", "failed") or asyncio.get_running_loop().time() > deadline:
            return batch
        await asyncio.sleep(poll)


def _detail(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("detail", answer.text))
    except ValueError:
        return answer.text
