"""`itnews --version` and `itnews version`: what is installed, for bug reports and scripts."""

from __future__ import annotations

import json
import platform
from importlib import metadata

import typer

from itnews.cli import JsonFlag, app

# The libraries whose versions change what itnews outputs or how fast; `--version` names the models' own.
MODEL_LIBRARIES = ("torch", "transformers", "ctranslate2")
LIBRARIES = (*MODEL_LIBRARIES, "ray", "sentencepiece", "datasets", "typer")


def installed(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def one_line() -> str:
    """``itnews 0.1.0 (torch 2.13.0, transformers 5.1.0, ctranslate2 not installed)``: metadata only,
    nothing imported, so that it answers at once."""
    behind = ", ".join(f"{name} {installed(name) or 'not installed'}" for name in MODEL_LIBRARIES)
    return f"itnews {installed('itnews')} ({behind})"


def print_version(value: bool) -> None:
    if value:
        print(one_line())
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=print_version, is_eager=True, help="Print the versions and exit."
    ),
) -> None:
    pass  # the options of `itnews` itself; its help is the app's


@app.command("version")
def version_command(as_json: JsonFlag = False) -> None:
    """itnews, Python and the libraries behind it, and the devices torch finds."""
    import torch

    cuda = torch.cuda.is_available()
    found = {
        "itnews": installed("itnews"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **{name: installed(name) for name in LIBRARIES},
        "device": {
            "cuda": cuda,
            "cuda_version": torch.version.cuda,
            "gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else [],
            "cpu_threads": torch.get_num_threads(),
        },
    }
    if as_json:
        print(json.dumps(found))
        return
    for key, value in found.items():
        if key == "device":
            build = f"CUDA {value['cuda_version']} build" if value["cuda_version"] else "CPU build"
            gpus = ", ".join(value["gpus"]) or "none"
            value = f"torch {build}, GPUs: {gpus}, {value['cpu_threads']} CPU threads"
        print(f"{key:13} {value if value is not None else 'not installed'}")
