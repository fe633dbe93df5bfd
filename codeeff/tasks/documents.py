"""Documents of an lm-eval task rendered as the model sees them (the task's own ``doc_to_text``).

Used for ``calib=task:NAME`` (calibration texts of attention bypass and activation-aware factorization): the model
layer never imports tasks, so :mod:`codeeff` installs :func:`task_texts` as the calibration text source.
"""

from __future__ import annotations

from itertools import islice


def task_texts(name: str, n: int) -> list[str]:
    """Up to ``n`` documents of task ``name`` (codeeff's tasks first, then lm-eval's built-ins)."""
    from lm_eval.tasks import TaskManager, get_task_dict

    from codeeff.tasks import tasks_dir

    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False)
    if name not in manager.all_tasks:
        manager = TaskManager(include_path=str(tasks_dir()))
    if name not in manager.all_tasks:
        raise ValueError(f"calib: unknown lm-eval task '{name}'")
    task = get_task_dict([name], manager)[name]
    for split in ("validation", "test", "train"):
        if getattr(task, f"has_{split}_docs")():
            docs = getattr(task, f"{split}_docs")()
            return [str(task.doc_to_text(doc)) for doc in islice(docs, n)]
    raise ValueError(f"calib: task '{name}' has no documents")
