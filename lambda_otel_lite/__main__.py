"""``python -m lambda_otel_lite``: the ``lambda-otel-lite`` command."""

from __future__ import annotations

from lambda_otel_lite.local.cli import main_exit

if __name__ == "__main__":
    main_exit()
