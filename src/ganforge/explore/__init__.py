"""Exploring a trained generator: style mixing, latent walks, projection (W / W+ / PTI), W clusters, directions,
activation mosaics and the generated-or-real check (re-exports only)."""

from ganforge.explore.activations import activation_figure, activation_mosaics, capture_block_outputs, feature_mosaic
from ganforge.explore.droplets import spike_ratio, spike_ratios
from ganforge.explore.clusters import (
    centroid_truncation,
    kmeans,
    kmeans_plus_plus,
    load_centroids,
    nearest_centroids,
    sample_w_clusters,
    save_centroids,
)
from ganforge.explore.directions import (
    Directions,
    apply_direction,
    compute_directions,
    ganspace,
    load_directions,
    save_directions,
    sefa,
)
from ganforge.explore.detect import detect_scores, reconstruction_metrics, roc_auc
from ganforge.explore.distance import d_feature_distance, lpips_distance, make_distance, weight_free_distance
from ganforge.explore.interpolate import interpolation_frames, walk_positions, walk_ws
from ganforge.explore.latents import lerp, slerp, truncate, ws_from_seeds
from ganforge.explore.noise_reg import noise_regularization, normalize_noise_, use_noise_maps
from ganforge.explore.npz import load_projected_w, render_projected_w, save_projected_w
from ganforge.explore.project import ProjectionResult, learning_rate, nearest_centroid, project, w_stats
from ganforge.explore.pti import pivotal_tuning
from ganforge.explore.ssim_loss import ms_ssim_small
from ganforge.explore.style_mixing import parse_styles, preset_layers, style_mix, style_mixing_grid
from ganforge.explore.targets import load_images
from ganforge.explore.video import read_video, write_video

__all__ = [
    "activation_figure", "activation_mosaics", "capture_block_outputs", "feature_mosaic", "spike_ratio", "spike_ratios",
    "centroid_truncation", "kmeans", "kmeans_plus_plus", "load_centroids", "nearest_centroids", "sample_w_clusters",
    "save_centroids",
    "Directions", "apply_direction", "compute_directions", "ganspace", "load_directions", "save_directions", "sefa",
    "detect_scores", "reconstruction_metrics", "roc_auc",
    "d_feature_distance", "lpips_distance", "make_distance", "weight_free_distance",
    "interpolation_frames", "walk_positions", "walk_ws",
    "lerp", "slerp", "truncate", "ws_from_seeds",
    "noise_regularization", "normalize_noise_", "use_noise_maps",
    "load_projected_w", "render_projected_w", "save_projected_w",
    "ProjectionResult", "learning_rate", "nearest_centroid", "project", "w_stats",
    "pivotal_tuning", "ms_ssim_small",
    "parse_styles", "preset_layers", "style_mix", "style_mixing_grid",
    "load_images", "read_video", "write_video",
]
