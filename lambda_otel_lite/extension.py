"""The internal Lambda extension that exports spans after the response (async and finalize modes)."""

from __future__ import annotations

import logging

from lambda_otel_lite import _config

logger = logging.getLogger(__name__)


def start(config: _config.Config) -> _config.ProcessorMode:
    """Prepare *config.mode*; return the mode actually in effect (sync when it cannot run)."""
    if config.runtime_api is None:
        logger.warning(
            "%s=%s needs the Lambda Extensions API, but %s is not set (not running in Lambda?); "
            "spans are exported in sync mode instead",
            _config.MODE.name,
            config.mode.value,
            _config.RUNTIME_API.name,
        )
        return _config.ProcessorMode.SYNC
    logger.warning(
        "%s=%s is not available in this version; spans are exported in sync mode instead",
        _config.MODE.name,
        config.mode.value,
    )
    return _config.ProcessorMode.SYNC
