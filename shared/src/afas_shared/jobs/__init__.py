"""Long work as background jobs: a job row per piece of work, run in batches that each commit on their own."""
