"""Models of the cases app, split by concern."""

from cases.models.assessment import AssessmentScheme, TeamTarget
from cases.models.case import Case, ProceduralEvent
from cases.models.catalogue import EventType, OutcomeChoice, RuleSet
from cases.models.charge import Chapter, Charge, TeamSpecialisation
from cases.models.indicator_fact import IndicatorFact
from cases.models.review import (
    Dimension,
    Finding,
    Grade,
    GradeScale,
    Nature,
    QualityReview,
    ReviewItem,
    ReviewTransition,
)
from cases.models.review_fact import ReviewFact
from cases.models.rollup import RatioFact
from cases.models.sampling import ReviewSample, ReviewSampleCase

__all__ = [
    "AssessmentScheme",
    "Case",
    "Chapter",
    "Charge",
    "Dimension",
    "EventType",
    "Finding",
    "Grade",
    "GradeScale",
    "IndicatorFact",
    "Nature",
    "OutcomeChoice",
    "ProceduralEvent",
    "QualityReview",
    "RatioFact",
    "ReviewFact",
    "ReviewItem",
    "ReviewSample",
    "ReviewSampleCase",
    "ReviewTransition",
    "RuleSet",
    "TeamSpecialisation",
    "TeamTarget",
]
