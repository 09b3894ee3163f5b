"""Closed-form learning dynamics of deep linear networks (docs/theory.md §2–§5).

Mode strengths (`mode_strength` and its special cases), learning times (exact and the papers'
approximations), finite learning rates (the exact gradient-descent map `gd_mode_strength`, its
`gd_stability_bound`, and the O(η)-corrected `modified_flow_mode_strength`), exact matrix
solutions from λ-balanced starts, analytic dataset spectra, and `trajectory`, which returns a
`semjax.Trajectory` on the same axes as `semjax.simulate`. `fit` fits the closed form to any
run's mode strengths (docs/theory-fitting.md); `weight_decay_mode_strength` is the closed form
under L2 weight decay. `pathway_correlations`, `neural_race`, `pathway_strength` and
`race_loss` are the neural race reduction of gated networks (docs/gated-networks.md).
"""

from semjax.theory._finite_step import gd_mode_strength as gd_mode_strength
from semjax.theory._finite_step import gd_stability_bound as gd_stability_bound
from semjax.theory._finite_step import modified_flow_mode_strength as modified_flow_mode_strength
from semjax.dynamics._gated import PathwayCorrelations as PathwayCorrelations
from semjax.dynamics._gated import pathway_correlations as pathway_correlations
from semjax.theory._gated import neural_race as neural_race
from semjax.theory._gated import pathway_strength as pathway_strength
from semjax.theory._gated import race_loss as race_loss
from semjax.theory._fit import Fit as Fit
from semjax.theory._fit import fit as fit
from semjax.theory._generalisation import GeneralisationErrors as GeneralisationErrors
from semjax.theory._generalisation import JointTeacher as JointTeacher
from semjax.theory._generalisation import OptimalStopping as OptimalStopping
from semjax.theory._generalisation import TrainingModes as TrainingModes
from semjax.theory._generalisation import TransferBenefit as TransferBenefit
from semjax.theory._generalisation import detection_threshold as detection_threshold
from semjax.theory._generalisation import generalisation_errors as generalisation_errors
from semjax.theory._generalisation import joint_teacher as joint_teacher
from semjax.theory._generalisation import optimal_stopping as optimal_stopping
from semjax.theory._generalisation import shrinkage_error as shrinkage_error
from semjax.theory._generalisation import training_modes as training_modes
from semjax.theory._generalisation import training_noise_density as training_noise_density
from semjax.theory._generalisation import transfer_benefit as transfer_benefit
from semjax.theory._generalisation import transfer_errors as transfer_errors
from semjax.theory._generalisation import zero_map_errors as zero_map_errors
from semjax.theory._modes import deep_mode_strength as deep_mode_strength
from semjax.theory._modes import lambda_balanced_mode_strength as lambda_balanced_mode_strength
from semjax.theory._modes import mode_strength as mode_strength
from semjax.theory._modes import shallow_mode_strength as shallow_mode_strength
from semjax.theory._times import half_time as half_time
from semjax.theory._times import (
    initial_strength_from_half_time as initial_strength_from_half_time)
from semjax.theory._times import large_depth_learning_time as large_depth_learning_time
from semjax.theory._times import rise_time as rise_time
from semjax.theory._times import saxe_learning_time as saxe_learning_time
from semjax.theory._times import transition_time as transition_time
from semjax.theory._trajectory import closed_form_for as closed_form_for
from semjax.theory._trajectory import effective_a0 as effective_a0
from semjax.theory._trajectory import random_start_a0 as random_start_a0
from semjax.theory._trajectory import shared_basis_eigenvalues as shared_basis_eigenvalues
from semjax.theory._trajectory import trajectory as trajectory
from semjax.theory._spectra import CovarianceModes as CovarianceModes
from semjax.theory._spectra import HierarchySpectrum as HierarchySpectrum
from semjax.theory._spectra import StructuralSpectrum as StructuralSpectrum
from semjax.theory._spectra import category_overlap as category_overlap
from semjax.theory._spectra import category_singular_value as category_singular_value
from semjax.theory._spectra import coherence as coherence
from semjax.theory._spectra import coherence_threshold as coherence_threshold
from semjax.theory._spectra import covariance_modes as covariance_modes
from semjax.theory._spectra import graph_laplacian as graph_laplacian
from semjax.theory._spectra import hierarchy_modes as hierarchy_modes
from semjax.theory._spectra import hierarchy_singular_values as hierarchy_singular_values
from semjax.theory._spectra import hierarchy_spectrum as hierarchy_spectrum
from semjax.theory._spectra import noise_bulk_edge as noise_bulk_edge
from semjax.theory._spectra import structural_spectrum as structural_spectrum
from semjax.theory._spectra import truncation_error as truncation_error
from semjax.theory._riccati import ExactSolution as ExactSolution
from semjax.theory._riccati import exact_solution as exact_solution
from semjax.theory._schedule import Forgetting as Forgetting
from semjax.theory._schedule import ScheduleSolution as ScheduleSolution
from semjax.theory._schedule import forgetting as forgetting
from semjax.theory._schedule import schedule_solution as schedule_solution
from semjax.theory._weight_decay import weight_decay_mode_strength as weight_decay_mode_strength
