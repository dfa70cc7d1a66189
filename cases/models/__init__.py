"""Models of the cases app, split by concern."""

from cases.models.case import Case, ProceduralEvent
from cases.models.catalogue import EventType, RuleSet
from cases.models.rollup import RatioFact

__all__ = ["Case", "EventType", "ProceduralEvent", "RatioFact", "RuleSet"]
