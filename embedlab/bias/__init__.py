"""Bias probes: WEAT and SEAT with permutation tests, bias directions and direct bias, hard
debiasing. One metric per module, each with a typed result dataclass (WEFE style)."""
