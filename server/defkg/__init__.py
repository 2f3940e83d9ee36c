"""defkg: a linked-data publisher for the activities of defence ministries.

The package is laid out as the pipeline it runs: ``load`` → ``reason`` → ``validate`` →
``publish`` (orchestrated by ``build``), then ``store`` and ``web`` serve the release.
See docs/architecture.md.
"""

__version__ = "0.1.0"
