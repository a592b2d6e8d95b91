"""Job executors: the local one (worker processes on this machine) and background runners
(threads of a server) run jobs that live in the database (``store`` keeps them,
``services.jobs`` claims and runs them). Executors receive what they run from
``bootstrap``; they import no service."""
