"""Where BART-IT's time goes on CPU, part by part (eval/BENCHMARKS.md, "Greedy decoding").

    OMP_WAIT_POLICY=PASSIVE python eval/profile_parts.py

Prints, on bart-it-fanpage's architecture with seeded random weights (as `itnews bench` builds it):
the encoder for one 810-token article and for a batch of 16 padded to 960 tokens (per article);
80 greedy decoder steps over given encoder outputs at batch sizes 1, 7, 14 and 32; and ingest
(`read_article`) per corpus article, with Python's default regular-expression cache and with a
larger one (it mattered while pysbd segmented sentences: it built a pattern per abbreviation).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import torch
from transformers.modeling_outputs import BaseModelOutput

from itnews.bench.stand_ins import build_model
from itnews.ingest.clean import read_article
from itnews.summarise.presets import load_presets

REPO = Path(__file__).resolve().parent.parent

STEPS = 80


def seconds(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    model, _ = build_model(load_presets()[0]["bart-it-fanpage"])
    encoder = model.get_encoder()
    with torch.inference_mode():
        ids = torch.randint(10, 1000, (16, 960))
        mask = torch.ones_like(ids)
        for row, length in enumerate(range(960, 960 - 16 * 18, -18)):  # a length-sorted batch
            mask[row, length:] = 0
        encoder(input_ids=ids[:1, :810], attention_mask=mask[:1, :810])  # first-call allocations
        alone = seconds(lambda: encoder(input_ids=ids[:1, :810], attention_mask=mask[:1, :810]))
        padded = seconds(lambda: encoder(input_ids=ids, attention_mask=mask)) / 16
        print(
            f"encoder, one article of 810 tokens: {alone:.2f} s; "
            f"batch of 16 padded to 960: {padded:.2f} s an article"
        )
        hidden = encoder(input_ids=ids[:1, :810], attention_mask=mask[:1, :810]).last_hidden_state
        for size in (1, 7, 14, 32):
            inputs = {
                "input_ids": ids[:1, :810].expand(size, -1),
                "attention_mask": torch.ones((size, 810), dtype=torch.long),
                "encoder_outputs": BaseModelOutput(
                    last_hidden_state=hidden.expand(size, -1, -1).contiguous()
                ),
            }
            decode = seconds(
                lambda inputs=inputs: model.generate(
                    **inputs, num_beams=1, min_new_tokens=STEPS, max_new_tokens=STEPS
                )
            )
            print(f"{STEPS} greedy steps, batch of {size}: {decode:.2f} s ({decode / size:.2f} s an article)")
    paths = sorted(p for p in (REPO / "corpus" / "articles").iterdir() if p.suffix in (".txt", ".html"))
    for cache in (None, 4096):
        if cache:
            re._MAXCACHE = cache  # private; measured here only, not set by the pipeline
        read_article(str(paths[0]))
        per_article = seconds(lambda: [read_article(str(path)) for path in paths]) / len(paths)
        print(f"ingest, re cache {cache or 'default'}: {per_article:.3f} s an article")


if __name__ == "__main__":
    main()
