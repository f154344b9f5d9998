"""Celery tasks: thin; they take ids or nothing, and call the services."""

from celery import shared_task

from stockpiles import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def recompute_marked_shortfalls() -> int:
    """Drain the pairs marked dirty by writes, until none are left."""
    total = 0
    while True:
        done = services.shortfalls_recompute_marked()
        if not done:
            return total
        total += done


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def recompute_all_shortfalls() -> int:
    """The periodic full recompute (Celery beat): repairs anything the incremental path missed."""
    return services.shortfalls_recompute(pairs=None)
