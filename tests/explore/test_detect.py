import itertools

import numpy as np
import pytest
import torch

from ganforge.explore.detect import detect_scores, roc_auc
from ganforge.inference.generate import generate_images


def test_roc_auc_hand_cases_and_brute_force():
    assert roc_auc([3, 4], [1, 2]) == 1.0
    assert roc_auc([1, 2], [3, 4]) == 0.0
    assert roc_auc([1, 1], [1, 1]) == 0.5  # all ties
    assert roc_auc([2, 4], [1, 3]) == 0.75  # pairs: (2>1), (2<3), (4>1), (4>3)
    rng = np.random.RandomState(0)
    pos, neg = rng.randint(0, 5, 13), rng.randint(0, 5, 9)  # many ties
    brute = np.mean([1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg)])
    assert roc_auc(pos, neg) == pytest.approx(brute)
    with pytest.raises(ValueError):
        roc_auc([], [1.0])


def test_generated_images_reconstruct_better_than_foreign_ones(G):
    fake = generate_images(G, [0, 1, 2]).permute(0, 3, 1, 2)  # uint8 [3, C, H, W]
    g = torch.Generator().manual_seed(0)
    foreign = (torch.rand(3, 3, 4, 4, generator=g) * 255).to(torch.uint8)  # blocky colour patterns
    foreign = foreign.repeat_interleave(4, dim=2).repeat_interleave(4, dim=3)
    s_fake = detect_scores(G, fake, steps=40, optimize_noise=False, num_w_samples=500)
    s_real = detect_scores(G, foreign, steps=40, optimize_noise=False, num_w_samples=500)
    assert set(s_fake) == {"score", "psnr", "ssim"} and len(s_fake["score"]) == 3
    assert roc_auc(s_fake["score"], s_real["score"]) == 1.0
