"""Pipelines and their stages: what a stage asks of a deal entering it, and how an admin
defines, reorders and retires stages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from domain.shared.catalogue import render
from domain.shared.commands import UNSET, Unset
from domain.shared.errors import ValidationFailed
from domain.shared.text import Label, text


class StageKind(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Requirement(StrEnum):
    """What an opportunity must carry to enter a stage."""

    AMOUNT = "amount"
    QUOTE_REFERENCE = "quote_reference"
    CONTRACT = "contract"  # a contract in approval or approved
    EXPECTED_CLOSE_DATE = "expected_close_date"


_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
MAX_STAGES = 20
CENT = Decimal("0.01")
PIPELINE_NAMESPACE = uuid.UUID("6f1d0c3e-3b7a-4d0e-9a53-5be3f2a1c001")
DEFAULT_PIPELINE_ID = uuid.uuid5(PIPELINE_NAMESPACE, "default")


def weighted(amount: Decimal, probability: int) -> Decimal:
    """amount x probability %, to the cent, halves rounded up as an accountant would."""
    return (amount * probability / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Stage:
    id: uuid.UUID
    key: str
    name: str
    probability: int
    kind: StageKind = StageKind.OPEN
    requirements: tuple[Requirement, ...] = ()
    position: int = 0

    def weighted(self, amount: Decimal) -> Decimal:
        return weighted(amount, self.probability)


@dataclass(frozen=True, kw_only=True)
class StageSpec:
    """A stage as an admin defines it; `id` of an existing stage keeps it (and its deals)."""

    key: str
    name: str
    probability: int | None = None  # won is 100 and lost 0 whatever is given
    kind: StageKind = StageKind.OPEN
    requirements: tuple[Requirement, ...] = ()
    id: uuid.UUID | None = None


@dataclass
class Pipeline:
    id: uuid.UUID
    name: str
    stages: list[Stage]
    is_default: bool = False
    stale_days: int = 7  # days without a follow-up before the owner is reminded
    active: bool = True
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def create(cls, *, name: str, stages: Sequence[StageSpec], stale_days: int = 7,
               is_default: bool = False, id: uuid.UUID | None = None) -> Pipeline:
        p = cls(id=id or uuid.uuid4(), name=_name(name), stages=[], is_default=is_default,
                stale_days=_stale_days(stale_days))
        p.stages = define_stages(p.id, stages, [])
        return p

    def update(self, *, name: str | Unset = UNSET, stale_days: int | Unset = UNSET,
               active: bool | Unset = UNSET, stages: Sequence[StageSpec] | Unset = UNSET,
               stages_in_use: Iterable[uuid.UUID] = ()) -> None:
        if not isinstance(name, Unset):
            self.name = _name(name)
        if not isinstance(stale_days, Unset):
            self.stale_days = _stale_days(stale_days)
        if not isinstance(active, Unset):
            if not active and self.is_default:
                raise ValidationFailed.of("active", "pipeline.default_stays_active")
            self.active = bool(active)
        if not isinstance(stages, Unset):
            self.stages = define_stages(self.id, stages, self.stages, set(stages_in_use))
        self.version += 1

    def stage(self, stage_id: uuid.UUID) -> Stage:
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise ValidationFailed.of("stage_id", "pipeline.not_its_stage", pipeline=self.name)

    def stage_by_key(self, key: str) -> Stage:
        for s in self.stages:
            if s.key == key:
                return s
        raise ValidationFailed.of("stage", "pipeline.unknown_stage_key", key=key,
                                  pipeline=self.name)

    @property
    def first_stage(self) -> Stage:
        return next(s for s in self.stages if s.kind == StageKind.OPEN)

    @property
    def won_stage(self) -> Stage:
        return next(s for s in self.stages if s.kind == StageKind.WON)

    @property
    def open_stages(self) -> list[Stage]:
        return [s for s in self.stages if s.kind == StageKind.OPEN]

    def stages_entered(self, from_stage: Stage | None, to: Stage) -> list[Stage]:
        """The stages whose requirements a move must meet: the target, plus every open stage it
        jumps over on the way forward (skipping a stage does not skip its requirements)."""
        if to.kind == StageKind.LOST:
            return [to]
        start = from_stage.position if from_stage is not None else -1
        if from_stage is not None and from_stage.kind != StageKind.OPEN:
            start = to.position - 1 if to.kind == StageKind.OPEN else -1
        if to.position <= start:
            return [to]
        return [s for s in self.stages
                if start < s.position <= to.position and s.kind != StageKind.LOST]


def _name(raw: str) -> str:
    name = (raw or "").strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed.of("name", "pipeline.name_length", min=1, max=100)
    return name


def _stale_days(raw: int) -> int:
    if not 1 <= int(raw) <= 365:
        raise ValidationFailed.of("stale_days", "between", low=1, high=365)
    return int(raw)


def define_stages(pipeline_id: uuid.UUID, specs: Sequence[StageSpec], current: list[Stage],
                  in_use: set[uuid.UUID] | None = None) -> list[Stage]:
    """Stages from their specs: open ones in the order given, then won, then lost.

    A spec with the id of a current stage keeps it (its opportunities stay in it); a current
    stage left out is removed, which is refused while opportunities sit in it.
    """
    if not 3 <= len(specs) <= MAX_STAGES:
        raise ValidationFailed.of("stages", "pipeline.stage_count", min=3, max=MAX_STAGES)
    by_id = {s.id: s for s in current}
    stages: list[Stage] = []
    keys: set[str] = set()
    names: set[str] = set()
    for i, spec in enumerate(specs):
        at = f"stages.{i}"
        key = spec.key or ""
        if not _KEY.match(key):
            raise ValidationFailed.of(f"{at}.key", "pipeline.stage_key_shape")
        if key in keys:
            raise ValidationFailed.of(f"{at}.key", "pipeline.used_twice", value=key)
        name = (spec.name or "").strip()
        if not 1 <= len(name) <= 100:
            raise ValidationFailed.of(f"{at}.name", "pipeline.name_length", min=1, max=100)
        if name.lower() in names:
            raise ValidationFailed.of(f"{at}.name", "pipeline.used_twice", value=name)
        keys.add(key)
        names.add(name.lower())
        kind = StageKind(spec.kind or StageKind.OPEN)
        probability = {StageKind.WON: 100, StageKind.LOST: 0}.get(kind, spec.probability)
        if probability is None or not 0 <= int(probability) <= 100:
            raise ValidationFailed.of(f"{at}.probability", "between", low=0, high=100)
        try:
            requirements = tuple(dict.fromkeys(Requirement(r) for r in spec.requirements))
        except ValueError:
            raise ValidationFailed.of(
                f"{at}.requirements",
                "pipeline.requirements_one_of",
                choices=[r.value for r in Requirement]) from None
        if kind == StageKind.LOST and requirements:
            raise ValidationFailed.of(f"{at}.requirements", "pipeline.lost_no_requirements")
        if spec.id is not None and spec.id not in by_id:
            raise ValidationFailed.of(f"{at}.id", "pipeline.not_this_pipeline_stage")
        stages.append(Stage(id=spec.id or uuid.uuid5(pipeline_id, key), key=key, name=name,
                            probability=int(probability), kind=kind,
                            requirements=requirements))
    for kind in (StageKind.WON, StageKind.LOST):
        if sum(1 for s in stages if s.kind == kind) != 1:
            raise ValidationFailed.of("stages", "pipeline.one_stage_of_kind",
                                      kind=Label("stage_kind", kind.value))
    if len({s.id for s in stages}) != len(stages):
        raise ValidationFailed.of("stages", "pipeline.stage_id_twice")
    order = {StageKind.OPEN: 0, StageKind.WON: 1, StageKind.LOST: 2}
    stages.sort(key=lambda s: order[s.kind])  # stable: open stages keep the order given
    removed = set(by_id) - {s.id for s in stages}
    busy = removed & (in_use or set())
    if busy:
        raise ValidationFailed.of("stages", "pipeline.stage_in_use",
                                  stages=sorted(by_id[s].name for s in busy))
    return [Stage(id=s.id, key=s.key, name=s.name, probability=s.probability, kind=s.kind,
                  requirements=s.requirements, position=i) for i, s in enumerate(stages)]


# Names are looked up as `pipeline.seed.<key>` in the organisation's language when seeded.
DEFAULT_STAGES: tuple[StageSpec, ...] = (
    StageSpec(key="initial_contact", name="", probability=10),
    StageSpec(key="needs_analysis", name="", probability=20),
    StageSpec(key="proposal", name="", probability=50,
              requirements=(Requirement.AMOUNT, Requirement.QUOTE_REFERENCE)),
    StageSpec(key="contract_signing", name="", probability=80,
              requirements=(Requirement.CONTRACT,)),
    StageSpec(key="won", name="", kind=StageKind.WON, requirements=(Requirement.AMOUNT,)),
    StageSpec(key="lost", name="", kind=StageKind.LOST),
)


def default_pipeline(locale: str) -> Pipeline:
    """The organisation's standard pipeline, named in its language; its ids are fixed so
    racing creators agree. The names are the organisation's own once seeded (admins rename
    them), so only the first seeding follows the language."""
    def seeded(key: str) -> str:
        return render(text(f"pipeline.seed.{key}"), locale)

    stages = [replace(spec, name=seeded(spec.key)) for spec in DEFAULT_STAGES]
    return Pipeline.create(name=seeded("name"), stages=stages, is_default=True,
                           id=DEFAULT_PIPELINE_ID)
