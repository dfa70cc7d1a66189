"""Deterministic demo and benchmark data: `generate(scale, seed=...)` (see `cases.demo.generator`)."""

from cases.demo.generator import PRESETS, DemoDataError, DemoParams, DemoSummary, generate, resolve

__all__ = ["PRESETS", "DemoDataError", "DemoParams", "DemoSummary", "generate", "resolve"]
