import copy
import json

import numpy as np
import pytest
import safetensors.torch
import torch

from ganforge.train.tree import pack_tree, unpack_tree


def assert_same(a, b, where="root"):
    """Deep equality that also demands identical types, dtypes and dict key types/order."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert torch.equal(a.cpu(), b.cpu()), where
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), where
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), where
    elif isinstance(a, dict):
        assert list(a) == list(b) and [type(k) for k in a] == [type(k) for k in b], where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}.{i}")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, where
        if isinstance(a, float):
            assert np.copysign(1, a) == np.copysign(1, b), where


def roundtrip(obj, prefix="state"):
    j, tensors = pack_tree(obj, prefix)
    text = json.dumps(j, allow_nan=False)  # strict JSON, as stored in the metadata
    stored = safetensors.torch.load(safetensors.torch.save(tensors))  # fresh copies, as from a file
    return unpack_tree(json.loads(text), stored)


def adam_after_steps(amsgrad=False, steps=3):
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.0, 0.99), eps=1e-8, amsgrad=amsgrad)
    for _ in range(steps):
        opt.zero_grad()
        model(torch.randn(8, 4)).square().mean().backward()
        opt.step()
    return model, opt


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_state_dict_roundtrip_and_exact_resume(amsgrad):
    model, opt = adam_after_steps(amsgrad)
    sd = opt.state_dict()
    back = roundtrip(sd, "optim.G")
    assert_same(back, sd)
    assert all(type(k) is int for k in back["state"]) and back["state"][0]["step"].dim() == 0
    assert isinstance(back["param_groups"][0]["betas"], tuple)
    # Continuing from the restored state gives bit-identical parameters.
    model2 = copy.deepcopy(model)
    opt2 = torch.optim.Adam(model2.parameters(), lr=1.0, amsgrad=amsgrad)
    opt2.load_state_dict(back)
    x = torch.randn(8, 4)
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        m(x).square().mean().backward()
        o.step()
    for p, q in zip(model.parameters(), model2.parameters()):
        assert torch.equal(p, q)


def test_pack_roundtrip_of_every_supported_type():
    tree = {
        "ints": [0, -1, 2**70], "floats": (0.1, -0.0, float("inf"), float("-inf"), float("nan"), 1e-310),
        "misc": [None, True, False, "text", "", ()],
        3: {(1, "a"): None, None: 1, False: 2, 2.5: "x"},
        "tagged": {"__tensor__": "not a tensor", "__dict__": 1},
        "tensors": [torch.tensor(3.5), torch.zeros(0, 3), torch.arange(6, dtype=torch.uint8).reshape(2, 3),
                    torch.randn(3, 4).t(), torch.randn(5).to(torch.bfloat16), torch.tensor([True, False]),
                    torch.tensor(7, dtype=torch.int64), torch.randn(2, dtype=torch.float64)],
        "arrays": [np.arange(5, dtype=np.uint32), np.array(2.5, dtype=np.float32), np.zeros((2, 0), np.int16),
                   np.arange(4, dtype=">i4"), np.array([1 + 2j], np.complex128), np.array([1, 2], np.longdouble) / 3,
                   np.arange(6, dtype=np.float64).reshape(2, 3).T],
        "scalars": [np.float32(0.1), np.float64(-0.0), np.int64(-5), np.uint32(7), np.bool_(True), np.longdouble(1) / 3],
    }
    back = roundtrip(tree)
    expected = dict(tree)
    expected["tensors"] = [t.contiguous() for t in tree["tensors"]]
    assert_same(back, expected)


def test_pack_tensor_names_follow_the_path_and_stay_unique():
    j, tensors = pack_tree({"a.b": torch.ones(1), "a": {"b": torch.zeros(1)}, "l": [torch.ones(2)]}, "state")
    assert set(tensors) == {"state.a.b", "state.a.b~1", "state.l.0"}
    back = unpack_tree(j, tensors)
    assert torch.equal(back["a.b"], torch.ones(1)) and torch.equal(back["a"]["b"], torch.zeros(1))


@pytest.mark.parametrize("bad, where", [({"x": {1, 2}}, "state.x"), ({"y": [object()]}, "state.y.0"),
                                        ({"z": np.array([None], dtype=object)}, "state.z")])
def test_pack_rejects_unsupported_values_naming_the_path(bad, where):
    with pytest.raises(ValueError, match=where.replace(".", r"\.")):
        pack_tree(bad, "state")


def test_unpack_missing_tensor_is_a_value_error():
    j, _ = pack_tree({"t": torch.ones(1)}, "state")
    with pytest.raises(ValueError, match="state.t"):
        unpack_tree(j, {})
