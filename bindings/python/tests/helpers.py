"""Shared paths for the binding's tests."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("top_srcdir") or os.path.join(HERE, "..", "..", "..")
RULESETS = os.path.join(TOP, "t", "rulesets")
PRICING = os.path.join(RULESETS, "pricing")
