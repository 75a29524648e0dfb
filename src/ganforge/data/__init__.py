"""Datasets: the dataset tool, the dataset reader, the infinite sampler and the bundled emoji set."""

from ganforge.data.bundled import bundled_dataset_path
from ganforge.data.dataset import ImageDataset
from ganforge.data.dataset_tool import DatasetToolConfig, DatasetToolReport, convert_dataset
from ganforge.data.sampler import InfiniteSampler
from ganforge.data.transforms import parse_color, parse_resolution

__all__ = [
    "ImageDataset", "InfiniteSampler", "DatasetToolConfig", "DatasetToolReport", "convert_dataset",
    "bundled_dataset_path", "parse_resolution", "parse_color",
]
