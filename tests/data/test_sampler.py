import json

import numpy as np
import pytest

from ganforge.data import InfiniteSampler


def test_epochs_are_the_documented_permutations():
    s = InfiniteSampler(7, seed=3)
    stream = s.take(7 * 3 + 2)
    for e in range(3):
        np.testing.assert_array_equal(stream[7 * e:7 * (e + 1)], np.random.RandomState(3 + e).permutation(7))
    np.testing.assert_array_equal(stream[21:], np.random.RandomState(6).permutation(7)[:2])
    assert stream.dtype == np.int64 and s.epoch == 3 and s.position == 23


def test_every_index_once_per_epoch_across_odd_takes():
    s = InfiniteSampler(10, seed=0)
    stream = np.concatenate([s.take(n) for n in (3, 4, 0, 9, 1, 13)])  # 30 = 3 epochs, chunks cross boundaries
    for e in range(3):
        assert sorted(stream[10 * e:10 * (e + 1)]) == list(range(10))
    assert not np.array_equal(stream[:10], stream[10:20])  # a new order each epoch


def test_deterministic_and_no_shuffle():
    np.testing.assert_array_equal(InfiniteSampler(5, seed=1).take(12), InfiniteSampler(5, seed=1).take(12))
    assert not np.array_equal(InfiniteSampler(50, seed=1).take(50), InfiniteSampler(50, seed=2).take(50))
    np.testing.assert_array_equal(InfiniteSampler(3, shuffle=False).take(7), [0, 1, 2, 0, 1, 2, 0])


def test_state_round_trip_continues_exactly():
    full = InfiniteSampler(9, seed=5).take(40)
    s = InfiniteSampler(9, seed=5)
    head = s.take(13)
    state = json.loads(json.dumps(s.state_dict()))  # JSON-serialisable
    assert state == {"size": 9, "seed": 5, "shuffle": True, "position": 13}
    resumed = InfiniteSampler(9, seed=123)  # the seed comes from the state
    resumed.load_state_dict(state)
    np.testing.assert_array_equal(np.concatenate([head, resumed.take(27)]), full)
    assert next(iter(InfiniteSampler(9, seed=5))) == full[0]
    # loading into a sampler that is mid-stream (another seed, cached permutation) also continues exactly
    resumed.load_state_dict({"size": 9, "seed": 5, "shuffle": True, "position": 2})
    np.testing.assert_array_equal(resumed.take(5), full[2:7])
    other = InfiniteSampler(9, seed=1)
    other.take(3)  # epoch 0 of seed 1 is cached now
    other.load_state_dict({"seed": 5, "position": 1})  # same epoch, other seed
    np.testing.assert_array_equal(other.take(4), full[1:5])


def test_bad_arguments():
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError):
            InfiniteSampler(bad)
    with pytest.raises(ValueError, match="size 9"):
        InfiniteSampler(10).load_state_dict({"size": 9, "seed": 0, "position": 0})
    with pytest.raises(ValueError):
        InfiniteSampler(10).take(-1)
