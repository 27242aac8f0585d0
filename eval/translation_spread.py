"""Translation batches with and without `TRANSLATION_SPREAD`, in one process, alternating.

transformers' generate computes every row of a batch until its longest output ends; a translation is
about as long as its source, so mixing 10- and 60-token sentences wastes rows. This times the
pipeline's batch path for opus-mt-it-en (random weights of its exact architecture, forced lengths, as
`itnews bench` builds it) after the model-card loop, with batches split by the spread rule and not,
in turns (also greedy, where the pipeline does not split them):

    python eval/translation_spread.py --articles 8 --rounds 3 [--greedy]
"""

from __future__ import annotations

import argparse
import functools
import statistics

import itnews.summarise.seq2seq as seq2seq_module
from itnews.bench.paths import batch_path, measure, model_card_loop, pipeline_steps
from itnews.bench.stand_ins import LengthForcer, build_model, translation_lengths
from itnews.bench.suite import corpus_sample, greedy_preset, torch_model
from itnews.summarise.presets import load_presets


def batched_with_spread(original, value: float, lengths, max_length, device, beams=1, spread=0.0):
    return original(lengths, max_length, device, beams, value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="opus-mt-it-en")
    parser.add_argument("--articles", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--greedy", action="store_true")
    args = parser.parse_args()

    preset = load_presets()[0][args.preset]
    preset = greedy_preset(preset) if args.greedy else preset
    chosen, pieces = corpus_sample("corpus/articles", args.articles)
    model, _ = build_model(preset)
    loaded = torch_model(preset, model, pieces, "cpu")
    forcer = LengthForcer(model, translation_lengths(preset))
    loop = measure(functools.partial(model_card_loop, loaded, "translate", chosen), forcer, "cpu")
    print(f"{preset.name}, {args.articles} articles, {preset.generate.get('num_beams', 1)} beams")
    print(f"model-card loop: {loop.seconds:.1f} s")
    spread = seq2seq_module.TRANSLATION_SPREAD
    original = seq2seq_module.length_sorted_batches
    steps = pipeline_steps(loaded, "translate")
    seconds: dict[float, list[float]] = {spread: [], 0.0: []}
    for round_number in range(args.rounds):
        for value in (spread, 0.0) if round_number % 2 == 0 else (0.0, spread):
            # Whatever the decoding: the rule itself applies only under beam search.
            seq2seq_module.length_sorted_batches = functools.partial(batched_with_spread, original, value)
            run = measure(functools.partial(batch_path, steps, "translate", chosen, "cpu"), forcer, "cpu")
            seconds[value].append(run.seconds)
            same = sum(a == b for a, b in zip(run.outputs, loop.outputs, strict=True))
            print(
                f"spread {value}: {run.seconds:6.1f} s, {loop.seconds / run.seconds:.2f}x the loop, "
                f"same text as the loop {same}/{args.articles}, peak RSS {run.peak_rss_mb:.0f} MB"
            )
    for value, values in seconds.items():
        median = statistics.median(values)
        print(f"median, spread {value}: {median:.1f} s, {loop.seconds / median:.2f}x the loop")


if __name__ == "__main__":
    main()
