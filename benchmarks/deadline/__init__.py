"""The deadline-day benchmark (``make bench-deadline``): platform, declarations put in place, the replay, the report."""
