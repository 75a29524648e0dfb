"""``ganforge serve``: a browser latent explorer over the public Python API (see docs/serve.md).

Needs the ``serve`` extra (``pip install 'ganforge[serve]'``: starlette, uvicorn, python-multipart); importing
:func:`create_app` without it raises ``ImportError`` naming the extra.
"""

try:
    from ganforge.serve.app import create_app
except ModuleNotFoundError as exc:  # the optional dependencies are missing
    if exc.name not in ("starlette", "multipart", "python_multipart"):
        raise
    raise ImportError(f"ganforge serve needs {exc.name}: pip install 'ganforge[serve]'") from None

__all__ = ["create_app"]
