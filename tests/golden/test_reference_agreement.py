"""imgshare's --threshold and --aa count what pixelmatch counts, and its SSIM is scikit-image's: the
reference tools run on the same files in the same test."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from imgshare import compare  # the public API: imgshare.compare(actual, expected, ...)
from tests.golden.tools import pixelmatch_counts, scene, variants

SIZE = (211, 157)  # not a power of two
THRESHOLDS = [0.01, 0.05, 0.1, 0.3]


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    """(name, expected file, actual file) for several renderings of two scenes."""
    folder = tmp_path_factory.mktemp("pixelmatch")
    found = []
    for seed in (1, 2):
        base = scene(SIZE, seed)
        base.save(folder / f"base-{seed}.png")
        others = {**variants(base, seed), "moved": scene(SIZE, seed, shift=4)}
        for name, image in others.items():
            path = folder / f"{name}-{seed}.png"
            image.save(path)
            found.append((f"{name}-{seed}", folder / f"base-{seed}.png", path))
    return found


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_threshold_counts_equal_pixelmatch_with_include_aa(pairs, threshold):
    reference = pixelmatch_counts([(a, b) for _, a, b in pairs], threshold, include_aa=True)
    ours = [compare(b, a, threshold=threshold).differing for _, a, b in pairs]
    assert ours == reference, list(zip([n for n, _, _ in pairs], ours, reference, strict=True))
    assert any(reference) and not all(c == reference[0] for c in reference)  # the pairs tell cases apart


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_antialiasing_counts_within_one_percent_of_pixelmatch(pairs, threshold):
    reference = pixelmatch_counts([(a, b) for _, a, b in pairs], threshold, include_aa=False)
    with_aa = pixelmatch_counts([(a, b) for _, a, b in pairs], threshold, include_aa=True)
    ours = [compare(b, a, threshold=threshold, antialiasing=True) for _, a, b in pairs]
    for (name, _, _), result, count, everything in zip(pairs, ours, reference, with_aa, strict=True):
        assert abs(result.differing - count) <= 0.01 * max(count, 1), (name, result.differing, count)
        assert result.differing + result.antialiased == everything, name
    if threshold <= 0.1:
        assert sum(with_aa) > sum(reference)  # the detector left something out


def test_the_threshold_is_pixelmatchs_measure_at_its_edge():
    """Black on white measures 32857 (0.5053 x 255²): beyond threshold 0.96 (32454), within 0.97 (33133)."""
    white = Image.new("RGB", (3, 2), (255, 255, 255))
    black = white.copy()
    black.putpixel((1, 1), (0, 0, 0))
    assert compare(black, white, threshold=0.96).differing == 1
    assert compare(black, white, threshold=0.97).differing == 0
    faint = white.copy()
    faint.putpixel((0, 0), (250, 255, 255))  # a tiny red-channel change: within 0.1, beyond 0.01
    assert compare(faint, white, threshold=0.1).differing == 0
    assert compare(faint, white, threshold=0.01).differing == 1


def test_ssim_equals_scikit_image_within_2e_3(pairs):
    from skimage.metrics import structural_similarity
    checked = 0
    for name, a, b in pairs:
        expected, actual = Image.open(a), Image.open(b)
        ours = compare(actual, expected, metrics=True).ssim
        theirs = structural_similarity(np.asarray(actual.convert("L"), dtype=np.float64),
                                       np.asarray(expected.convert("L"), dtype=np.float64),
                                       gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                       data_range=255)
        assert ours == pytest.approx(theirs, abs=2e-3), name
        checked += 1
    assert checked == len(pairs)


def test_psnr_over_rgb_with_data_range_255():
    from skimage.metrics import peak_signal_noise_ratio
    rng = np.random.default_rng(7)
    a = rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-9, 10, a.shape), 0, 255).astype(np.uint8)
    result = compare(b, a, metrics=True)
    assert result.psnr == pytest.approx(peak_signal_noise_ratio(a, b, data_range=255), abs=1e-9)
    assert compare(a, a.copy(), metrics=True).psnr == float("inf")
