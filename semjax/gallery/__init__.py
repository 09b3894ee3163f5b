"""The figure gallery: one function per figure, each writing a PNG and returning its path.

``semjax figures`` runs every function in `FIGURES`. Each function takes the output folder and
``quick`` (tiny sizes, for tests) and uses only the public API: every number a figure shows
comes from a tested function of `semjax.theory` or `semjax.analysis` (or a simulation); the
figure modules choose what to show and draw it. One module per family of figures:

* `seed`: the seed's figures and the closed forms against simulation;
* `svd`: singular value decompositions and their learning;
* `development`: deep vs shallow networks, a hierarchy learned level by level;
* `illusory`, `categories`, `projection`: illusory correlations, typicality and coherence,
  inductive projection;
* `similarity`: representational similarity and structural forms;
* `architecture`: depth and nonlinearity;
* `schedule`: reversal learning through task switches;
* `teacher`: generalisation from a noisy teacher;
* `fitting`: the closed form fitted to linear, tanh and ReLU runs;
* `gated`: the race between a gated network's pathways, and ReLU networks as gated ones.
"""

from __future__ import annotations

import os
from pathlib import Path

from semjax import _validation
from semjax.gallery.architecture import depth, nonlinear_hierarchy
from semjax.gallery.categories import coherence, typicality
from semjax.gallery.development import deep_vs_shallow, hierarchy
from semjax.gallery.fitting import theory_fits
from semjax.gallery.gated import gated_race, relu_gdln
from semjax.gallery.illusory import illusions
from semjax.gallery.projection import inductive_projection
from semjax.gallery.schedule import reversal
from semjax.gallery.seed import seed_deep, seed_shallow, theory_vs_simulation
from semjax.gallery.similarity import rsa, structural_forms
from semjax.gallery.svd import svd_four_items, svd_image, svd_image_animation, svd_rumelhart
from semjax.gallery.teacher import generalisation

FIGURES = {
    "seed_deep": seed_deep,
    "seed_shallow": seed_shallow,
    "theory_vs_simulation": theory_vs_simulation,
    "svd_image": svd_image,
    "svd_image_animation": svd_image_animation,
    "svd_four_items": svd_four_items,
    "svd_rumelhart": svd_rumelhart,
    "deep_vs_shallow": deep_vs_shallow,
    "hierarchy": hierarchy,
    "illusions": illusions,
    "typicality": typicality,
    "coherence": coherence,
    "inductive_projection": inductive_projection,
    "rsa": rsa,
    "structural_forms": structural_forms,
    "depth": depth,
    "nonlinear_hierarchy": nonlinear_hierarchy,
    "reversal": reversal,
    "generalisation": generalisation,
    "theory_fits": theory_fits,
    "gated_race": gated_race,
    "relu_gdln": relu_gdln,
}


def make_figures(out_dir="figures", *, names=None, quick: bool = False,
                 progress: bool = True, jobs: int = 1) -> list[Path]:
    """Write the gallery's figures to ``out_dir`` and return their paths.

    Args:
        out_dir: folder for the PNG files (created if missing).
        names: which figures (keys of `FIGURES`); all by default.
        quick: tiny sizes (a few seconds a figure, mostly compiling; for tests), not for
            publication.
        progress: show a progress bar.
        jobs: how many figures to draw at once, each in a process of its own (1: one after
            another in this process). The figures are independent and each spends most of
            its time compiling and drawing on one core, so up to the number of cores, more
            jobs take less time; the figures are the same.

    Raises:
        ValueError: an unknown figure name, or ``jobs`` not an integer ≥ 1.
    """
    names = list(FIGURES) if names is None else list(names)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure names {unknown}; choose from {sorted(FIGURES)}.")
    jobs = min(_validation.positive_int("jobs", jobs), len(names) or 1)
    os.makedirs(out_dir, exist_ok=True)
    from tqdm.auto import tqdm
    if jobs == 1:
        return [FIGURES[name](out_dir, quick=quick)
                for name in tqdm(names, desc="figures", disable=not progress)]
    import concurrent.futures
    import multiprocessing
    pool = concurrent.futures.ProcessPoolExecutor(  # spawn: JAX does not survive a fork
        jobs, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(FIGURES[name], out_dir, quick=quick): name for name in names}
        drawn = {}
        for future in tqdm(concurrent.futures.as_completed(futures), total=len(names),
                           desc="figures", disable=not progress):
            drawn[futures[future]] = future.result()
    finally:  # on an error or Ctrl-C, start nothing more
        pool.shutdown(cancel_futures=True)
    return [drawn[name] for name in names]

