"""Exporting trained networks to other runtimes (ONNX)."""

from ganforge.export.onnx import export_onnx, onnx_input_names

__all__ = ["export_onnx", "onnx_input_names"]
