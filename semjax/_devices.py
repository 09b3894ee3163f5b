"""One JAX CPU device per core, set at import when JAX has not started yet (see `semjax`)."""

from __future__ import annotations

import os

import jax

from semjax import _validation


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
        _notice_unapplied(count)
        return None
    return count


def _notice_unapplied(count: int) -> None:
    """Warn once (at import) that JAX had started with fewer CPU devices than asked for, and
    say how to get them; nothing when a GPU or TPU is the default backend."""
    if jax.default_backend() != "cpu":
        return
    have = len(jax.devices("cpu"))
    if have < count:
        _validation.warn(
            f"semjax could not give JAX one CPU device per core: JAX was already running when "
            f"semjax was imported, so runs use {have} of {count} CPU device(s) (about "
            f"{have}/{count} of the speed; Trajectory.info['devices'] records it). Import "
            "semjax before any JAX computation or jax.devices(), or call "
            f"jax.config.update('jax_num_cpu_devices', {count}) first; SEMJAX_CPU_DEVICES="
            f"{have} keeps {have} and silences this notice.")
