"""Closed-form learning dynamics of deep linear networks (theory.md §2)."""

from semjax.theory._modes import deep_mode_strength as deep_mode_strength
from semjax.theory._modes import half_time as half_time
from semjax.theory._modes import mode_strength as mode_strength
from semjax.theory._modes import shallow_mode_strength as shallow_mode_strength
