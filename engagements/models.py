"""Requests, matching, assignments, feedback and impact notes arrive with the request-flow issue."""

from __future__ import annotations
