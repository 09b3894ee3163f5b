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
* `teacher`: generalisation from a noisy teacher.
"""

from __future__ import annotations

import os
from pathlib import Path

from semjax.gallery.architecture import depth, nonlinear_hierarchy
from semjax.gallery.categories import coherence, typicality
from semjax.gallery.development import deep_vs_shallow, hierarchy
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
}


def make_figures(out_dir="figures", *, names=None, quick: bool = False,
                 progress: bool = True) -> list[Path]:
    """Write the gallery's figures to ``out_dir`` and return their paths.

    Args:
        out_dir: folder for the PNG files (created if missing).
        names: which figures (keys of `FIGURES`); all by default.
        quick: tiny sizes (seconds; for tests), not for publication.
        progress: show a progress bar.

    Raises:
        ValueError: an unknown figure name.
    """
    names = list(FIGURES) if names is None else list(names)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure names {unknown}; choose from {sorted(FIGURES)}.")
    os.makedirs(out_dir, exist_ok=True)
    from tqdm.auto import tqdm
    paths = []
    for name in tqdm(names, desc="figures", disable=not progress):
        paths.append(FIGURES[name](out_dir, quick=quick))
    return paths
