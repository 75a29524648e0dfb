"""Training phases and the lazy-regularisation corrections, against hand-computed values."""

import pytest

from ganforge.train.phases import Phase, lazy_reg_hparams, reg_gain, stylegan2_phases


def test_lazy_reg_hparams_hand_computed():
    lr, (b1, b2), r = lazy_reg_hparams(0.0025, (0.0, 0.99), 4)
    assert r == pytest.approx(0.8)
    assert lr == pytest.approx(0.002)
    assert b1 == 0.0 and b2 == pytest.approx(0.99**0.8) and b2 == pytest.approx(0.99199197, abs=1e-8)
    lr, (b1, b2), r = lazy_reg_hparams(0.0025, (0.5, 0.99), 16)
    assert r == pytest.approx(16 / 17)
    assert lr == pytest.approx(0.0025 * 16 / 17)
    assert b1 == pytest.approx(0.5 ** (16 / 17)) and b2 == pytest.approx(0.99 ** (16 / 17))


@pytest.mark.parametrize("interval", [None, 0])
def test_lazy_reg_hparams_without_lazy_reg_is_identity(interval):
    assert lazy_reg_hparams(0.0025, (0.0, 0.99), interval) == (0.0025, (0.0, 0.99), 1.0)


@pytest.mark.parametrize("interval", [-1, 2.0, True])
def test_lazy_reg_hparams_rejects_bad_intervals(interval):
    with pytest.raises(ValueError, match="reg_interval"):
        lazy_reg_hparams(0.0025, (0.0, 0.99), interval)


def test_stylegan2_phases_lazy():
    phases = stylegan2_phases()
    assert [(p.name, p.module, p.terms, p.interval) for p in phases] == [
        ("Gmain", "G", ("main",), 1), ("Greg", "G", ("reg",), 4),
        ("Dmain", "D", ("main",), 1), ("Dreg", "D", ("reg",), 16),
    ]
    schedule = {p.name: [i for i in range(32) if p.is_due(i)] for p in phases}
    assert schedule["Gmain"] == schedule["Dmain"] == list(range(32))
    assert schedule["Greg"] == [0, 4, 8, 12, 16, 20, 24, 28]
    assert schedule["Dreg"] == [0, 16]
    # Over one R1 interval D takes 16 + 1 steps: the 17/16 that the mb_ratio 16/17 compensates.
    assert sum(p.is_due(i) for p in phases if p.module == "D" for i in range(16)) == 17
    assert [reg_gain(p) for p in phases] == [1.0, 4.0, 1.0, 16.0]


def test_stylegan2_phases_without_lazy_reg():
    phases = stylegan2_phases(g_reg_interval=None, d_reg_interval=0)
    assert [(p.name, p.module, p.terms, p.interval) for p in phases] == [
        ("Gboth", "G", ("main", "reg"), 1), ("Dboth", "D", ("main", "reg"), 1),
    ]
    assert all(p.is_due(i) for p in phases for i in range(5))
    assert [reg_gain(p) for p in phases] == [1.0, 1.0]
    mixed = stylegan2_phases(g_reg_interval=None, d_reg_interval=8)
    assert [p.name for p in mixed] == ["Gboth", "Dmain", "Dreg"] and reg_gain(mixed[2]) == 8.0


def test_phase_validation():
    with pytest.raises(ValueError, match="module"):
        Phase("Xmain", "X", ("main",), 1)
    with pytest.raises(ValueError, match="terms"):
        Phase("Gmain", "G", (), 1)
    with pytest.raises(ValueError, match="terms"):
        Phase("Gmain", "G", ("main", "extra"), 1)
    with pytest.raises(ValueError, match="interval"):
        Phase("Greg", "G", ("reg",), 0)
    with pytest.raises(ValueError, match="batch_idx"):
        Phase("Greg", "G", ("reg",), 4).is_due(-1)
    phase = Phase("Greg", "G", ("reg",), 4)
    with pytest.raises(AttributeError):
        phase.interval = 2  # frozen
