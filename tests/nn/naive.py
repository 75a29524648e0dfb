"""Slow, obviously-correct reference implementations used as test oracles."""

import numpy as np
import torch


def naive_upfirdn2d(x, f, up=(1, 1), down=(1, 1), pad=(0, 0, 0, 0), flip_filter=False, gain=1.0):
    """Explicit zero insertion, zero padding/cropping, full 2-D convolution by loops, then subsampling.

    x: [N, C, H, W] float64 tensor; f: 2-D taps [fh, fw]; pad = (px0, px1, py0, py1).
    """
    upx, upy = up
    downx, downy = down
    px0, px1, py0, py1 = pad
    x = x.detach().double().numpy()
    f = np.asarray(f, dtype=np.float64)
    if f.ndim == 1:
        f = np.outer(f, f)
    N, C, H, W = x.shape
    u = np.zeros([N, C, H * upy, W * upx])
    u[:, :, ::upy, ::upx] = x
    # pad with zeros (negative pads crop)
    p = np.zeros([N, C, H * upy + max(py0, 0) + max(py1, 0), W * upx + max(px0, 0) + max(px1, 0)])
    p[:, :, max(py0, 0):max(py0, 0) + H * upy, max(px0, 0):max(px0, 0) + W * upx] = u
    p = p[:, :, max(-py0, 0):p.shape[2] - max(-py1, 0), max(-px0, 0):p.shape[3] - max(-px1, 0)]
    fh, fw = f.shape
    g = f if flip_filter else f[::-1, ::-1]  # true convolution == correlation with flipped taps
    oh, ow = p.shape[2] - fh + 1, p.shape[3] - fw + 1
    y = np.zeros([N, C, oh, ow])
    for i in range(fh):
        for j in range(fw):
            y += g[i, j] * p[:, :, i:i + oh, j:j + ow]
    y = y[:, :, ::downy, ::downx] * gain
    return torch.from_numpy(np.ascontiguousarray(y))
