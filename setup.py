"""Optional native extension: a radix sort for the sliced Wasserstein distance (``ganforge._sortdiff``).

Everything else is configured in ``pyproject.toml``. The extension is ``optional``: without a C compiler the build
goes on, and ``ganforge.metrics.swd`` falls back to NumPy's sort (same values, about 2× slower there).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ganforge._sortdiff",
            ["src/ganforge/_native/sortdiff.c"],
            extra_compile_args=["-O3"],
            optional=True,
        )
    ]
)
