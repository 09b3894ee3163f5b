"""Read-outs on any `semjax.Trajectory`, simulated or theoretical, and their comparison.

Each read-out names the phenomenon of docs/theory.md §5 it measures and, where the theory makes
one, its prediction; they work on the batch axes of the trajectory they are given.
"""

from semjax.analysis._alignment import align_within_groups as align_within_groups
from semjax.analysis._alignment import aligned_mds as aligned_mds
from semjax.analysis._alignment import degenerate_groups as degenerate_groups
from semjax.analysis._alignment import procrustes_rotation as procrustes_rotation
from semjax.analysis._compare import Comparison as Comparison
from semjax.analysis._compare import compare as compare
from semjax.analysis._development import category_response_times as category_response_times
from semjax.analysis._development import category_responses as category_responses
from semjax.analysis._development import CategoryResponses as CategoryResponses
from semjax.analysis._development import hierarchy_levels_of_modes as hierarchy_levels_of_modes
from semjax.analysis._development import Illusion as Illusion
from semjax.analysis._development import Illusions as Illusions
from semjax.analysis._development import illusory_correlations as illusory_correlations
from semjax.analysis._development import level_learning_order as level_learning_order
from semjax.analysis._development import LevelOrder as LevelOrder
from semjax.analysis._development import loss_staircase as loss_staircase
from semjax.analysis._development import LossStaircase as LossStaircase
from semjax.analysis._development import mds_embedding as mds_embedding
from semjax.analysis._development import mode_learning_times as mode_learning_times
from semjax.analysis._development import Plateaus as Plateaus
from semjax.analysis._development import plateaus as plateaus
from semjax.analysis._development import representational_similarity as representational_similarity
from semjax.analysis._development import Typicality as Typicality
from semjax.analysis._development import typicality as typicality
from semjax.analysis._gating import ContextSelectivity as ContextSelectivity
from semjax.analysis._gating import context_selectivity as context_selectivity
from semjax.analysis._generalisation import basic_level_check as basic_level_check
from semjax.analysis._generalisation import BasicLevelCheck as BasicLevelCheck
from semjax.analysis._generalisation import category_coherence as category_coherence
from semjax.analysis._generalisation import category_mode as category_mode
from semjax.analysis._generalisation import CategoryCoherence as CategoryCoherence
from semjax.analysis._generalisation import lambda_balanced_final_rsm as lambda_balanced_final_rsm
from semjax.analysis._generalisation import learn_novel_item as learn_novel_item
from semjax.analysis._generalisation import learn_novel_property as learn_novel_property
from semjax.analysis._generalisation import min_norm_rsm as min_norm_rsm
from semjax.analysis._generalisation import novel_item_projection as novel_item_projection
from semjax.analysis._generalisation import novel_property_projection as novel_property_projection
from semjax.analysis._generalisation import object_analyzer_distance as object_analyzer_distance
from semjax.analysis._generalisation import Projection as Projection
from semjax.analysis._generalisation import rsa_invariance as rsa_invariance
from semjax.analysis._generalisation import RSAComparison as RSAComparison
from semjax.analysis._times import crossing_times as crossing_times
