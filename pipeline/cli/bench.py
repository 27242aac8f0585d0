"""`itnews bench`: the batch path against a model card's loop, on random-weight presets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from itnews.cli import JsonFlag, app, report

if TYPE_CHECKING:
    from itnews.bench.suite import BenchResult


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
    run: Annotated[
        list[str] | None,
        typer.Option(
            "--run",
            help="A way to run each preset, timed against the model-card loop; repeat for more. "
            "torch[:float32|bfloat16|float16|int8] (the batch path), ctranslate2[:COMPUTE_TYPE] (the batch "
            "path on CTranslate2: int8, int8_float32, float32...), ctranslate2-direct[:COMPUTE_TYPE] "
            "(CTranslate2 used directly, without the pipeline). Default: torch.",
        ),
    ] = None,
    greedy: Annotated[
        bool,
        typer.Option(
            "--greedy", help="Decode greedily on both paths instead of with the presets' beam search."
        ),
    ] = False,
    corpus: Annotated[
        str, typer.Option("--corpus", help="Folder of article files to time (.txt, .html).")
    ] = "corpus/articles",
    as_json: JsonFlag = False,
) -> None:
    """Articles/s of the batch path against a model card's generate loop, on random-weight models of the
    presets' exact architectures (nothing is downloaded)."""
    from itnews.bench.suite import BenchRun, bench
    from itnews.core.console import print_json
    from itnews.core.record import InputError
    from itnews.summarise.presets import ModelUnavailable, load_presets

    presets, defaults = load_presets()
    names = preset or [defaults["summariser"], defaults["translator"]]
    if unknown := [name for name in names if name not in presets]:
        raise typer.BadParameter(
            f"unknown preset {', '.join(unknown)}; known: {', '.join(presets)}", param_hint="--preset"
        )
    try:
        runs = [BenchRun.parse(text) for text in run or ["torch"]]
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--run") from None
    if any(r.backend == "torch" and r.dtype == "int8" for r in runs) and device != "cpu":
        raise typer.BadParameter("torch's int8 dynamic quantization runs on CPU only", param_hint="--run")
    try:
        shown = None
        for result in bench(names, articles, device, runs, greedy=greedy, corpus=corpus):
            if as_json:
                print_json(result.to_dict())
            else:
                print_bench(result, header=result.preset != shown)
            shown = result.preset
    except ModelUnavailable as err:
        report("error", err.name, err.reason)
        raise typer.Exit(1) from None
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None


def print_bench(result: BenchResult, header: bool) -> None:
    r = result
    if header:
        print(
            f"# {r.preset} ({r.role}; {r.device}, {r.threads} threads; {r.parameters_m}M params; "
            f"{r.num_beams} beam{'s' if r.num_beams > 1 else ''}; {r.articles} articles)"
        )
        print(f"model card loop (torch): {figures(r, 'baseline_')}")
        for note in r.notes:
            print(f"note: {note}")
    print(
        f"{r.backend} {r.dtype}: {figures(r, '')}; speed-up {r.speedup:.2f}x; same text {r.agreement:.0%}, "
        f"same tokens {r.token_agreement:.0%} (machine load {r.load_average})"
    )
    if r.decoded_past_forced:
        print(
            f"  CTranslate2 takes one output length per call: {r.decoded_past_forced} more tokens were "
            "decoded past the forced lengths and cut (torch stops each output at its own)"
        )


def figures(r: BenchResult, prefix: str) -> str:
    per_s, tokens, p50, p95, rss, gpu = (
        getattr(r, prefix + key)
        for key in ("articles_per_s", "tokens_per_s", "p50_s", "p95_s", "peak_rss_mb", "peak_gpu_mb")
    )
    gpu_memory = f", peak GPU {gpu:.0f} MB" if gpu is not None else ""
    return (
        f"{per_s:.3f} articles/s, {tokens:.1f} tokens/s, latency p50 {p50:.2f} s p95 {p95:.2f} s, "
        f"peak RSS {rss:.0f} MB{gpu_memory}"
    )
