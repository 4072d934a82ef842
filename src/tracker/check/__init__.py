"""One check, three steps: judge -> plan -> record.

- ``verdict.judge``: what a fetch means (pure);
- ``plan.plan_next``: the next check time and lifecycle state (pure, via ``schedule``);
- ``record.build_record``: the rows to write (pure), written by ``store.checks.record_check``
  in one transaction;
- ``runner``: concurrency and batching (fetches, the extraction pool, the writer thread);
- ``parallel`` and ``shards``: how many processes a batch uses, and the multi-process path.
"""
