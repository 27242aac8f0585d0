"""The pipeline on CTranslate2 against CTranslate2 used directly, in alternating rounds.

`itnews bench` measures each run once; two runs a few percent apart need repeats. Each round here
times, in alternating order, on the same converted model, compute type, articles and forced lengths:
the pipeline's batch path (`--backend ctranslate2`: ingest, cleaning, the summary steps, the runner)
and CTranslate2 used as its documentation shows (`itnews.bench.paths.ctranslate2_direct`). Prints
every round, the time inside CTranslate2 and outside it, and the medians.

    python eval/ctranslate2_peer.py --preset bart-it-fanpage --compute-type int8 --rounds 6 [--greedy]
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import time
from pathlib import Path

from itnews.bench.paths import batch_path, ctranslate2_direct, measure, pipeline_steps
from itnews.bench.stand_ins import CTranslate2LengthForcer, build_model, summary_lengths, translation_lengths
from itnews.bench.suite import corpus_sample, ctranslate2_model, greedy_preset, torch_model
from itnews.summarise.presets import load_presets


class TimedTranslator:
    """The translator, counting the seconds spent inside CTranslate2: the rest is what each way adds
    (reading, cleaning, tokenizing, batching, decoding), apart from CTranslate2's own run-to-run noise."""

    def __init__(self, translator):
        self.translator = translator
        self.seconds = 0.0

    def translate_batch(self, *args, **kwargs):
        started = time.perf_counter()
        results = self.translator.translate_batch(*args, **kwargs)
        self.seconds += time.perf_counter() - started
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="bart-it-fanpage")
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--articles", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--greedy", action="store_true")
    args = parser.parse_args()

    preset = load_presets()[0][args.preset]
    preset = greedy_preset(preset) if args.greedy else preset
    chosen, pieces = corpus_sample("corpus/articles", args.articles)
    lengths = translation_lengths(preset) if preset.task == "translate" else summary_lengths
    model, _ = build_model(preset)
    seq2seq = torch_model(preset, model, pieces, "cpu")
    with tempfile.TemporaryDirectory() as converted:
        loaded = ctranslate2_model(seq2seq, Path(converted), "cpu", args.compute_type)
        forcer = CTranslate2LengthForcer(loaded, lengths)
        forcer.translator = inside = TimedTranslator(forcer.translator)
        ways = {
            "pipeline": functools.partial(
                batch_path, pipeline_steps(loaded, preset.task), preset.task, chosen, "cpu"
            ),
            "direct": functools.partial(ctranslate2_direct, loaded, preset.task, chosen),
        }
        seconds: dict[str, list[float]] = {name: [] for name in ways}
        outside: dict[str, list[float]] = {name: [] for name in ways}
        outputs = {}
        print(
            f"{preset.name} ({preset.task}), {args.articles} articles, "
            f"{preset.generate.get('num_beams', 1)} beams, CTranslate2 {args.compute_type}, "
            f"{len(os.sched_getaffinity(0))} threads"
        )
        for round_number in range(1, args.rounds + 1):
            # Alternate which goes first (ABBA): the first run of a round was measured slower either way.
            order = list(ways.items()) if round_number % 2 else list(ways.items())[::-1]
            for name, way in order:
                inside.seconds = 0.0
                run = measure(way, forcer, "cpu")
                seconds[name].append(run.seconds)
                outside[name].append(run.seconds - inside.seconds)
                outputs[name] = run.outputs
                print(
                    f"round {round_number} {name:8s} {run.seconds:6.2f} s  "
                    f"{args.articles / run.seconds:.3f} articles/s  in CTranslate2 {inside.seconds:6.2f} s, "
                    f"outside {run.seconds - inside.seconds:.3f} s  load {os.getloadavg()[0]:.2f}"
                )
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    same = sum(a == b for a, b in zip(outputs["pipeline"], outputs["direct"], strict=True))
    for name in ways:
        print(f"median time outside CTranslate2, {name}: {statistics.median(outside[name]):.3f} s")
    print(
        f"median: pipeline {args.articles / medians['pipeline']:.3f} articles/s, direct "
        f"{args.articles / medians['direct']:.3f} articles/s; pipeline / direct "
        f"{medians['direct'] / medians['pipeline']:.3f}x; same text {same}/{args.articles}"
    )


if __name__ == "__main__":
    main()
