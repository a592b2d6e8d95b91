"""Job executors: the local one (worker processes on this machine) runs jobs that live in
the database (``store`` keeps them, ``services.generation`` claims and runs them)."""
