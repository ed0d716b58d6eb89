"""scaffold: generate production-ready Node.js + TypeScript services."""

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Resolved on first use: importlib.metadata costs a noticeable share of `scaffold --help`.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        try:
            return version("scaffold")
        except PackageNotFoundError:  # pragma: no cover - a source tree without install
            return "0.0.0"
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
