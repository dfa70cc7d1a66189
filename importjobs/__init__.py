"""Background imports: an upload becomes an `ImportJob` run by the task worker, with progress and its report."""
