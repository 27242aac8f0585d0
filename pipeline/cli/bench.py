"""`itnews bench`: the batch path against a model card's loop, on random-weight presets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from itnews.cli import JsonFlag, app, report

if TYPE_CHECKING:
    from itnews.bench import BenchResult


# --- bench ----------------------------------------------------------------------------------


@app.command("bench")
def bench_command(
    preset: Annotated[
        list[str] | None,
        typer.Option(
            "--preset",
            help="Preset to time; repeat for more. Default: the default summariser and translator.",
        ),
    ] = None,
    articles: Annotated[
        int,
        typer.Option(
            "--articles",
            min=1,
            help="Corpus articles per preset, repeated as needed. The default keeps the default presets "
            "within 10 minutes on 2 CPU cores.",
        ),
    ] = 8,
    device: Annotated[str, typer.Option("--device", help="cpu, cuda or cuda:N.")] = "cpu",
    quantize: Annotated[
        bool, typer.Option("--quantize", help="int8 dynamic quantization of the batch path (CPU).")
    ] = False,
    greedy: Annotated[
        bool,
        typer.Option(
            "--greedy", help="Decode greedily on both paths instead of with the presets' beam search."
        ),
    ] = False,
    corpus: Annotated[
        str, typer.Option("--corpus", help="Folder of article files to time (.txt, .html).")
    ] = "corpus/articles",
    dtype: Annotated[
        str | None,
        typer.Option(
            "--dtype",
            help="Cast the batch path's model: bfloat16, float16 or float32 (the loop keeps the preset's).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Articles/s of the batch path against a model card's generate loop, on random-weight models of the
    presets' exact architectures (nothing is downloaded)."""
    from itnews.bench import bench
    from itnews.console import print_json
    from itnews.presets import ModelUnavailable, load_presets
    from itnews.record import InputError

    presets, defaults = load_presets()
    names = preset or [defaults["summariser"], defaults["translator"]]
    if unknown := [name for name in names if name not in presets]:
        raise typer.BadParameter(
            f"unknown preset {', '.join(unknown)}; known: {', '.join(presets)}", param_hint="--preset"
        )
    if dtype not in (None, "bfloat16", "float16", "float32"):
        raise typer.BadParameter("choose bfloat16, float16 or float32", param_hint="--dtype")
    if quantize and device != "cpu":
        raise typer.BadParameter("int8 dynamic quantization runs on CPU only", param_hint="--quantize")
    try:
        for result in bench(names, articles, device, quantize, greedy=greedy, corpus=corpus, dtype=dtype):
            if as_json:
                print_json(result.to_dict())
            else:
                print_bench(result)
    except ModelUnavailable as err:
        report("error", err.name, err.reason)
        raise typer.Exit(1) from None
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None


def print_bench(result: BenchResult) -> None:
    r = result
    print(
        f"# {r.preset} ({r.role}; {r.device} {r.dtype}, {r.threads} threads; {r.parameters_m}M params; "
        f"{r.num_beams} beam{'s' if r.num_beams > 1 else ''})"
    )
    print(f"machine load average at start: {r.load_average}")
    for label, prefix in (("batch path", ""), ("model card", "baseline_")):
        per_s, tokens, p50, p95, rss, gpu = (
            getattr(r, prefix + key)
            for key in ("articles_per_s", "tokens_per_s", "p50_s", "p95_s", "peak_rss_mb", "peak_gpu_mb")
        )
        gpu_memory = f", peak GPU {gpu:.0f} MB" if gpu is not None else ""
        print(
            f"{label}: {per_s:.3f} articles/s, {tokens:.1f} tokens/s, latency p50 {p50:.2f} s "
            f"p95 {p95:.2f} s, peak RSS {rss:.0f} MB{gpu_memory}"
        )
    print(f"speed-up {r.speedup:.2f}x over {r.articles} articles; same output text for {r.agreement:.0%}")
    for note in r.notes:
        print(f"note: {note}")
    print()
