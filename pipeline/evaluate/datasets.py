"""Datasets to evaluate on: the standard ones known by name (datasets.toml, beside this module), or
any table of articles and reference summaries (a JSONL/CSV/Parquet file, a `save_to_disk` folder,
a hub dataset), read with the sources `itnews batch` uses.

Articles and references come from the same rows: the article source reads the text field, the
reference sources read the reference fields of the same rows, so that both give every row the same
id (its id field, or ``<file stem>:<row>``).
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from dataclasses import dataclass, field

from itnews.core.record import InputError
from itnews.core.sources import Fields, Source, open_source, present_fields


@dataclass(frozen=True)
class Published:
    """A figure a paper reports on a dataset's test split (ROUGE F in percent)."""

    system: str
    rouge1: float
    rouge2: float
    rougeL: float  # noqa: N815 (the ROUGE type's name)
    source: str


@dataclass(frozen=True)
class KnownDataset:
    name: str
    hub: str
    description: str
    splits: tuple[str, ...]
    split: str  # the one scored by default: the test split papers report on
    text: str
    reference: str
    language: str
    licence: str
    published: tuple[Published, ...] = ()

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@functools.cache
def known_datasets() -> dict[str, KnownDataset]:
    import tomllib
    from importlib import resources

    table = tomllib.loads(resources.files("itnews.evaluate").joinpath("datasets.toml").read_text("utf-8"))
    return {
        name: KnownDataset(
            name=name,
            **{k: tuple(v) if k == "splits" else v for k, v in entry.items() if k != "published"},
            published=tuple(Published(**figure) for figure in entry.get("published", ())),
        )
        for name, entry in table.items()
    }


@dataclass
class DatasetSpec:
    """What `itnews eval --dataset` reads: where, which split, and which fields."""

    dataset: str  # a known name, a file, a folder or a hub id
    split: str | None = None  # None: the known dataset's default split, else "train"
    text_field: str | None = None  # None: the known dataset's, else "text"
    reference_field: str | None = None  # likewise, else "summary"
    reference_en_field: str | None = None
    title_field: str = "title"
    id_field: str = "id"
    known: KnownDataset | None = field(init=False, default=None)

    def __post_init__(self):
        self.known = known_datasets().get(self.dataset)
        default = self.known
        self.split = self.split or (default.split if default else "train")
        self.text_field = self.text_field or (default.text if default else "text")
        self.reference_field = self.reference_field or (default.reference if default else "summary")

    @property
    def name(self) -> str:
        return self.known.name if self.known else self.dataset


@dataclass
class OpenedDataset:
    """The article source and, per language, the source of its references."""

    spec: DatasetSpec
    articles: Source
    references: dict[str, Source]  # language -> the same rows, read for that reference field


def open_dataset(spec: DatasetSpec) -> OpenedDataset:
    """Open the dataset and check its fields before any model loads. InputError when it cannot be
    used: not found (offline, with how to get it), no such split, a field that is not there."""
    fields = Fields(text=spec.text_field, id=spec.id_field, title=spec.title_field)
    articles = _open_known(spec, fields) if spec.known else open_source(spec.dataset, fields, spec.split)
    references = {"it": spec.reference_field}
    if spec.reference_en_field:
        references["en"] = spec.reference_en_field
    sources, every_column = {}, _columns(articles)
    for lang, name in references.items():
        if every_column is not None and name not in every_column:
            raise InputError(
                spec.dataset, f"no field {name!r} for the references (fields: {', '.join(every_column)})"
            )
        reference_fields = Fields(text=name, id=spec.id_field)
        columns = present_fields(spec.dataset, every_column, reference_fields)
        sources[lang] = dataclasses.replace(articles, fields=reference_fields, columns=columns)
    return OpenedDataset(spec, articles, sources)


def _columns(source: Source) -> list[str] | None:
    """Every column of a table or dataset (``source.columns`` holds only the ones it reads)."""
    if source.dataset is not None:
        return list(source.dataset.column_names)
    if source.kind in ("csv", "parquet"):
        from pathlib import Path

        from itnews.core.sources import file_columns

        return file_columns(Path(source.path), source.kind)
    return None


def _open_known(spec: DatasetSpec, fields: Fields) -> Source:
    """A known dataset from the hub, through the local Hugging Face cache (`HF_HUB_OFFLINE=1` reads
    it offline once downloaded). Not streamed: a benchmark reads its split from the cache again on
    every resumed run."""
    known = spec.known
    if spec.split not in known.splits:
        raise InputError(spec.dataset, f"no split {spec.split!r} (splits: {', '.join(known.splits)})")
    from datasets import load_dataset

    try:
        dataset = load_dataset(known.hub, split=spec.split)
    except Exception as err:  # offline, not cached, a hub error: the same advice
        raise InputError(
            spec.dataset,
            f"cannot load {known.hub} ({type(err).__name__}): it is not in the Hugging Face cache and the "
            f"hub cannot be reached. On a connected machine run the same command once (it caches "
            f"the dataset), or save it with datasets' save_to_disk and give the folder: --dataset FOLDER "
            f"--split {spec.split} --text-field {known.text} --reference-field {known.reference}",
        ) from None
    columns = present_fields(spec.dataset, dataset.column_names, fields)
    return Source(known.hub, "dataset", fields, spec.split, columns, dataset)


def read_references(source: Source, limit: int | None) -> tuple[dict[str, str], list[str]]:
    """The references of the first ``limit`` rows by id, and the rows without one (``place: reason``).
    Ids are made unique as the runner makes them, so that they match the predictions'."""
    from itnews.core.runner import Fresh

    texts, problems = {}, []
    rows = Fresh(source, set(), unique_ids=True, limit=limit, stop=threading.Event())
    for record in rows:
        if record.ok and record.text and record.text.strip():
            texts[record.id] = record.text
        else:
            problems.append(record.error or f"{record.source}: an empty reference")
    return texts, problems
