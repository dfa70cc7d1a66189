"""The ops app keeps no tables of its own; this module exists so that Django sends it `post_migrate`
(ops/apps.py creates the cache table then). The worker heartbeat is `importjobs.WorkerHeartbeat`."""
