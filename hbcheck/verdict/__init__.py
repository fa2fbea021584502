"""Verdict stage: conditions, observations and expectations over executions."""

from hbcheck.verdict.outcome import ExpectResult, TestResult, judge

__all__ = ["ExpectResult", "TestResult", "judge"]
