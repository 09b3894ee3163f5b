"""One JAX CPU device per core, set at import when JAX has not started yet (see `semjax`)."""

from __future__ import annotations

import os

import jax


def use_every_core() -> int | None:
    """Ask JAX for one CPU device per core (or ``SEMJAX_CPU_DEVICES``), unless it was set
    explicitly or JAX's backends are already running; returns the number set, or None."""
    requested = os.environ.get("SEMJAX_CPU_DEVICES")
    if requested is None and (jax.config.jax_num_cpu_devices != -1
                              or "xla_force_host_platform_device_count"
                              in os.environ.get("XLA_FLAGS", "")):
        return None
    try:
        count = int(requested) if requested is not None else (os.cpu_count() or 1)
    except ValueError:
        raise ValueError(f"SEMJAX_CPU_DEVICES must be a whole number ≥ 1; got "
                         f"{requested!r}.") from None
    if count < 1:
        raise ValueError(f"SEMJAX_CPU_DEVICES must be a whole number ≥ 1; got {requested!r}.")
    try:
        jax.config.update("jax_num_cpu_devices", count)
    except RuntimeError:  # backends already initialised: JAX keeps what it has
        return None
    return count
