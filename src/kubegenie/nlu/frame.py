"""The intermediate result of reading one message: the slots found in it, the ranked intents, and the cues the
dialogue needs ("it", "the second one", "and in staging?"). The conversation layer may fill a frame from
its state before `resolve` turns it into a request; nothing here decides or does I/O.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from kubegenie.domain.intents import Intent, PodStatusFilter, ResourceKind, TimeWindow


class Source(StrEnum):
    KUBECTL = "kubectl"
    RULE = "rule"
    MODEL = "model"
    DIALOGUE = "dialogue"


class Slots(BaseModel):
    """Every value a message can carry; each request model takes the ones it has fields for."""

    model_config = ConfigDict(frozen=True)

    cluster: str | None = None
    all_clusters: bool = False
    namespace: str | None = None
    all_namespaces: bool = False
    kind: ResourceKind | None = None
    name: str | None = None
    typed_name: str | None = None
    """The name as written, before matching it against known names."""
    name_candidates: tuple[str, ...] = ()
    """Known objects a vague name could mean, when it matched more than one."""
    label_selector: str | None = None
    node: str | None = None
    status: PodStatusFilter | None = None
    name_contains: str | None = None
    limit: int | None = None
    wide: bool = False
    replicas: int | None = None
    container: str | None = None
    tail: int | None = None
    previous: bool = False
    grep: str | None = None
    window: TimeWindow | None = None
    sort_by: str | None = None
    warnings_only: bool = False
    topic: str | None = None
    group_by: str | None = None
    label: str | None = None
    resource: str | None = None
    provider: str | None = None
    size: str | None = None
    region: str | None = None


class IntentScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    intent: Intent | None
    """None is the out-of-scope class: nothing KubeGenie can do."""
    score: float


class Cues(BaseModel):
    """Signs that a message leans on the conversation so far."""

    model_config = ConfigDict(frozen=True)

    refers_back: bool = False
    """"it", "its", "that pod", "them": the object talked about last."""
    ordinal: int | None = None
    """"the second one" -> 2 (1-based), "the last one" -> -1."""
    elliptical: bool = False
    """"and in staging?", "what about payments": the last question again with one slot changed."""
    why: bool = False
    """A bare "why?": explain the last thing shown."""
    mutating_verb: Intent | None = None
    """The change an explicit verb asks for ("restart", "scale", "drain"), if any."""


class Frame(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    """The normalized text the frame was read from."""
    masked: str = ""
    """The text with slot values replaced by placeholders, as the classifier saw it."""
    slots: Slots = Field(default_factory=Slots)
    ranking: tuple[IntentScore, ...] = ()
    """Best first."""
    source: Source = Source.MODEL
    cues: Cues = Field(default_factory=Cues)
    notes: tuple[str, ...] = ()
    """What was assumed while reading ("'deploymnets' read as 'deployments'")."""
    problems: tuple[str, ...] = ()
    """Plain sentences about values that cannot be used (invalid names)."""

    @property
    def intent(self) -> Intent | None:
        return self.ranking[0].intent if self.ranking else None

    @property
    def confidence(self) -> float:
        return self.ranking[0].score if self.ranking else 0.0
