"""Item-by-property environments for semantic-development experiments (docs/theory.md §4).

Every generator returns a `Dataset` whose columns are items: ``inputs`` X (N1 x P, one-hot
here) and ``targets`` Y (N3 x P).

Fixed tables from the literature:
    - `four_items`: canary, salmon, oak, rose x 7 properties (S7); singular values
      sqrt(7), sqrt(3), 1, 1.
    - `rumelhart`: the Rumelhart / Rogers & McClelland 8-item, 36-attribute table (S8).
    - `braun_hierarchy`: Braun et al.'s ±1 Haar-like 8 x 8 hierarchy (S5), optionally with
      broken degeneracies or a reversed last feature.

Tree-structured environments:
    - `regular_tree`: one membership feature per node of a regular B-ary tree.
    - `branching_diffusion`: features sampled from the hierarchical branching-diffusion process
      (S6, docs/theory.md §4.5), with its exact expected item-item correlation
      `branching_diffusion_correlation`.
    - `level_contrast_tree`: level-specific distinctive features whose per-level counts set
      which split is strongest (the derived basic-level check, docs/theory.md §5.6).

Structural forms (docs/theory.md §5.9), features sampled from the graph-Gaussian model
y ~ N(0, (Δ + I/σ²)^{-1}): `ring`, `chain`, `grid`, `clusters`, `tree` (leaves of a tree graph,
internal nodes marginalised), with their exact item covariance `form_covariance`.

Category coherence (docs/theory.md §5.5): `coherent_category`, a block of ones in Gaussian
noise.

Contexts (docs/gated-networks.md): `contexts`, every item of an environment in each of K
contexts, with shared and context-specific properties.
"""

from semjax.datasets._contexts import contexts
from semjax.datasets._dataset import Dataset
from semjax.datasets._forms import (
    chain,
    clusters,
    coherent_category,
    form_covariance,
    grid,
    level_contrast_tree,
    ring,
    tree,
)
from semjax.datasets._tables import braun_hierarchy, four_items, rumelhart
from semjax.datasets._teacher import TeacherStudent, teacher_student
from semjax.datasets._trees import (
    branching_diffusion,
    branching_diffusion_correlation,
    regular_tree,
)

__all__ = [
    "Dataset",
    "TeacherStudent",
    "branching_diffusion",
    "branching_diffusion_correlation",
    "braun_hierarchy",
    "chain",
    "clusters",
    "coherent_category",
    "contexts",
    "form_covariance",
    "four_items",
    "grid",
    "level_contrast_tree",
    "regular_tree",
    "ring",
    "rumelhart",
    "teacher_student",
    "tree",
]
